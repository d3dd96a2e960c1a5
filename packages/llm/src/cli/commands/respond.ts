import { UsageError, UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import { INSTRUCT_DEFAULTS, RESPONSES_FILE } from '../../llm/instruct/defaults.js';
import { counter } from 'llm-scratch-core/terminal';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { DTYPE_OPTION, weightDType } from '../dtype-option.js';
import { requireFile, requireOutputFile } from 'llm-scratch-core/cli/file-checks';
import { resolveModelDir } from '../model-dir.js';

export const respondCommand = defineCommand({
  name: 'respond',
  summary: "Answer instructions with a fine-tuned model and write them with 'model_response' (section 7.7)",
  usage: '--model DIR [--data FILE] [--out FILE] [options]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      required: true,
      description: 'instruction-tuned model directory, or the run directory of finetune-instruct or dpo',
    },
    dtype: DTYPE_OPTION,
    data: {
      type: 'string',
      value: 'FILE',
      description: "JSON or JSONL records (default: the package's data/instruction-data.json)",
    },
    split: {
      type: 'string',
      value: 'test|val|train|all',
      default: 'test',
      choices: ['test', 'val', 'train', 'all'],
      description: "which part of the book's 85/10/5 split to answer",
    },
    limit: { type: 'integer', value: 'N', min: 1, description: 'answer only the first N entries' },
    out: {
      type: 'string',
      value: 'FILE',
      default: RESPONSES_FILE,
      description: 'where to write the responses',
    },
    'max-new-tokens': {
      type: 'integer',
      value: 'N',
      default: INSTRUCT_DEFAULTS.maxNewTokens,
      min: 1,
      description: 'longest response',
    },
    'no-progress': { type: 'boolean', description: 'no progress line' },
    json: { type: 'boolean', description: 'print the responses as JSON on stdout too' },
  },
  examples: ['llm-scratch respond --model runs/instruct --out runs/instruct/responses.json --limit 10'],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { gpt2Tokenizer } = await import('../../llm/fundamentals.js');
    const { loadInstructionData, splitInstructionData } = await import('../../llm/instruction.js');
    const { loadInstructModel, respondAll } = await import('../../llm/instruct/respond.js');
    const { applyWeightDType } = await import('../../llm/weight-dtype.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const data = requireFile('data', o.data ?? INSTRUCT_DEFAULTS.data);
    requireOutputFile('out', o.out);
    const modelDir = resolveModelDir(o.model);
    const all = loadInstructionData(data);
    const parts = { ...splitInstructionData(all), all };
    let entries = parts[o.split as keyof typeof parts];
    if (o.limit !== undefined) entries = entries.slice(0, o.limit);
    if (entries.length === 0) throw new UserError(`${data}: the ${o.split} part is empty`);
    const model = applyWeightDType(loadInstructModel(modelDir), weightDType(o.dtype), modelDir);
    const tokenizer = gpt2Tokenizer();
    const started = performance.now();
    const shown = counter(stderr, 'responses', entries.length);
    let cropped = 0;
    const options = { maxNewTokens: o['max-new-tokens'], onCropped: () => cropped++ };
    const out = await respondAll(model, tokenizer, entries, options, (done) => {
      if (!o['no-progress']) shown.update(done);
    });
    shown.end();
    if (cropped > 0)
      stderr(
        `warning: ${cropped} of ${entries.length} prompts are longer than the model's context of ${model.config.contextLength} tokens: their beginnings were cropped\n`,
      );
    writeFileAtomic(o.out, [JSON.stringify(out, null, 4) + '\n']);
    const seconds = (performance.now() - started) / 1000;
    if (o.json) stdout(JSON.stringify(out) + '\n');
    else {
      for (const e of out.slice(0, 3))
        stdout(
          `### Instruction:\n${e.instruction}\n\n### Response:\n${e.model_response}\n\n### Reference:\n${e.output}\n---\n`,
        );
      stdout(`wrote ${out.length} responses to ${o.out} in ${seconds.toFixed(1)} s\n`);
    }
  },
});
