import { UsageError, UserError } from '../../errors.js';
import { parseIdList, SEED_RANGE } from '../args.js';
import { defineCommand } from '../command.js';
import { DTYPE_OPTION, weightDType } from '../dtype-option.js';
import { resolveModelDir } from '../model-dir.js';
import { checkIdsInVocabulary, checkModelBounds } from '../model-limits.js';

const END_OF_TEXT = 50256;

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'Continue a prompt with a model (greedy or sampled), streaming tokens as they come',
  usage: '--model DIR (--prompt TEXT | --ids 1,2,3) [options]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      required: true,
      description: 'model directory (model.safetensors + config.json) or a run directory',
    },
    prompt: { type: 'string', value: 'TEXT', description: 'text to continue' },
    ids: { type: 'string', value: '1,2,3', description: 'token ids to continue, instead of --prompt' },
    encoding: { type: 'string', value: 'gpt2|DIR', default: 'gpt2', description: 'tokenizer' },
    'max-new-tokens': {
      type: 'integer',
      value: 'N',
      default: 50,
      min: 1,
      description: 'tokens to generate',
    },
    temperature: {
      type: 'number',
      value: 'T',
      default: 0,
      min: 0,
      description: 'sampling temperature; 0 is greedy',
    },
    'top-k': {
      type: 'integer',
      value: 'K',
      min: 1,
      description: 'sample only among the K most likely tokens',
    },
    'top-p': {
      type: 'number',
      value: 'P',
      above: 0,
      max: 1,
      description: 'sample only within probability mass P',
    },
    seed: { type: 'integer', value: 'S', default: 123, ...SEED_RANGE, description: 'seed for sampling' },
    'eos-id': {
      type: 'integer',
      value: 'ID',
      default: END_OF_TEXT,
      min: -1,
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
  async run({ options, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { checkModelDir, loadModelDir } = await import('../../llm/families/gpt2.js');
    const { loadTokenizer } = await import('../../llm/fundamentals.js');
    const { generate, promptWindow } = await import('../../llm/generate.js');
    const { applyWeightDType } = await import('../../llm/weight-dtype.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if ((options.prompt === undefined) === (options.ids === undefined)) {
      throw new UsageError('give exactly one of --prompt and --ids');
    }
    const modelDir = resolveModelDir(options.model);
    const tokenizer = loadTokenizer(options.encoding);
    const dtype = weightDType(options.dtype);
    if (dtype === 'bf16' && options['no-kv-cache']) {
      throw new UsageError('--dtype bf16 decodes with the KV cache; drop --no-kv-cache (or use --dtype f32)');
    }
    const promptIds =
      options.ids !== undefined
        ? parseIdList('ids', options.ids)
        : tokenizer.encode(options.prompt!, { allowedSpecial: 'all' });
    if (promptIds.length === 0) throw new UserError('the prompt is empty');
    // The config and the weights' header, checked before options are checked against them.
    const size = checkModelDir(modelDir);
    checkIdsInVocabulary(options.ids !== undefined ? 'ids' : 'prompt', promptIds, size);
    checkModelBounds(size, {
      tokenIds: { 'eos-id': options['eos-id'] },
      vocabularyCounts: { 'top-k': options['top-k'] },
    });
    // A bf16 file recomputing without the cache is widened and runs in f32.
    const model = applyWeightDType(loadModelDir(modelDir), options['no-kv-cache'] ? 'f32' : dtype, modelDir);
    const window = promptWindow(promptIds.length, model.config.contextLength);
    if (window.cropped) stderr(`warning: ${window.warning}\n`);
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
