import { loadModelDir } from '../../io/gpt2.js';
import { loadTokenizer } from '../../llm/fundamentals.js';
import { generate } from '../../llm/generate.js';
import { applyWeightDType, DTYPE_OPTION, parseWeightDType } from '../../llm/weight-dtype.js';
import { UsageError, UserError } from '../../errors.js';
import { checkIdsInVocabulary, parseIdList } from '../args.js';
import { defineCommand } from '../command.js';

const END_OF_TEXT = 50256;

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'Continue a prompt with a model (greedy or sampled), streaming tokens as they come',
  usage: '--model DIR (--prompt TEXT | --ids 1,2,3) [options]',
  options: {
    model: { type: 'string', value: 'DIR', description: 'model directory (model.safetensors + config.json)' },
    prompt: { type: 'string', value: 'TEXT', description: 'text to continue' },
    ids: { type: 'string', value: '1,2,3', description: 'token ids to continue, instead of --prompt' },
    encoding: { type: 'string', value: 'gpt2|DIR', default: 'gpt2', description: 'tokenizer' },
    'max-new-tokens': { type: 'integer', value: 'N', default: 50, description: 'tokens to generate' },
    temperature: { type: 'number', value: 'T', default: 0, description: 'sampling temperature; 0 is greedy' },
    'top-k': { type: 'integer', value: 'K', description: 'sample only among the K most likely tokens' },
    'top-p': { type: 'number', value: 'P', description: 'sample only within probability mass P' },
    seed: { type: 'integer', value: 'S', default: 123, description: 'seed for sampling' },
    'eos-id': {
      type: 'integer',
      value: 'ID',
      default: END_OF_TEXT,
      description: 'stop at this token (-1: never)',
    },
    'no-kv-cache': { type: 'boolean', description: 'recompute the whole context for every token' },
    dtype: DTYPE_OPTION,
    json: {
      type: 'boolean',
      description: 'print {"promptIds","newIds","text"} as JSON instead of streaming',
    },
  },
  examples: [
    'llm-scratch generate --model runs/verdict/final --prompt "Every effort moves you" --max-new-tokens 25',
    'llm-scratch generate --model path/to/gpt2 --prompt "Hello" --temperature 1.4 --top-k 25 --seed 123',
  ],
  run({ options, positionals, stdout }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!options.model) throw new UsageError('--model is required');
    if ((options.prompt === undefined) === (options.ids === undefined)) {
      throw new UsageError('give exactly one of --prompt and --ids');
    }
    if (options['max-new-tokens'] < 0) throw new UsageError('--max-new-tokens must be >= 0');
    if (options['top-p'] !== undefined && !(options['top-p'] > 0 && options['top-p'] <= 1)) {
      throw new UsageError('--top-p must be in (0, 1]');
    }
    const tokenizer = loadTokenizer(options.encoding);
    const dtype = parseWeightDType(options.dtype);
    if (dtype === 'bf16' && options['no-kv-cache']) {
      throw new UsageError('--dtype bf16 decodes with the KV cache; drop --no-kv-cache (or use --dtype f32)');
    }
    // A bf16 file recomputing without the cache is widened and runs in f32.
    const model = applyWeightDType(
      loadModelDir(options.model),
      options['no-kv-cache'] ? 'f32' : dtype,
      options.model,
    );
    const promptIds =
      options.ids !== undefined
        ? parseIdList('ids', options.ids)
        : tokenizer.encode(options.prompt!, { allowedSpecial: 'all' });
    checkIdsInVocabulary(promptIds, model.config.vocabSize);
    if (promptIds.length === 0) throw new UserError('the prompt is empty');
    // Stream text as soon as each token completes a character (a token may end mid UTF-8 sequence).
    const decoder = new TextDecoder('utf-8');
    if (!options.json && options.prompt !== undefined) stdout(options.prompt);
    const newIds = generate(model, promptIds, {
      maxNewTokens: options['max-new-tokens'],
      temperature: options.temperature,
      topK: options['top-k'],
      topP: options['top-p'],
      seed: options.seed,
      eosId: options['eos-id'] >= 0 ? options['eos-id'] : undefined,
      kvCache: !options['no-kv-cache'],
      onToken: options.json
        ? undefined
        : (id) => stdout(decoder.decode(tokenizer.decodeBytes([id]), { stream: true })),
    });
    if (options.json) {
      stdout(JSON.stringify({ promptIds, newIds, text: tokenizer.decode(newIds) }) + '\n');
    } else {
      stdout(decoder.decode() + '\n');
    }
  },
});
