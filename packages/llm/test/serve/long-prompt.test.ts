// What a client cannot do to the others: a prompt of one huge "word" is tokenized in turns of the
// event loop (the health check is answered meanwhile), and a body that is not UTF-8 is refused with
// the offset of its first bad byte.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpt2Tokenizer, type BPETokenizer } from '../../src/llm/fundamentals.js';
import { buildServer } from '../../src/serve/server.js';
import { saveTinyModels, tinyRegistry, type TinyModels } from './models.js';

let models: TinyModels;
let app: FastifyInstance;
// What happened, in order: the server's tokenizer notes when it has finished a prompt.
const order: string[] = [];
let started = () => {};

beforeAll(async () => {
  models = saveTinyModels();
  const tokenizer = Object.create(gpt2Tokenizer()) as BPETokenizer;
  const { encode, encodeAsync } = tokenizer;
  tokenizer.encode = (...a) => {
    started();
    const ids = encode.apply(tokenizer, a);
    order.push('tokenized');
    return ids;
  };
  tokenizer.encodeAsync = async (...a) => {
    started();
    const ids = await encodeAsync.apply(tokenizer, a);
    order.push('tokenized');
    return ids;
  };
  // Each model encodes its prompts with its own tokenizer: GPT-2's, here the watched one.
  const registry = tinyRegistry(models);
  for (const served of registry.list()) served.tokenizer = tokenizer;
  app = await buildServer({
    registry,
    tokenizer,
    webDir: null,
    limits: { maxNewTokens: 8 },
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  models?.cleanup();
});

describe('serve under a hostile prompt', () => {
  it('answers /healthz while the 100,000-letter word of the fault injection is tokenized', async () => {
    const prompt = 'ab'.repeat(50_000);
    const tokenizing = new Promise<void>((resolve) => (started = resolve));
    const generation = app
      .inject({ method: 'POST', url: '/v1/generate', payload: { prompt, maxNewTokens: 1 } })
      .then((res) => {
        order.push('generate');
        return res;
      });
    // Once the prompt's tokenization has begun, ask for health.
    await tokenizing;
    const health = await app.inject('/healthz').then((res) => {
      order.push('healthz');
      return res;
    });
    const res = await generation;
    expect(health.statusCode).toBe(200);
    expect(res.statusCode).toBe(200);
    expect(res.json().prompt).toMatchObject({ cropped: true });
    expect(order).toEqual(['healthz', 'tokenized', 'generate']);
  });

  it('refuses a body that is not UTF-8 with a 400 naming the offset', async () => {
    const body = Buffer.concat([Buffer.from('{"prompt": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      message: 'the request body: not valid UTF-8 (byte 0xe9 at offset 15)',
      param: 'body',
      type: 'invalid_request_error',
    });
  });

  it('still parses UTF-8 JSON and refuses a prototype-poisoning key as before', async () => {
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'application/json' },
      payload: Buffer.from('{"prompt": "café ☕", "maxNewTokens": 1}'),
    });
    expect(ok.statusCode).toBe(200);
    const poisoned = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'application/json' },
      payload: '{"prompt": "x", "__proto__": {"admin": true}}',
    });
    expect(poisoned.statusCode).toBe(400);
  });
});
