// POST /v1/chat/completions in OpenAI's shape, for instruction-tuned models. The book's models are
// trained on single-turn Alpaca prompts, so the last user message becomes the instruction and the
// model's answer is what it writes after '### Response:' (earlier turns are not part of the prompt).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { now } from 'llm-scratch-core/clock';
import { formatPrompt } from '../../llm/instruction.js';
import { ApiError } from '../errors.js';
import { disconnectSignal, pickModel, type ServeContext } from '../context.js';
import { promptWindow, runGeneration, type FinishReason } from '../generation.js';
import { EventStream } from '../sse.js';

type Content = string | Array<{ type: string; text?: string }>;

interface ChatBody {
  model?: string;
  messages: Array<{ role: string; content: Content | null }>;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature: number;
  top_p?: number;
  top_k?: number;
  seed: number;
  n?: number;
  stream: boolean;
  stream_options?: { include_usage?: boolean };
}

const DEFAULT_MAX_TOKENS = 256;

// OpenAI clients send many optional fields (penalties, logprobs, user, ...): unknown ones are
// accepted and ignored, the ones used here are checked.
function chatSchema(ctx: ServeContext) {
  const maxTokens = { type: 'integer', minimum: 1, maximum: ctx.limits.maxNewTokens } as const;
  return {
    type: 'object',
    required: ['messages'],
    properties: {
      model: { type: 'string', minLength: 1 },
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: 256,
        items: {
          type: 'object',
          required: ['role', 'content'],
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
      max_tokens: maxTokens,
      max_completion_tokens: maxTokens,
      // Greedy by default: the book evaluates its instruction model greedily.
      temperature: { type: 'number', minimum: 0, maximum: 2, default: 0 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      top_k: { type: 'integer', minimum: 1 },
      seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1, default: 123 },
      n: { type: 'integer', minimum: 1, maximum: 1 },
      stream: { type: 'boolean', default: false },
      stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
    },
  } as const;
}

function textOf(content: Content | null): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

// The Alpaca prompt for the conversation: its last user message is the instruction.
export function chatPrompt(messages: ChatBody['messages']): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  if (!lastUser) throw new ApiError(400, 'messages: no message with role user', 'messages');
  const instruction = textOf(lastUser.content).trim();
  if (!instruction) throw new ApiError(400, 'messages: the last user message is empty', 'messages');
  return formatPrompt({ instruction });
}

// Passes text pieces on as the book's strip() would leave the whole: leading white space dropped,
// trailing white space held back until more text follows, so that a stream adds up to the
// non-streamed answer.
export function strippedStream(send: (text: string) => void): (text: string) => void {
  let started = false;
  let held = '';
  return (text) => {
    const content = started ? held + text : text.trimStart();
    const visible = content.trimEnd();
    held = content.slice(visible.length);
    if (!visible) return;
    started = true;
    send(visible);
  };
}

// OpenAI's finish reasons: the end token is 'stop', the token limit 'length'.
function openaiFinish(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

export function chatRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: ChatBody }>(
    '/v1/chat/completions',
    { schema: { body: chatSchema(ctx) } },
    async (request, reply) => {
      const body = request.body;
      const served = pickModel(ctx, body.model, ['instruct'], '/v1/chat/completions');
      const promptText = chatPrompt(body.messages);
      const promptIds = await ctx.tokenizer.encodeAsync(promptText, { disallowedSpecial: [] });
      const prompt = promptWindow(promptIds.length, served.config.contextLength);
      const sampling = {
        maxNewTokens:
          body.max_completion_tokens ??
          body.max_tokens ??
          Math.min(DEFAULT_MAX_TOKENS, ctx.limits.maxNewTokens),
        temperature: body.temperature,
        topK: body.top_k,
        topP: body.top_p,
        seed: body.seed,
      };
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(now().getTime() / 1000);
      const usageOf = (completion: number) => ({
        prompt_tokens: promptIds.length,
        completion_tokens: completion,
        total_tokens: promptIds.length + completion,
      });
      const signal = disconnectSignal(reply);
      return served.queue.run(async () => {
        if (!body.stream) {
          const result = await runGeneration(served, ctx.tokenizer, promptIds, sampling, { signal });
          return reply.send({
            id,
            object: 'chat.completion',
            created,
            model: served.name,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: result.text.trim() },
                finish_reason: openaiFinish(result.finishReason),
              },
            ],
            usage: usageOf(result.ids.length),
            prompt,
          });
        }
        const events = new EventStream(reply);
        const chunk = (delta: object, finish: string | null, extra: object = {}) => ({
          id,
          object: 'chat.completion.chunk',
          created,
          model: served.name,
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...extra,
        });
        try {
          events.send(chunk({ role: 'assistant', content: '' }, null, { prompt }));
          const result = await runGeneration(served, ctx.tokenizer, promptIds, sampling, {
            signal,
            onText: strippedStream((content) => events.send(chunk({ content }, null))),
          });
          const usage = usageOf(result.ids.length);
          events.send(chunk({}, openaiFinish(result.finishReason), { usage }));
          if (body.stream_options?.include_usage)
            events.send({
              id,
              object: 'chat.completion.chunk',
              created,
              model: served.name,
              choices: [],
              usage,
            });
          events.sendRaw('[DONE]');
        } catch (err) {
          request.log.error(err);
          events.send({ error: { message: 'generation failed', type: 'server_error' } });
        } finally {
          events.end();
        }
        return reply;
      }, signal);
    },
  );
}
