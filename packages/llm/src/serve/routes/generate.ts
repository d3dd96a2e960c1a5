// POST /v1/generate: continue a prompt, as one JSON answer or as server-sent events
// (`start` with the prompt window, one `token` per piece of text, `done` with the whole result).
import type { FastifyInstance } from 'fastify';
import { disconnectSignal, pickModel, type ServeContext } from '../context.js';
import { promptWindow, runGeneration } from '../generation.js';
import { EventStream } from '../sse.js';

interface GenerateBody {
  model?: string;
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  stream: boolean;
}

function generateSchema(ctx: ServeContext) {
  return {
    type: 'object',
    required: ['prompt'],
    additionalProperties: false,
    properties: {
      model: { type: 'string', minLength: 1 },
      prompt: { type: 'string', minLength: 1, maxLength: ctx.limits.maxPromptChars },
      maxNewTokens: { type: 'integer', minimum: 1, maximum: ctx.limits.maxNewTokens, default: 50 },
      temperature: { type: 'number', minimum: 0, maximum: 10, default: 0 },
      topK: { type: 'integer', minimum: 1 },
      topP: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1, default: 123 },
      stream: { type: 'boolean', default: false },
    },
  } as const;
}

export function generateRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: GenerateBody }>(
    '/v1/generate',
    { schema: { body: generateSchema(ctx) } },
    async (request, reply) => {
      const body = request.body;
      const served = pickModel(ctx, body.model, ['base', 'instruct'], '/v1/generate');
      const promptIds = await served.tokenizer.encodeAsync(body.prompt, { allowedSpecial: 'all' });
      const prompt = promptWindow(promptIds.length, served.config.contextLength);
      const sampling = {
        maxNewTokens: body.maxNewTokens,
        temperature: body.temperature,
        topK: body.topK,
        topP: body.topP,
        seed: body.seed,
      };
      const signal = disconnectSignal(reply);
      return served.queue.run(async () => {
        if (!body.stream) {
          const result = await runGeneration(served, promptIds, sampling, { signal });
          return reply.send({
            model: served.name,
            text: result.text,
            finishReason: result.finishReason,
            prompt,
            usage: { promptTokens: promptIds.length, completionTokens: result.ids.length },
          });
        }
        const events = new EventStream(reply);
        try {
          events.send({ model: served.name, prompt }, 'start');
          const result = await runGeneration(served, promptIds, sampling, {
            signal,
            onText: (text: string) => events.send({ text }, 'token'),
          });
          events.send(
            {
              text: result.text,
              finishReason: result.finishReason,
              usage: { promptTokens: promptIds.length, completionTokens: result.ids.length },
            },
            'done',
          );
        } catch (err) {
          request.log.error(err);
          events.send({ message: 'generation failed' }, 'error');
        } finally {
          events.end();
        }
        return reply;
      }, signal);
    },
  );
}
