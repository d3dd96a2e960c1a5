// Over real sockets, one generation at a time (--max-batch 1, the server as it was before batching):
// a client that disconnects stops its generation (streaming or not, running or waiting), and a full
// queue answers 429.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder } from '../../src/llm/decoder.js';
import type { ModelRegistry } from '../../src/serve/registry.js';
import { buildServer } from '../../src/serve/server.js';
import { saveTinyModels, tinyRegistry, type TinyModels } from './models.js';

let models: TinyModels;
let registry: ModelRegistry;
let app: FastifyInstance;
let url: string;
let forwards = 0;
let restoreStep = () => {};

beforeAll(async () => {
  models = saveTinyModels();
  // One generation at a time (--max-batch 1), as the server ran before batching: a second request
  // waits, a third is refused. batching.test.ts has the batched server.
  registry = tinyRegistry(models, 1, 1);
  // Count the model's decode steps (prefills and batched steps), each held to 5 ms so that a long
  // generation really is long.
  const model = registry.get('tiny-base')!.model;
  const { stepSequence, stepBatch } = Decoder.prototype;
  const hold = (decoder: Decoder) => {
    if (decoder.model !== model) return;
    forwards++;
    const until = performance.now() + 5;
    while (performance.now() < until);
  };
  Decoder.prototype.stepSequence = function (this: Decoder, cache, ids) {
    hold(this);
    return stepSequence.call(this, cache, ids);
  };
  Decoder.prototype.stepBatch = function (this: Decoder, caches, ids) {
    hold(this);
    return stepBatch.call(this, caches, ids);
  };
  restoreStep = () => {
    Object.assign(Decoder.prototype, { stepSequence, stepBatch });
  };
  app = await buildServer({ registry, webDir: null, limits: { maxNewTokens: 2000 } });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  restoreStep();
  await app?.close();
  models?.cleanup();
});

const long = (stream: boolean, signal: AbortSignal) =>
  fetch(`${url}/v1/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny-base', prompt: 'Hello', maxNewTokens: 2000, stream }),
    signal,
  });

async function health() {
  const body = (await (await fetch(`${url}/healthz`)).json()) as {
    models: Array<{ busy: boolean; waiting: number }>;
  };
  return body.models[0];
}

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// After the client left: the model is soon free and no forward pass follows. 2000 tokens take at
// least 10 s at 5 ms a pass, so a model free within 6 s stopped early, whatever the machine's load.
async function expectStopped() {
  await until(async () => !(await health()).busy, 6000);
  const count = forwards;
  await new Promise((r) => setTimeout(r, 200));
  expect(forwards).toBe(count);
  expect(forwards).toBeLessThan(1200);
}

describe('client disconnects', () => {
  it('stop a streaming generation', async () => {
    forwards = 0;
    const client = new AbortController();
    const res = await long(true, client.signal);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: token')) text += new TextDecoder().decode((await reader.read()).value);
    expect((await health()).busy).toBe(true);
    client.abort();
    await expectStopped();
  });

  it('stop a generation answered as JSON', async () => {
    forwards = 0;
    const client = new AbortController();
    const res = long(false, client.signal).catch((err: Error) => err);
    await until(async () => forwards > 5);
    client.abort();
    expect(await res).toBeInstanceOf(Error);
    await expectStopped();
  });

  it('take a waiting request out of the queue, and a full queue answers 429', async () => {
    forwards = 0;
    const first = new AbortController();
    const second = new AbortController();
    const running = long(false, first.signal).catch((err: Error) => err);
    await until(async () => (await health()).busy);
    const waiting = long(false, second.signal).catch((err: Error) => err);
    await until(async () => (await health()).waiting === 1);
    const refused = await long(false, new AbortController().signal);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    second.abort();
    await until(async () => (await health()).waiting === 0);
    expect((await health()).busy).toBe(true);
    first.abort();
    await Promise.all([running, waiting]);
    await expectStopped();
  });
});
