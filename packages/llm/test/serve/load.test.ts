// A bounded load test: rounds of 200 concurrent requests of every kind against one server with tiny
// models. Every answer is a success or a 429 from a full queue, the server stays healthy, its queues
// drain, and live memory after garbage collection does not grow from round to round.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/serve/server.js';
import { saveTinyModels, tinyRegistry, type TinyModels } from './models.js';

const CONCURRENT = 200;
const ROUNDS = 5;
// Requests that may wait per model: the two language models decode up to 8 requests together (the
// default --max-batch) and the classifier one at a time, each with QUEUE more waiting.
const QUEUE = 4;

let models: TinyModels;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  models = saveTinyModels();
  app = await buildServer({ registry: tinyRegistry(models, QUEUE), webDir: null });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await app?.close();
  models?.cleanup();
});

const json = { 'content-type': 'application/json' };
const REQUESTS: Array<[string, () => Promise<Response>]> = [
  [
    'generate-stream',
    () =>
      fetch(`${url}/v1/generate`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ model: 'tiny-base', prompt: 'Hello there', maxNewTokens: 3, stream: true }),
      }),
  ],
  [
    'generate-json',
    () =>
      fetch(`${url}/v1/generate`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          model: 'tiny-base',
          prompt: 'Hello',
          maxNewTokens: 3,
          temperature: 1,
          seed: 3,
        }),
      }),
  ],
  [
    'chat-stream',
    () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3, stream: true }),
      }),
  ],
  [
    'classify',
    () =>
      fetch(`${url}/v1/classify`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ text: 'win a prize' }),
      }),
  ],
  ['models', () => fetch(`${url}/v1/models`)],
];

function liveBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function round(): Promise<Map<string, number[]>> {
  const statuses = new Map<string, number[]>(REQUESTS.map(([name]) => [name, []]));
  await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      const [name, send] = REQUESTS[i % REQUESTS.length];
      const res = await send();
      await res.arrayBuffer();
      statuses.get(name)!.push(res.status);
    }),
  );
  return statuses;
}

describe(`${CONCURRENT} concurrent requests`, () => {
  it('are answered or refused with 429, and leave neither queues nor memory behind', async () => {
    expect((globalThis as { gc?: unknown }).gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    // Open the 200 keep-alive connections with cheap requests first, so that each round's requests
    // arrive together instead of spread over socket set-up.
    await Promise.all(
      Array.from({ length: CONCURRENT }, () => fetch(`${url}/healthz`).then((r) => r.arrayBuffer())),
    );
    const memory: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const started = performance.now();
      const statuses = await round();
      const seconds = (performance.now() - started) / 1000;
      const all = [...statuses.values()].flat();
      expect(all).toHaveLength(CONCURRENT);
      expect(all.every((s) => s === 200 || s === 429)).toBe(true);
      // Each model runs what it may and lets QUEUE wait; the rest are refused, and nothing else fails.
      for (const [name, codes] of statuses)
        expect(codes.filter((s) => s === 200).length, name).toBeGreaterThan(0);
      expect(statuses.get('models')!.every((s) => s === 200)).toBe(true);
      const health = (await (await fetch(`${url}/healthz`)).json()) as {
        models: Array<{ busy: boolean; running: number; waiting: number; peakBatch?: number }>;
      };
      expect(health.models.every((m) => !m.busy && m.running === 0 && m.waiting === 0)).toBe(true);
      memory.push(liveBytes());
      console.log(
        `round ${r + 1}: ${all.filter((s) => s === 200).length} ok, ${all.filter((s) => s === 429).length} x 429 ` +
          `in ${seconds.toFixed(2)} s; live memory ${(memory[r] / 2 ** 20).toFixed(1)} MiB`,
      );
    }
    // The first round warms caches (tokenizer, JIT); after it, memory stays flat.
    const growth = Math.max(...memory.slice(1)) - memory[1];
    expect(growth / 2 ** 20).toBeLessThan(16);
  });
});
