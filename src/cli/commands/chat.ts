import { createInterface } from 'node:readline';
import { UsageError } from '../../errors.js';
import { gpt2Tokenizer } from '../../llm/fundamentals.js';
import { loadInstructModel, respond } from '../../llm/instruct/respond.js';
import { applyWeightDType, DTYPE_OPTION, parseWeightDType } from '../../llm/weight-dtype.js';
import { defineCommand } from '../command.js';

// An interactive prompt: each line is an instruction, answered in the Alpaca format the model was
// fine-tuned on. `/input TEXT` gives the next instruction an input; `/quit` (or end of input) ends.
export const chatCommand = defineCommand({
  name: 'chat',
  summary: 'Talk to an instruction-tuned model: each line is an instruction, answered in the Alpaca format',
  usage: '--model DIR [options]',
  options: {
    model: { type: 'string', value: 'DIR', description: 'instruction-tuned model directory' },
    dtype: DTYPE_OPTION,
    'max-new-tokens': { type: 'integer', value: 'N', default: 256, description: 'longest answer' },
    temperature: { type: 'number', value: 'T', default: 0, description: 'sampling temperature; 0 is greedy' },
    'top-k': { type: 'integer', value: 'K', description: 'sample among the K most likely tokens' },
    seed: { type: 'integer', value: 'S', default: 123, description: 'seed for sampling' },
  },
  examples: [
    'llm-scratch chat --model runs/instruct/model',
    'printf "Name a colour.\\n/input 2 and 3\\nAdd the numbers.\\n" | llm-scratch chat --model runs/instruct/model',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!o.model) throw new UsageError('--model is required');
    if (o['max-new-tokens'] < 1) throw new UsageError('--max-new-tokens must be at least 1');
    const dtype = parseWeightDType(o.dtype);
    const model = applyWeightDType(loadInstructModel(o.model), dtype, o.model);
    const tokenizer = gpt2Tokenizer();
    const interactive = process.stdin.isTTY === true;
    if (interactive)
      stderr('Type an instruction (/input TEXT sets an input for the next one, /quit or Ctrl-D ends).\n');
    const rl = createInterface({ input: process.stdin, terminal: false });
    let input = '';
    const ask = () => interactive && stderr('> ');
    ask();
    let turn = 0;
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '/quit' || line === '/exit') break;
      if (line.startsWith('/input')) {
        input = line.slice('/input'.length).trim();
      } else if (line !== '') {
        const answer = respond(
          model,
          tokenizer,
          { instruction: line, input },
          {
            maxNewTokens: o['max-new-tokens'],
            temperature: o.temperature,
            topK: o['top-k'],
            seed: o.seed + turn++,
          },
        );
        stdout(`### Response:\n${answer}\n\n`);
        input = '';
      }
      ask();
    }
    rl.close();
  },
});
