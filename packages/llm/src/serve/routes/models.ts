// GET /v1/models (OpenAI's list shape, with each model's kind, family, config, parameter count, and
// the format its chat prompts take: `chat_template` or the book's `alpaca`),
// GET /v1/models/:name, and GET /healthz.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { ServeContext } from '../context.js';
import type { ServedModel } from '../registry.js';

function describeModel(m: ServedModel, ctx: ServeContext) {
  return {
    id: m.name,
    object: 'model',
    created: ctx.startedAt,
    owned_by: 'llm-scratch',
    kind: m.kind,
    family: m.family,
    ...(m.kind === 'classifier' ? {} : { chat_format: m.chatTemplate ? 'chat_template' : 'alpaca' }),
    parameters: m.parameters,
    config: m.config,
    ...(m.labels ? { labels: m.labels } : {}),
  };
}

export function modelsRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: ctx.registry.list().map((m) => describeModel(m, ctx)),
  }));

  app.get<{ Params: { name: string } }>('/v1/models/:name', async (request) => {
    const served = ctx.registry.get(request.params.name);
    if (!served)
      throw new ApiError(404, `model: unknown model '${request.params.name}'`, 'model', 'model_not_found');
    return describeModel(served, ctx);
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    uptimeSeconds: Math.round(Date.now() / 1000 - ctx.startedAt),
    models: ctx.registry.list().map((m) => ({
      name: m.name,
      kind: m.kind,
      busy: m.queue.busy,
      // Requests running now (generations decoded together, up to maxBatch) and waiting for a slot.
      running: m.queue.active,
      waiting: m.queue.pending,
      maxBatch: m.queue.slots,
      // The batcher's work so far: batched decode steps, and the most sequences one step decoded.
      ...(m.batcher ? { decodeSteps: m.batcher.steps, peakBatch: m.batcher.peakBatch } : {}),
    })),
  }));
}
