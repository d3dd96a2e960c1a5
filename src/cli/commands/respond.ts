import { UsageError, UserError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { gpt2Tokenizer } from '../../llm/fundamentals.js';
import { loadInstructionData, splitInstructionData } from '../../llm/instruction.js';
import { INSTRUCT_DEFAULTS, RESPONSES_FILE } from '../../llm/instruct/finetune.js';
import { loadInstructModel, respondAll } from '../../llm/instruct/respond.js';
import { applyWeightDType, DTYPE_OPTION, parseWeightDType } from '../../llm/weight-dtype.js';
import { defineCommand } from '../command.js';

export const respondCommand = defineCommand({
  name: 'respond',
  summary: "Answer instructions with a fine-tuned model and write them with 'model_response' (section 7.7)",
  usage: '--model DIR [--data FILE] [--out FILE] [options]',
  options: {
    model: { type: 'string', value: 'DIR', description: 'instruction-tuned model directory' },
    dtype: DTYPE_OPTION,
    data: {
      type: 'string',
      value: 'FILE',
      default: INSTRUCT_DEFAULTS.data,
      description: 'JSON or JSONL records',
    },
    split: {
      type: 'string',
      value: 'test|val|train|all',
      default: 'test',
      description: "which part of the book's 85/10/5 split to answer",
    },
    limit: { type: 'integer', value: 'N', description: 'answer only the first N entries' },
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
      description: 'longest response',
    },
    'no-progress': { type: 'boolean', description: 'no progress line' },
    json: { type: 'boolean', description: 'print the responses as JSON on stdout too' },
  },
  examples: ['llm-scratch respond --model runs/instruct/model --out runs/instruct/responses.json --limit 10'],
  async run({ options: o, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!o.model) throw new UsageError('--model is required');
    if (o.limit !== undefined && o.limit < 1) throw new UsageError('--limit must be at least 1');
    if (o['max-new-tokens'] < 1) throw new UsageError('--max-new-tokens must be at least 1');
    const all = loadInstructionData(o.data);
    const parts = { ...splitInstructionData(all), all };
    if (!(o.split in parts))
      throw new UsageError(`--split must be test, val, train or all, got '${o.split}'`);
    let entries = parts[o.split as keyof typeof parts];
    if (o.limit !== undefined) entries = entries.slice(0, o.limit);
    if (entries.length === 0) throw new UserError(`${o.data}: the ${o.split} part is empty`);
    const dtype = parseWeightDType(o.dtype);
    const model = applyWeightDType(loadInstructModel(o.model), dtype, o.model);
    const tokenizer = gpt2Tokenizer();
    const started = performance.now();
    const out = await respondAll(model, tokenizer, entries, { maxNewTokens: o['max-new-tokens'] }, (done) => {
      if (!o['no-progress']) stderr(`\rresponses: ${done}/${entries.length}`);
    });
    if (!o['no-progress']) stderr('\n');
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
