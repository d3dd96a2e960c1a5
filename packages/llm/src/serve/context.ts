// What every route needs: the models, the tokenizer, the limits, and two helpers (which model a
// request means, and a signal that fires when its client goes away).
import type { FastifyReply } from 'fastify';
import type { ModelKind } from '../io/hub-config.js';
import type { BPETokenizer } from '../llm/fundamentals.js';
import { ApiError } from './errors.js';
import type { ModelRegistry, ServedModel } from './registry.js';

export interface Limits {
  // The most tokens one request may ask for.
  maxNewTokens: number;
  // The longest prompt or text accepted, in characters (tokenizing is itself work).
  maxPromptChars: number;
}

export const DEFAULT_LIMITS: Limits = { maxNewTokens: 1024, maxPromptChars: 100_000 };

export interface ServeContext {
  registry: ModelRegistry;
  tokenizer: BPETokenizer;
  limits: Limits;
  // Unix seconds, for OpenAI's `created` fields.
  startedAt: number;
}

// The named model (404 when none has that name), or the first served one of the kinds the endpoint
// accepts; 400 when the named model is of another kind.
export function pickModel(
  ctx: ServeContext,
  name: string | undefined,
  kinds: readonly ModelKind[],
  endpoint: string,
): ServedModel {
  const wanted = `a model of kind ${kinds.join(' or ')}`;
  if (name === undefined) {
    const first = ctx.registry.firstOf(kinds);
    if (!first)
      throw new ApiError(400, `${endpoint} needs ${wanted} and none is served`, 'model', 'model_not_found');
    return first;
  }
  const served = ctx.registry.get(name);
  if (!served) {
    const names = ctx.registry.list().map((m) => m.name);
    throw new ApiError(
      404,
      `model: unknown model '${name}'; served: ${names.join(', ')}`,
      'model',
      'model_not_found',
    );
  }
  if (!kinds.includes(served.kind))
    throw new ApiError(
      400,
      `model: '${name}' is of kind ${served.kind}; ${endpoint} needs ${wanted}`,
      'model',
      'model_not_supported',
    );
  return served;
}

// Fires when the client disconnects before its response is complete. The response's 'close' is the
// reliable sign: a request's own 'close' fires as soon as its body has been read.
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
