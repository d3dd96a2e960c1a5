// POST /v1/chat/completions in OpenAI's shape, for every served language model: the whole
// conversation (system messages and earlier turns included) is the prompt, rendered by the model's
// chat template, or in the book's Alpaca format for a model without one (openai/chat-prompt.ts;
// /v1/models says which as `chat_format`). An Alpaca answer is stripped as the book strips it.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { now } from 'llm-scratch-core/clock';
import { disconnectSignal, pickModel, type ServeContext } from '../context.js';
import { ApiError } from '../errors.js';
import { promptWindow } from '../generation.js';
import { alpacaPrompt, templatePrompt, type Message } from '../openai/chat-prompt.js';
import { runChoice, type ChoiceResult, type ChoiceToken } from '../openai/choice.js';
import { samplingOf, sharedProperties, stopsOf, usage, type SharedBody } from '../openai/params.js';
import { chatLogprobs } from '../openai/shapes.js';
import { EventStream } from '../sse.js';

interface ChatBody extends SharedBody {
  messages: Message[];
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
}

const DEFAULT_MAX_TOKENS = 256;

function chatSchema(ctx: ServeContext) {
  const shared = sharedProperties(ctx);
  return {
    type: 'object',
    required: ['messages'],
    properties: {
      ...shared,
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: 256,
        items: {
          type: 'object',
          required: ['role'],
          properties: {
            role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
            content: {
              anyOf: [
                { type: 'string', maxLength: ctx.limits.maxPromptChars },
                { type: 'null' },
                {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['type'],
                    properties: { type: { type: 'string' }, text: { type: 'string' } },
                  },
                },
              ],
            },
          },
        },
      },
      max_completion_tokens: shared.max_tokens,
      logprobs: { type: ['boolean', 'null'] },
      top_logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 20 },
    },
  } as const;
}

// Hands on text pieces as the book's strip() would leave the whole: leading white space dropped,
// trailing white space held back until more text follows, so that a stream adds up to the
// non-streamed answer. Returns the text to show now.
export function stripper(): (text: string) => string {
  let started = false;
  let held = '';
  return (text) => {
    const content = started ? held + text : text.trimStart();
    const visible = content.trimEnd();
    held = content.slice(visible.length);
    if (visible) started = true;
    return visible;
  };
}

export function chatRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: ChatBody }>(
    '/v1/chat/completions',
    { schema: { body: chatSchema(ctx) } },
    async (request, reply) => {
      const body = request.body;
      if (body.top_logprobs != null && body.logprobs !== true)
        throw new ApiError(400, 'top_logprobs: needs logprobs: true', 'top_logprobs', 'invalid_value');
      // A request that names no model talks to the first instruction-tuned one, if any.
      const name = body.model ?? ctx.registry.firstOf(['instruct'])?.name;
      const served = pickModel(ctx, name, ['base', 'instruct'], '/v1/chat/completions');
      const messages = body.messages.map((m) => ({ role: m.role, content: m.content ?? null }));
      const alpaca = served.chatTemplate === null;
      const promptText = served.chatTemplate
        ? templatePrompt(served.chatTemplate, messages)
        : alpacaPrompt(messages);
      // Alpaca text is plain text (special tokens as text); a template writes the special tokens.
      const promptIds = await served.tokenizer.encodeAsync(
        promptText,
        alpaca ? { disallowedSpecial: [] } : { allowedSpecial: 'all' },
      );
      const prompt = promptWindow(promptIds.length, served.config.contextLength);
      const maxTokens =
        body.max_completion_tokens ??
        body.max_tokens ??
        Math.min(DEFAULT_MAX_TOKENS, ctx.limits.maxNewTokens);
      const n = body.n ?? 1;
      const stop = stopsOf(body.stop);
      const topLogprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(now().getTime() / 1000);
      const totalUsage = (results: ChoiceResult[]) =>
        usage(
          promptIds.length,
          results.reduce((sum, r) => sum + r.completionTokens, 0),
        );
      const logprobsOf = (tokens: ChoiceToken[] | null) =>
        tokens ? chatLogprobs(served.tokenizer, tokens) : null;
      const signal = disconnectSignal(reply);
      const run = (
        onDelta?: (index: number, text: string, tokens: ChoiceToken[]) => void,
        onDone?: (index: number, r: ChoiceResult) => void,
      ) =>
        Promise.all(
          Array.from({ length: n }, async (_, index) => {
            const strip = alpaca ? stripper() : (text: string) => text;
            const result = await runChoice(served, promptIds, {
              sampling: samplingOf(body, maxTokens, index),
              stop,
              topLogprobs,
              signal,
              onDelta: onDelta && ((text, tokens) => onDelta(index, strip(text), tokens)),
            });
            onDone?.(index, result);
            return result;
          }),
        );
      const contentOf = (r: ChoiceResult) => (alpaca ? r.text.trim() : r.text);
      return served.queue.run(async () => {
        if (!body.stream) {
          const results = await run();
          return reply.send({
            id,
            object: 'chat.completion',
            created,
            model: served.name,
            choices: results.map((r, index) => ({
              index,
              message: { role: 'assistant', content: contentOf(r), refusal: null },
              logprobs: logprobsOf(r.tokens),
              finish_reason: r.finishReason,
            })),
            usage: totalUsage(results),
            prompt,
          });
        }
        const events = new EventStream(reply);
        const includeUsage = body.stream_options?.include_usage === true;
        const chunk = (choices: object[], extra: object = {}) => ({
          id,
          object: 'chat.completion.chunk',
          created,
          model: served.name,
          choices,
          ...(includeUsage ? { usage: null } : {}),
          ...extra,
        });
        try {
          for (let index = 0; index < n; index++)
            events.send(
              chunk(
                [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
                {
                  prompt,
                },
              ),
            );
          const results = await run(
            (index, content, tokens) => {
              if (!content && !(topLogprobs !== undefined && tokens.length)) return;
              const logprobs = topLogprobs === undefined ? null : logprobsOf(tokens);
              events.send(chunk([{ index, delta: { content }, logprobs, finish_reason: null }]));
            },
            (index, r) =>
              events.send(chunk([{ index, delta: {}, logprobs: null, finish_reason: r.finishReason }])),
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
