// POST /v1/classify: the label a classifier (chapter 6) gives a text, with every label's probability.
import type { FastifyInstance } from 'fastify';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { classifierMaxLength, classifyTexts, encodeTexts } from '../../llm/classifier.js';
import { GPTModel } from '../../llm/gpt.js';
import { disconnectSignal, pickModel, type ServeContext } from '../context.js';
import { AbortedError } from '../queue.js';

interface ClassifyBody {
  model?: string;
  text: string;
}

function classifySchema(ctx: ServeContext) {
  return {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: {
      model: { type: 'string', minLength: 1 },
      text: { type: 'string', minLength: 1, maxLength: ctx.limits.maxPromptChars },
    },
  } as const;
}

export function classifyRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: ClassifyBody }>(
    '/v1/classify',
    { schema: { body: classifySchema(ctx) } },
    async (request, reply) => {
      const served = pickModel(ctx, request.body.model, ['classifier'], '/v1/classify');
      const labels = served.labels!;
      const model = served.model;
      // Classifiers are GPT-2 models of this project (loadClassifierDir).
      if (!(model instanceof GPTModel))
        throw new Error(`${served.name}: a classifier that is not a GPT-2 model`);
      const maxLength = classifierMaxLength(model);
      const { ids, truncated } = encodeTexts(ctx.tokenizer, [request.body.text], maxLength);
      const signal = disconnectSignal(reply);
      return served.queue.run(async () => {
        // Let a disconnect that came while waiting be seen before the forward pass.
        await nextTurn();
        if (signal.aborted) throw new AbortedError('the client disconnected');
        const [result] = classifyTexts(model, labels, ctx.tokenizer, [request.body.text], {
          maxLength,
        });
        return reply.send({
          model: served.name,
          label: result.label,
          probability: result.probability,
          probabilities: result.probabilities,
          labels,
          tokens: ids[0].length,
          truncated: truncated > 0,
          maxLength,
        });
      }, signal);
    },
  );
}
