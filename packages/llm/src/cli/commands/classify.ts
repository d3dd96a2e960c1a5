import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import type { Classification } from '../../llm/classifier.js';
import type { Example } from '../../llm/finetune/data.js';
import { readTextFile } from '../../io/text-file.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireFile } from 'llm-scratch-core/cli/file-checks';
import { requireLabelledData } from '../labelled-data.js';
import { resolveModelDir } from '../model-dir.js';
import { checkModelBounds, readModelSize } from '../model-limits.js';

function readLines(file: string, stderr: (s: string) => void): string[] {
  const lines = readTextFile(file, stderr).split(/\r?\n/);
  const texts = lines.filter((l) => l.trim() !== '');
  const blank = lines.length - texts.length - (lines.at(-1) === '' ? 1 : 0);
  if (blank > 0) stderr(`skipped ${blank} empty line${blank === 1 ? '' : 's'}\n`);
  if (texts.length === 0) throw new UserError(`${file}: no text to classify`);
  return texts;
}

// Labelled examples to score: a CSV/TSV/JSONL/SMS file, or a written split's test.csv.
async function readLabelled(
  path: string,
  labels: readonly string[],
  stderr: (s: string) => void,
): Promise<Example[]> {
  const { findSplitDir, loadLabelledFile } = await import('../../llm/finetune/data.js');
  const split = findSplitDir(path);
  const file = split ? join(split, 'test.csv') : path;
  if (!existsSync(file)) throw new UserError(`cannot read ${file}: no such file`);
  if (statSync(file).isDirectory())
    throw new UserError(`${file}: a directory without train.csv, validation.csv and test.csv`);
  const data = loadLabelledFile(file, undefined, { labels });
  if (data.emptySkipped > 0) stderr(`skipped ${data.emptySkipped} examples with an empty text\n`);
  if (data.examples.length === 0) throw new UserError(`${file}: no labelled example to score`);
  return data.examples;
}

function countCorrect(results: readonly Classification[], examples: readonly Example[]): number {
  return results.filter((r, i) => r.label === examples[i].label).length;
}

export const classifyCommand = defineCommand({
  name: 'classify',
  summary:
    'Classify texts with a fine-tuned classifier (or the average of several), or score it on labelled data',
  usage: '--model DIR... (TEXT | --file F | --eval FILE) [--json]',
  options: {
    model: {
      type: 'strings',
      value: 'DIR',
      required: true,
      description: 'a classifier directory (finetune-classifier --out); repeat it to average several',
    },
    file: { type: 'string', value: 'F', description: 'classify each non-empty line of F' },
    eval: {
      type: 'string',
      value: 'FILE',
      description: "accuracy on labelled data: a CSV/TSV/JSONL/SMS file, or a split directory's test.csv",
    },
    'max-length': {
      type: 'integer',
      value: 'N',
      min: 1,
      description: 'pad and cut to N tokens (default: the length each was trained with)',
    },
    json: {
      type: 'boolean',
      description:
        'one {"label","probability"} object per text; with --eval {"examples","correct","accuracy"}',
    },
  },
  examples: [
    'llm-scratch classify --model runs/spam "You are a winner! Claim your free prize now"',
    'llm-scratch classify --model runs/spam --file messages.txt --json',
    'llm-scratch classify --model runs/spam --model runs/spam256 --eval runs/spam',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { averageClassifications, classifyTexts, loadClassifierDir } =
      await import('../../llm/classifier.js');
    const { gpt2Tokenizer } = await import('../../llm/fundamentals.js');
    const dirs = o.model.map((dir) => resolveModelDir(dir));
    const inputs = [o.file !== undefined, o.eval !== undefined, positionals.length > 0].filter(
      Boolean,
    ).length;
    if (inputs !== 1)
      throw new UsageError('give the text to classify, --file F or --eval FILE (one of them)');
    if (o.file !== undefined) requireFile('file', o.file);
    if (o.eval !== undefined) requireLabelledData('eval', o.eval);
    for (const dir of dirs)
      checkModelBounds(readModelSize(dir), { lengths: { 'max-length': o['max-length'] } });
    const classifiers = dirs.map((dir) => ({ dir, ...loadClassifierDir(dir) }));
    const labels = classifiers[0].labels;
    for (const c of classifiers.slice(1))
      if (c.labels.join() !== labels.join())
        throw new UserError(
          `${c.dir}: classes ${c.labels.join(', ')} differ from ${classifiers[0].dir}'s ${labels.join(', ')}`,
        );

    let texts: string[];
    let examples: Example[] | undefined;
    if (o.eval !== undefined) {
      examples = await readLabelled(o.eval, labels, stderr);
      texts = examples.map((e) => e.text);
    } else if (o.file !== undefined) {
      texts = readLines(o.file, stderr);
    } else {
      texts = [positionals.join(' ')];
      if (texts[0].trim() === '') throw new UserError('the text is empty');
    }

    const tokenizer = gpt2Tokenizer();
    const perModel = classifiers.map((c) =>
      classifyTexts(c.model, labels, tokenizer, texts, { maxLength: o['max-length'] }),
    );
    const results = perModel.length === 1 ? perModel[0] : averageClassifications(perModel, labels);

    if (examples) {
      const n = examples.length;
      if (classifiers.length > 1)
        perModel.forEach((r, k) => {
          const correct = countCorrect(r, examples);
          stderr(`${classifiers[k].dir}: ${((100 * correct) / n).toFixed(2)}% (${correct} of ${n})\n`);
        });
      const correct = countCorrect(results, examples);
      const what = classifiers.length > 1 ? `the average of ${classifiers.length} classifiers` : dirs[0];
      stdout(
        o.json
          ? JSON.stringify({ examples: n, correct, accuracy: correct / n }) + '\n'
          : `accuracy ${((100 * correct) / n).toFixed(2)}% (${correct} of ${n}) for ${what}\n`,
      );
      return;
    }
    for (const r of results) {
      stdout(
        o.json
          ? JSON.stringify({ label: r.label, probability: r.probability }) + '\n'
          : `${r.label} (probability ${r.probability.toFixed(3)})\n`,
      );
    }
  },
});
