// Continuous batching over real sockets: concurrent requests of every generating route (greedy and
// seeded sampling, streamed and not, different prompts and budgets, one client that leaves mid-way)
// are decoded together and each gets exactly what it gets served alone; a request that arrives
// while another decodes joins it instead of waiting; beyond the batch and the line, 429.
// A long "holder" request keeps the model's batch running while the others come and go; every
// decode step of the served models is held to 5 ms so that it really is long (2000 tokens take at
// least 10 s, whatever the machine).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder } from '../../src/llm/decoder.js';
import { gpt2Tokenizer } from '../../src/llm/fundamentals.js';
import { generate } from '../../src/llm/generate.js';
import type { GPTModel } from '../../src/llm/gpt.js';
import { loadModel, ModelRegistry } from '../../src/serve/registry.js';
import { buildServer } from '../../src/serve/server.js';
import { parseSse, saveTinyLong, saveTinyModels, type TinyModels } from './models.js';
import { holdSteps } from './hold-steps.js';
import { answerOf, postJson } from './requests.js';

const tokenizer = gpt2Tokenizer();
let models: TinyModels;
let registry: ModelRegistry;
let app: FastifyInstance;
let url: string;
let restore = () => {};

beforeAll(async () => {
  models = saveTinyModels();
  const long = saveTinyLong(models.root, 'tiny-long', 'base', 5);
  const longInstruct = saveTinyLong(models.root, 'tiny-long-instruct', 'instruct', 6);
  registry = new ModelRegistry([
    // Up to 8 requests decoded together, 8 more waiting.
    loadModel({ name: 'wide', dir: long }, { maxQueue: 8, maxBatch: 8 }),
    // Two together, one waiting: the 429 test.
    loadModel({ name: 'narrow', dir: long }, { maxQueue: 1, maxBatch: 2 }),
    loadModel({ name: 'chat', dir: longInstruct }, { maxQueue: 8, maxBatch: 8 }),
  ]);
  const held = new Set(registry.list().map((m) => m.model as GPTModel));
  restore = holdSteps(Decoder.prototype, (decoder) => held.has(decoder.model));
  app = await buildServer({ registry, webDir: null, limits: { maxNewTokens: 2000 } });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  restore();
  await app?.close();
  models?.cleanup();
});

interface Health {
  name: string;
  busy: boolean;
  running: number;
  waiting: number;
  maxBatch: number;
  decodeSteps: number;
  peakBatch: number;
}

async function health(name: string): Promise<Health> {
  const body = (await (await fetch(`${url}/healthz`)).json()) as { models: Health[] };
  return body.models.find((m) => m.name === name)!;
}

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const post = (path: string, body: object, signal?: AbortSignal) => postJson(url, path, body, signal);
const answer = (path: string, body: Record<string, unknown>) => answerOf(url, path, body);

// A streamed request that keeps the model's batch busy until aborted; resolves once its first
// token has arrived.
async function holder(model: string) {
  const client = new AbortController();
  const res = await post(
    '/v1/generate',
    { model, prompt: 'Hold on', maxNewTokens: 2000, stream: true },
    client.signal,
  );
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('event: token')) text += new TextDecoder().decode((await reader.read()).value);
  return {
    // Whether the whole answer (its done event) has come: it must not, while others come and go.
    finished: () => text.includes('event: done'),
    stop: async () => {
      client.abort();
      await reader.read().then(
        ({ value }) => (text += new TextDecoder().decode(value)),
        () => {},
      );
    },
  };
}

// Mixed settings over both generating routes; the streamed ones end with the same done event.
const REQUESTS: Array<[string, Record<string, unknown>]> = [
  ['/v1/generate', { model: 'wide', prompt: 'Every effort moves you', maxNewTokens: 12 }],
  [
    '/v1/generate',
    { model: 'wide', prompt: 'Hello', maxNewTokens: 20, temperature: 1, seed: 7, stream: true },
  ],
  [
    '/v1/generate',
    {
      model: 'wide',
      prompt: 'The quick brown fox jumps over the lazy dog',
      maxNewTokens: 8,
      temperature: 0.8,
      topK: 40,
      seed: 3,
    },
  ],
  [
    '/v1/generate',
    { model: 'wide', prompt: 'A', maxNewTokens: 25, temperature: 1.1, topP: 0.9, seed: 11, stream: true },
  ],
  ['/v1/generate', { model: 'wide', prompt: 'Once upon a time', maxNewTokens: 16, topK: 3 }],
  [
    '/v1/chat/completions',
    {
      model: 'chat',
      messages: [{ role: 'user', content: 'Name a colour' }],
      max_tokens: 10,
      temperature: 0.9,
      seed: 5,
    },
  ],
  [
    '/v1/chat/completions',
    { model: 'chat', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 14, stream: true },
  ],
];

describe('continuous batching', () => {
  it('gives each of many concurrent requests exactly what it gets alone', async () => {
    const alone: unknown[] = [];
    for (const [path, body] of REQUESTS) alone.push(await answer(path, body));
    // The library agrees with the server alone (greedy and seeded alike).
    const wide = registry.get('wide')!.model;
    for (const [, body] of REQUESTS.slice(0, 5)) {
      const b = body as { prompt: string; maxNewTokens: number; seed?: number; stream?: boolean };
      const ids = generate(wide, tokenizer.encode(b.prompt), { ...b, seed: b.seed ?? 123, eosId: 50256 });
      const text = tokenizer.decode(ids.filter((id) => id !== 50256));
      const served = alone[REQUESTS.findIndex(([, x]) => x === body)];
      if (b.stream) expect((served as Array<{ data: { text?: string } }>).at(-1)!.data.text).toBe(text);
      else expect((served as { text: string }).text).toBe(text);
    }

    const wideHolder = await holder('wide');
    const chatHolder = await holder('chat');
    // A client that leaves after three tokens: what it got is the start of its answer alone.
    const leaving = new AbortController();
    const leaver = (async () => {
      const res = await post(
        '/v1/generate',
        { model: 'wide', prompt: 'Goodbye', maxNewTokens: 1500, stream: true },
        leaving.signal,
      );
      const reader = res.body!.getReader();
      let text = '';
      while (parseSse(text).filter((m) => m.event === 'token').length < 3)
        text += new TextDecoder().decode((await reader.read()).value);
      leaving.abort();
      return parseSse(text)
        .filter((m) => m.event === 'token')
        .map((m) => (JSON.parse(m.data) as { text: string }).text)
        .join('');
    })();
    const together = await Promise.all(REQUESTS.map(([path, body]) => answer(path, body)));
    together.forEach((got, i) => expect(got, `request ${i}`).toEqual(alone[i]));
    const partial = await leaver;
    const full = (await answer('/v1/generate', { model: 'wide', prompt: 'Goodbye', maxNewTokens: 10 })) as {
      text: string;
    };
    expect(full.text.startsWith(partial)).toBe(true);

    // The holders ran all along: the others joined them, and left when done.
    expect(wideHolder.finished() || chatHolder.finished()).toBe(false);
    await until(async () => (await health('wide')).running === 1);
    const [w, c] = [await health('wide'), await health('chat')];
    expect(w.peakBatch).toBeGreaterThanOrEqual(2);
    expect(c.peakBatch).toBeGreaterThanOrEqual(2);
    await wideHolder.stop();
    await chatHolder.stop();
    await until(async () => !(await health('wide')).busy && !(await health('chat')).busy);
  });

  it('lets a request that arrives while another decodes join it, not wait for it', async () => {
    const body = { model: 'wide', prompt: 'Joining late', maxNewTokens: 10, temperature: 1, seed: 9 };
    const alone = await answer('/v1/generate', body);
    const running = await holder('wide');
    const before = await health('wide');
    expect([before.running, before.waiting]).toEqual([1, 0]);
    // Ten tokens while a 2000-token generation runs: it comes back while the holder goes on.
    expect(await answer('/v1/generate', body)).toEqual(alone);
    expect(running.finished()).toBe(false);
    const after = await health('wide');
    expect(after.running).toBe(1);
    // Its nine batched tokens were steps shared with the holder.
    expect(after.peakBatch).toBeGreaterThanOrEqual(2);
    expect(after.decodeSteps - before.decodeSteps).toBeGreaterThanOrEqual(9);
    await running.stop();
    await until(async () => !(await health('wide')).busy);
  });

  it('answers 429 beyond the batch and the line', async () => {
    const narrow = await health('narrow');
    expect([narrow.maxBatch, narrow.running, narrow.waiting]).toEqual([2, 0, 0]);
    const first = await holder('narrow');
    const second = await holder('narrow');
    expect((await health('narrow')).running).toBe(2);
    const waiter = new AbortController();
    const waiting = post(
      '/v1/generate',
      { model: 'narrow', prompt: 'Wait', maxNewTokens: 2000 },
      waiter.signal,
    ).catch((err: Error) => err);
    await until(async () => (await health('narrow')).waiting === 1);
    const refused = await post('/v1/generate', { model: 'narrow', prompt: 'No room', maxNewTokens: 5 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'the model is busy and 1 requests wait',
    );
    // The other model has room all along.
    expect((await post('/v1/generate', { model: 'wide', prompt: 'Room', maxNewTokens: 2 })).status).toBe(200);
    waiter.abort();
    await until(async () => (await health('narrow')).waiting === 0);
    await first.stop();
    await second.stop();
    await waiting;
    await until(async () => !(await health('narrow')).busy);
  });
});
