import { UsageError, UserError } from '../../errors.js';
import { checkIdsInVocabulary, parseIdList } from '../args.js';
import { defineCommand } from '../command.js';

export const logitsCommand = defineCommand({
  name: 'logits',
  summary: "Print a model's logits for token ids (to check against other implementations)",
  usage: '--model DIR --ids 1,2,3 [--all] [--json]',
  options: {
    model: { type: 'string', value: 'DIR', description: 'model directory (model.safetensors + config.json)' },
    ids: { type: 'string', value: '1,2,3', description: 'input token ids' },
    all: { type: 'boolean', description: "every position's logits, not only the last" },
    json: {
      type: 'boolean',
      description: 'print {"logits": [[...]]} (the only output format; accepted for symmetry)',
    },
  },
  examples: ['llm-scratch logits --model runs/verdict/final --ids 464,1893 --json'],
  async run({ options, stdout }) {
    // Loaded here, so that other commands start without them.
    const { loadModelDir } = await import('../../io/gpt2.js');
    const { noGrad, Tensor } = await import('../../tensor/index.js');
    if (!options.model) throw new UsageError('--model is required');
    if (options.ids === undefined) throw new UsageError('--ids is required');
    const ids = parseIdList('ids', options.ids);
    const model = loadModelDir(options.model).eval();
    const { vocabSize, contextLength } = model.config;
    checkIdsInVocabulary(ids, vocabSize);
    if (ids.length > contextLength)
      throw new UserError(`${ids.length} ids exceed the context length ${contextLength}`);
    const logits = noGrad(() =>
      model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]), { lastOnly: !options.all }),
    );
    const rows = (logits.toArray() as number[][][])[0];
    stdout(JSON.stringify({ logits: rows }) + '\n');
  },
});
