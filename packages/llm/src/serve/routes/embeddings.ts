// POST /v1/embeddings in OpenAI's shape: each input's embedding is the mean over its tokens of the
// model's last hidden states (the final norm's output, what the output head reads), one vector of
// the model's embedding width. The model is causal, so early tokens see little of the text: this is
// a plain baseline, not a trained sentence encoder (docs/web-app.md). `encoding_format: base64` gives
// the float32 values' little-endian bytes, as OpenAI's does.
import type { FastifyInstance } from 'fastify';
import type { ModelShape } from '../../llm/families/family.js';
import { GPTModel } from '../../llm/gpt.js';
import { noGrad, Tensor } from '../../tensor/index.js';
import { pickModel, type ServeContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { ServedModel } from '../registry.js';
import { tokenInputIds, tokenInputSchema, type TokenInput } from '../openai/token-input.js';

interface EmbeddingsBody {
  model?: string;
  input: TokenInput;
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
}

const MAX_INPUTS = 256;

function embeddingsSchema(ctx: ServeContext) {
  return {
    type: 'object',
    required: ['input'],
    properties: {
      model: { type: 'string', minLength: 1 },
      input: tokenInputSchema(ctx.limits.maxPromptChars, MAX_INPUTS),
      encoding_format: { type: 'string', enum: ['float', 'base64'] },
      dimensions: { type: 'integer', minimum: 1 },
    },
  } as const;
}

// The mean of the last hidden states of the ids (T), a vector of the model's width (C).
export function meanHiddenState(served: Pick<ServedModel, 'model'>, ids: readonly number[]): Float32Array {
  return noGrad(() => {
    const h = served.model.forward(new Tensor(Int32Array.from(ids), [1, ids.length]), { hidden: true }); // (1, T, C)
    return h.mean(1).reshape([h.shape[2]]).f32().slice(); // (C)
  });
}

// Every family's config names its width embDim.
export function embeddingWidth(served: Pick<ServedModel, 'config'>): number {
  return (served.config as ModelShape & { embDim: number }).embDim;
}

// Each input's ids, none longer than the model's context.
async function inputIds(input: TokenInput, served: ServedModel): Promise<number[][]> {
  const all = await tokenInputIds(input, served, 'input');
  const { contextLength } = served.config;
  all.forEach((ids, i) => {
    if (ids.length > contextLength)
      throw new ApiError(
        400,
        `input: item ${i} has ${ids.length} tokens, more than the model's context of ${contextLength}`,
        'input',
        'context_length_exceeded',
      );
  });
  return all;
}

export function embeddingsRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: EmbeddingsBody }>(
    '/v1/embeddings',
    { schema: { body: embeddingsSchema(ctx) } },
    async (request) => {
      const body = request.body;
      const served = pickModel(ctx, body.model, ['base', 'instruct'], '/v1/embeddings');
      if (served.model instanceof GPTModel && served.model.decodeOnly)
        throw new ApiError(
          400,
          `model: '${served.name}' keeps its weights in bf16 for decoding only; serve it without --dtype bf16 for embeddings`,
          'model',
          'model_not_supported',
        );
      const width = embeddingWidth(served);
      if (body.dimensions !== undefined && body.dimensions !== width)
        throw new ApiError(
          400,
          `dimensions: this model's embeddings have ${width} dimensions, not ${body.dimensions}`,
          'dimensions',
          'invalid_value',
        );
      const all = await inputIds(body.input, served);
      const vectors = await served.queue.run(async () => all.map((ids) => meanHiddenState(served, ids)));
      const tokens = all.reduce((sum, ids) => sum + ids.length, 0);
      return {
        object: 'list',
        data: vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding:
            body.encoding_format === 'base64'
              ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
              : Array.from(v),
        })),
        model: served.name,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  );
}
