import { UserError } from 'llm-scratch-core/errors';
import { parseIdList } from '../args.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { resolveModelDir } from '../model-dir.js';
import { checkIdsInVocabulary } from '../model-limits.js';

export const logitsCommand = defineCommand({
  name: 'logits',
  summary: "Print a model's logits for token ids (to check against other implementations)",
  usage: '--model DIR --ids 1,2,3 [--all] [--json]',
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      required: true,
      description:
        'model directory of any family (config.json + model.safetensors or shards) or a run directory',
    },
    ids: { type: 'string', value: '1,2,3', required: true, description: 'input token ids' },
    all: { type: 'boolean', description: "every position's logits, not only the last" },
    json: {
      type: 'boolean',
      description: 'print {"logits": [[...]]} (the only output format; accepted for symmetry)',
    },
  },
  examples: ['llm-scratch logits --model runs/verdict/final --ids 464,1893 --json'],
  async run({ options, stdout }) {
    // Loaded here, so that other commands start without them.
    const { checkModelDir, loadModel } = await import('../../llm/families/load.js');
    const { noGrad, Tensor } = await import('../../tensor/index.js');
    const ids = parseIdList('ids', options.ids);
    const modelDir = resolveModelDir(options.model);
    // The config and the weights' header, checked before options are checked against them.
    const { config: size } = checkModelDir(modelDir);
    checkIdsInVocabulary('ids', ids, size);
    if (ids.length > size.contextLength)
      throw new UserError(
        `--ids: ${ids.length} ids are more than the model's context length of ${size.contextLength}`,
      );
    const model = loadModel(modelDir).eval();
    const logits = noGrad(() =>
      model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]), { lastOnly: !options.all }),
    );
    const rows = (logits.toArray() as number[][][])[0];
    stdout(JSON.stringify({ logits: rows }) + '\n');
  },
});
