// The request fields that /v1/completions and /v1/chat/completions share, as JSON schema (checked
// by Fastify before a route runs) and as the options a choice runs with. Fields OpenAI has and
// these routes do not use (penalties, user, logit_bias, ...) are accepted and ignored, as OpenAI's
// own server ignores what a model does not support; fields that would change the answer in a way
// this server cannot honour are refused (see refuseUnsupported).
import type { ServeContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { SamplingOptions } from '../generation.js';

// A request's choices at most (n times the prompts of /v1/completions): they decode together.
export const MAX_CHOICES = 16;
// Seed of a request that sets none: the same request gets the same answer.
export const DEFAULT_SEED = 123;

export interface SharedBody {
  model?: string;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number;
  seed?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
}

export function sharedProperties(ctx: ServeContext) {
  return {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: ['integer', 'null'], minimum: 1, maximum: ctx.limits.maxNewTokens },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1 },
    // Not OpenAI's; vLLM's and this project's other endpoints'.
    top_k: { type: 'integer', minimum: 1 },
    seed: { type: ['integer', 'null'], minimum: 0, maximum: 2 ** 32 - 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: MAX_CHOICES },
    stop: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', maxItems: 4, items: { type: 'string', minLength: 1 } },
        { type: 'null' },
      ],
    },
    stream: { type: ['boolean', 'null'] },
    stream_options: {
      type: ['object', 'null'],
      properties: { include_usage: { type: 'boolean' } },
    },
  } as const;
}

export function stopsOf(stop: SharedBody['stop']): string[] {
  if (stop === undefined || stop === null) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

// Choice `index`'s sampling: greedy by default (the book evaluates greedily), and each choice its
// own stream of random numbers, seeded seed + index.
export function samplingOf(body: SharedBody, maxTokens: number, index: number): SamplingOptions {
  return {
    maxNewTokens: maxTokens,
    temperature: body.temperature ?? 0,
    topK: body.top_k,
    topP: body.top_p ?? undefined,
    seed: ((body.seed ?? DEFAULT_SEED) + index) % 2 ** 32,
  };
}

// Asked-for behaviour this server does not have: refused rather than silently answered without it.
export function refuseUnsupported(
  body: Record<string, unknown>,
  fields: Record<string, (v: unknown) => boolean>,
) {
  for (const [field, unsupported] of Object.entries(fields))
    if (body[field] !== undefined && body[field] !== null && unsupported(body[field]))
      throw new ApiError(400, `${field}: not supported by this server`, field, 'unsupported_value');
}

export function usage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}
