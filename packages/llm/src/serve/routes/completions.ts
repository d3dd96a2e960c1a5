// POST /v1/completions in OpenAI's shape: a prompt (a string, strings, token ids or lists of them)
// continued by any served language model, n choices per prompt, streamed as `text_completion`
// chunks ending with `data: [DONE]`.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { now } from 'llm-scratch-core/clock';
import { disconnectSignal, pickModel, type ServeContext } from '../context.js';
import { ApiError } from '../errors.js';
import { EventStream } from '../sse.js';
import { runChoice, type ChoiceResult, type ChoiceToken } from '../openai/choice.js';
import {
  MAX_CHOICES,
  refuseUnsupported,
  samplingOf,
  sharedProperties,
  stopsOf,
  usage,
  type SharedBody,
} from '../openai/params.js';
import { completionLogprobs } from '../openai/shapes.js';
import { tokenInputIds, tokenInputSchema, type TokenInput } from '../openai/token-input.js';

interface CompletionBody extends SharedBody {
  prompt: TokenInput;
  logprobs?: number | null;
}

// OpenAI's default for this endpoint.
const DEFAULT_MAX_TOKENS = 16;

function completionSchema(ctx: ServeContext) {
  return {
    type: 'object',
    required: ['prompt'],
    properties: {
      ...sharedProperties(ctx),
      prompt: tokenInputSchema(ctx.limits.maxPromptChars, MAX_CHOICES),
      logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5 },
    },
  } as const;
}

export function completionsRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: CompletionBody }>(
    '/v1/completions',
    { schema: { body: completionSchema(ctx) } },
    async (request, reply) => {
      const body = request.body;
      refuseUnsupported(body as unknown as Record<string, unknown>, {
        echo: (v) => v === true,
        suffix: (v) => v !== '',
        best_of: (v) => v !== 1 && v !== body.n,
      });
      const served = pickModel(ctx, body.model, ['base', 'instruct'], '/v1/completions');
      const prompts = await tokenInputIds(body.prompt, served, 'prompt');
      const n = body.n ?? 1;
      if (prompts.length * n > MAX_CHOICES)
        throw new ApiError(
          400,
          `n: ${prompts.length} prompts times n=${n} is more than ${MAX_CHOICES} choices`,
          'n',
          'invalid_value',
        );
      const maxTokens = body.max_tokens ?? Math.min(DEFAULT_MAX_TOKENS, ctx.limits.maxNewTokens);
      const stop = stopsOf(body.stop);
      const topLogprobs = body.logprobs ?? undefined;
      const id = `cmpl-${randomUUID()}`;
      const created = Math.floor(now().getTime() / 1000);
      const promptTokens = prompts.reduce((sum, p) => sum + p.length, 0);
      const totalUsage = (results: ChoiceResult[]) =>
        usage(
          promptTokens,
          results.reduce((sum, r) => sum + r.completionTokens, 0),
        );
      const signal = disconnectSignal(reply);
      const logprobsOf = (tokens: ChoiceToken[] | null) =>
        tokens ? completionLogprobs(served.tokenizer, tokens) : null;
      const run = (
        onDelta?: (index: number, text: string, tokens: ChoiceToken[]) => void,
        onDone?: (index: number, r: ChoiceResult) => void,
      ) =>
        Promise.all(
          prompts.flatMap((promptIds, p) =>
            Array.from({ length: n }, async (_, i) => {
              const index = p * n + i;
              const result = await runChoice(served, promptIds, {
                sampling: samplingOf(body, maxTokens, i),
                stop,
                topLogprobs,
                signal,
                onDelta: onDelta && ((text, tokens) => onDelta(index, text, tokens)),
              });
              onDone?.(index, result);
              return result;
            }),
          ),
        );
      return served.queue.run(async () => {
        if (!body.stream) {
          const results = await run();
          return reply.send({
            id,
            object: 'text_completion',
            created,
            model: served.name,
            choices: results.map((r, index) => ({
              index,
              text: r.text,
              logprobs: logprobsOf(r.tokens),
              finish_reason: r.finishReason,
            })),
            usage: totalUsage(results),
          });
        }
        const events = new EventStream(reply);
        const includeUsage = body.stream_options?.include_usage === true;
        const chunk = (choices: object[]) => ({
          id,
          object: 'text_completion',
          created,
          model: served.name,
          choices,
          ...(includeUsage ? { usage: null } : {}),
        });
        try {
          const results = await run(
            (index, text, tokens) =>
              events.send(
                chunk([
                  {
                    index,
                    text,
                    logprobs: logprobsOf(topLogprobs === undefined ? null : tokens),
                    finish_reason: null,
                  },
                ]),
              ),
            (index, r) =>
              events.send(chunk([{ index, text: '', logprobs: null, finish_reason: r.finishReason }])),
          );
          if (includeUsage) events.send({ ...chunk([]), usage: totalUsage(results) });
          events.sendRaw('[DONE]');
        } catch (err) {
          request.log.error(err);
          events.send({
            error: { message: 'generation failed', type: 'server_error', param: null, code: null },
          });
        } finally {
          events.end();
        }
        return reply;
      }, signal);
    },
  );
}
