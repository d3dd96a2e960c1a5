import { UsageError, UserError } from 'llm-scratch-core/errors';
import { parseIdList, SEED_RANGE } from '../args.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { DTYPE_OPTION, weightDType } from '../dtype-option.js';
import { resolveModelDir } from '../model-dir.js';
import { checkIdsInVocabulary, checkModelBounds } from '../model-limits.js';

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
    encoding: {
      type: 'string',
      value: 'gpt2|DIR',
      description:
        "tokenizer (default: gpt2 for GPT-2 models, the model directory's tokenizer for other families)",
    },
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
      min: -1,
      description: "stop at this token (-1: never; default: config.json's eos_token_id, 50256 for GPT-2)",
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
    const { checkModelDir } = await import('../../llm/families/load.js');
    const { loadTokenizer } = await import('../../llm/fundamentals.js');
    const { generate, promptWindow } = await import('../../llm/generate.js');
    const { loadForInference } = await import('../../llm/weight-dtype.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if ((options.prompt === undefined) === (options.ids === undefined)) {
      throw new UsageError('give exactly one of --prompt and --ids');
    }
    const modelDir = resolveModelDir(options.model);
    const dtype = weightDType(options.dtype);
    // The config and the weights' header, checked before options are checked against them.
    const { family, config: size, eosTokenIds } = checkModelDir(modelDir);
    const isGPT2 = family.name === 'gpt2';
    if (isGPT2 && dtype === 'bf16' && options['no-kv-cache']) {
      throw new UsageError(
        '--dtype bf16 decodes GPT-2 with the KV cache; drop --no-kv-cache (or use --dtype f32)',
      );
    }
    // A model's own tokenizer comes from its directory. On --ids, text is only a courtesy: a model
    // whose tokenizer cannot be loaded, or does not know an id (a small random model beside the
    // real tokenizer of its family), still generates, with text null (ids when streaming).
    const encoding = options.encoding ?? (isGPT2 ? 'gpt2' : modelDir);
    const courtesy = options.ids !== undefined && options.encoding === undefined;
    const attempt = <R>(work: () => R): R | null => {
      try {
        return work();
      } catch (err) {
        if (!courtesy) throw err;
        return null;
      }
    };
    const tokenizer = attempt(() => loadTokenizer(encoding));
    const promptIds =
      options.ids !== undefined
        ? parseIdList('ids', options.ids)
        : tokenizer!.encode(options.prompt!, { allowedSpecial: 'all' });
    if (promptIds.length === 0) throw new UserError('the prompt is empty');
    checkIdsInVocabulary(options.ids !== undefined ? 'ids' : 'prompt', promptIds, size);
    // GPT-2 stops at <|endoftext|> unless told otherwise, checked like a given id as it always was;
    // another family at its config's end tokens, those outside a small model's vocabulary ignored.
    const eosGiven = options['eos-id'] ?? (isGPT2 ? eosTokenIds[0] : undefined);
    checkModelBounds(size, {
      tokenIds: { 'eos-id': eosGiven },
      vocabularyCounts: { 'top-k': options['top-k'] },
    });
    const eosIds =
      eosGiven !== undefined
        ? eosGiven >= 0
          ? [eosGiven]
          : []
        : eosTokenIds.filter((id) => id < size.vocabSize);
    // A bf16 GPT-2 file recomputing without the cache is widened and runs in f32 (its bf16 serves
    // the decoder only); the other families run bf16 either way.
    const model = loadForInference(modelDir, isGPT2 && options['no-kv-cache'] ? 'f32' : dtype);
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
      eosIds,
      kvCache: !options['no-kv-cache'],
      onToken: options.json
        ? undefined
        : (id) => {
            const bytes = tokenizer && attempt(() => tokenizer.decodeBytes([id]));
            stdout(bytes ? decoder.decode(bytes, { stream: true }) : `${id} `);
          },
    });
    if (options.json) {
      const text = tokenizer && attempt(() => tokenizer.decode(newIds));
      stdout(JSON.stringify({ promptIds, newIds, text }) + '\n');
    } else {
      stdout(decoder.decode() + '\n');
    }
  },
});
