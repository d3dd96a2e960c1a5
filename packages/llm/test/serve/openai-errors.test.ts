// Errors as OpenAI's client sees them (APIError with the status, a string code and the field at
// fault), and the opt-in CORS headers for a browser page on another origin.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, startOpenAIServer, type OpenAIServer } from './openai-server.js';

let server: OpenAIServer;
let cors: OpenAIServer;
const ORIGIN = 'http://localhost:5173';
beforeAll(async () => {
  [server, cors] = await Promise.all([startOpenAIServer(), startOpenAIServer({ corsOrigin: ORIGIN })]);
});
afterAll(async () => {
  await server.close();
  await cors.close();
});

async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('errors through the openai client', () => {
  it('an unknown model is a 404 with the code model_not_found', async () => {
    const err = await apiError(
      server.client.chat.completions.create({ model: 'gpt-7', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.status).toBe(404);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
    expect(err.message).toMatch(/^404 model: unknown model 'gpt-7'/);
  });

  it.each([
    ['temperature', { model: MODELS.base, prompt: 'x', temperature: 5 }, 'temperature: must be <= 2'],
    ['stop', { model: MODELS.base, prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    ['n', { model: MODELS.base, prompt: 'x', n: 17 }, 'n: must be <= 16'],
    [
      'prompt',
      { model: MODELS.base, prompt: [99999999] },
      'prompt: token id 99999999 is outside the vocabulary',
    ],
    ['echo', { model: MODELS.base, prompt: 'x', echo: true }, 'echo: not supported by this server'],
  ])('a bad %s is a 400 naming it, with a string code', async (param, body, message) => {
    const err = await apiError(
      server.client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(typeof err.code).toBe('string');
    expect(err.message).toContain(message);
  });

  it('an input longer than the context is refused for embeddings', async () => {
    const err = await apiError(
      server.client.embeddings.create({ model: MODELS.llama, input: 'word '.repeat(400) }),
    );
    expect(err.status).toBe(400);
    expect(err.code).toBe('context_length_exceeded');
  });
});

describe('--cors', () => {
  it('is off unless asked: no CORS headers, no preflight answer', async () => {
    const get = await fetch(`${server.url}/v1/models`, { headers: { origin: ORIGIN } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with an origin: answers the preflight and marks every answer, streams included', async () => {
    const preflight = await fetch(`${cors.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, x-stainless-os',
    );
    const stream = await fetch(`${cors.url}/v1/completions`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODELS.base, prompt: 'Hi', max_tokens: 2, stream: true }),
    });
    expect(stream.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await stream.text()).toContain('data: [DONE]');
    const error = await fetch(`${cors.url}/v1/models/nope`, { headers: { origin: ORIGIN } });
    expect(error.status).toBe(404);
    expect(error.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});
