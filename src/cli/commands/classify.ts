import { existsSync, readFileSync, statSync } from 'node:fs';
import { UsageError, UserError } from '../../errors.js';
import { classifyTexts, loadClassifierDir } from '../../llm/classifier.js';
import { gpt2Tokenizer } from '../../llm/fundamentals.js';
import { defineCommand } from '../command.js';

export const classifyCommand = defineCommand({
  name: 'classify',
  summary: 'Classify texts with a fine-tuned classifier: the label and its probability',
  usage: '--model DIR (TEXT | --file F) [--json]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      description: 'a classifier directory (finetune-classifier --out)',
    },
    file: { type: 'string', value: 'F', description: 'classify each non-empty line of F' },
    'max-length': {
      type: 'integer',
      value: 'N',
      description: 'pad and cut to N tokens (default: the length it was trained with)',
    },
    json: { type: 'boolean', description: 'one {"label","probability"} object per text' },
  },
  examples: [
    'llm-scratch classify --model runs/spam "You are a winner! Claim your free prize now"',
    'llm-scratch classify --model runs/spam --file messages.txt --json',
  ],
  run({ options: o, positionals, stdout, stderr }) {
    if (!o.model) throw new UsageError('--model is required');
    if ((o.file === undefined) === (positionals.length === 0))
      throw new UsageError('give the text to classify or --file F (not both)');
    if (o['max-length'] !== undefined && o['max-length'] < 1)
      throw new UsageError('--max-length must be at least 1');
    let texts: string[];
    if (o.file !== undefined) {
      if (!existsSync(o.file)) throw new UserError(`cannot read ${o.file}: no such file`);
      if (statSync(o.file).isDirectory()) throw new UserError(`cannot read ${o.file}: is a directory`);
      const lines = readFileSync(o.file, 'utf8').split(/\r?\n/);
      texts = lines.filter((l) => l.trim() !== '');
      const blank = lines.length - texts.length - (lines.at(-1) === '' ? 1 : 0);
      if (blank > 0) stderr(`skipped ${blank} empty line${blank === 1 ? '' : 's'}\n`);
      if (texts.length === 0) throw new UserError(`${o.file}: no text to classify`);
    } else {
      texts = [positionals.join(' ')];
      if (texts[0].trim() === '') throw new UserError('the text is empty');
    }
    const { model, labels } = loadClassifierDir(o.model);
    const results = classifyTexts(model, labels, gpt2Tokenizer(), texts, { maxLength: o['max-length'] });
    for (const r of results) {
      stdout(
        o.json
          ? JSON.stringify({ label: r.label, probability: r.probability }) + '\n'
          : `${r.label} (probability ${r.probability.toFixed(3)})\n`,
      );
    }
  },
});
