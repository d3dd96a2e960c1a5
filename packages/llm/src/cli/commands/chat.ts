import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import type { CausalLM } from '../../llm/families/family.js';
import type { GPTModel } from '../../llm/gpt.js';
import { SEED_RANGE } from '../args.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { DTYPE_OPTION, weightDType } from '../dtype-option.js';
import { resolveModelDir } from '../model-dir.js';
import { checkModelBounds, readModelSize } from '../model-limits.js';

// An interactive prompt: each line is an instruction, answered in the Alpaca format the model was
// fine-tuned on. `/input TEXT` gives the next instruction an input; `/quit` (or end of input) ends.
// A model directory with a chat template (a Hugging Face model's tokenizer_config.json) is talked to
// through its template instead, with its own tokenizer, and remembers the conversation.
export const chatCommand = defineCommand({
  name: 'chat',
  summary:
    "Talk to an instruction-tuned model: each line is an instruction, answered in the Alpaca format (or through the directory's chat template, when it has one)",
  usage: '--model DIR [options]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      required: true,
      description:
        'instruction-tuned model directory (any family with a chat template), or the run directory of finetune-instruct or dpo',
    },
    dtype: DTYPE_OPTION,
    'max-new-tokens': { type: 'integer', value: 'N', default: 256, min: 1, description: 'longest answer' },
    temperature: {
      type: 'number',
      value: 'T',
      default: 0,
      min: 0,
      description: 'sampling temperature; 0 is greedy',
    },
    'top-k': { type: 'integer', value: 'K', min: 1, description: 'sample among the K most likely tokens' },
    seed: { type: 'integer', value: 'S', default: 123, ...SEED_RANGE, description: 'seed for sampling' },
  },
  examples: [
    'llm-scratch chat --model runs/instruct',
    'printf "Name a colour.\\n/input 2 and 3\\nAdd the numbers.\\n" | llm-scratch chat --model runs/instruct/model',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { readModelKind } = await import('../../io/hub-config.js');
    const { gpt2Tokenizer } = await import('../../llm/fundamentals.js');
    const { loadInstructModel, respond } = await import('../../llm/instruct/respond.js');
    const { applyWeightDType, loadForInference } = await import('../../llm/weight-dtype.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const { TemplateChat } = await import('../../llm/instruct/template-chat.js');
    const modelDir = resolveModelDir(o.model);
    const { checkModelDir, readFamilyConfig } = await import('../../llm/families/load.js');
    const family = existsSync(join(modelDir, 'config.json'))
      ? readFamilyConfig(modelDir).family.name
      : 'gpt2';
    // A GPT-2 model answers in the book's Alpaca format unless its directory has a chat template.
    let gpt: GPTModel | null = null;
    let model: CausalLM;
    let templated: InstanceType<typeof TemplateChat> | null;
    if (family === 'gpt2') {
      checkModelBounds(readModelSize(modelDir), { vocabularyCounts: { 'top-k': o['top-k'] } });
      model = gpt = applyWeightDType(loadInstructModel(modelDir), weightDType(o.dtype), modelDir);
      const kind = existsSync(join(modelDir, 'config.json')) ? readModelKind(modelDir) : 'instruct';
      if (kind !== 'instruct')
        stderr(
          `note: ${modelDir} is a ${kind} (pretrained) model, not instruction-tuned: it continues the prompt's text rather than following the instruction\n`,
        );
      templated = TemplateChat.fromDirectory(modelDir);
    } else {
      // Llama 3, Qwen3, Gemma 3: the conversation goes through the directory's own chat template.
      checkModelBounds(checkModelDir(modelDir).config, { vocabularyCounts: { 'top-k': o['top-k'] } });
      templated = TemplateChat.fromDirectory(modelDir);
      if (!templated)
        throw new UserError(
          `${modelDir}: no chat template (tokenizer_config.json's chat_template or chat_template.jinja): a base ${family} model continues text; use generate --prompt`,
        );
      model = loadForInference(modelDir, weightDType(o.dtype)).eval();
    }
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
      } else if (line !== '' && templated) {
        const answer = templated.reply(model, line, {
          maxNewTokens: o['max-new-tokens'],
          temperature: o.temperature,
          topK: o['top-k'],
          seed: o.seed + turn++,
          onCropped: (w) => stderr(`warning: ${w.warning}\n`),
        });
        stdout(`${answer}\n\n`);
      } else if (line !== '' && gpt) {
        const answer = respond(
          gpt,
          tokenizer,
          { instruction: line, input },
          {
            maxNewTokens: o['max-new-tokens'],
            temperature: o.temperature,
            topK: o['top-k'],
            seed: o.seed + turn++,
            onCropped: (w) => stderr(`warning: ${w.warning}\n`),
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
