// Continuous batching of a Llama 3 model over real sockets (FamilyDecoder): requests that arrive
// while another decodes join its batch, and each (greedy and seeded sampling, streamed and not,
// through /v1/generate and the OpenAI routes) gets exactly what it gets served alone. Every decode
// step of the model is held to 5 ms, so that the long request really is running when they come.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FamilyDecoder } from '../../src/llm/families/family-decoder.js';
import { loadModel, ModelRegistry } from '../../src/serve/registry.js';
import { buildServer } from '../../src/serve/server.js';
import { saveTinyLlama } from './openai-server.js';
import { holdSteps } from './hold-steps.js';
import { answerOf, postJson } from './requests.js';

const root = mkdtempSync(join(tmpdir(), 'batching-families-'));
let app: FastifyInstance;
let url: string;
let restore = () => {};

beforeAll(async () => {
  const registry = new ModelRegistry([
    loadModel({ name: 'llama', dir: saveTinyLlama(join(root, 'llama')) }, { maxQueue: 8, maxBatch: 8 }),
  ]);
  restore = holdSteps(FamilyDecoder.prototype);
  app = await buildServer({ registry, webDir: null, limits: { maxNewTokens: 2000 } });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  restore();
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

const post = (path: string, body: object, signal?: AbortSignal) => postJson(url, path, body, signal);
const answer = (path: string, body: Record<string, unknown>) => answerOf(url, path, body);

async function peakBatch(): Promise<number> {
  const body = (await (await fetch(`${url}/healthz`)).json()) as { models: { peakBatch: number }[] };
  return body.models[0]!.peakBatch;
}

const REQUESTS: [string, Record<string, unknown>][] = [
  ['/v1/generate', { model: 'llama', prompt: 'Every effort moves you', maxNewTokens: 12 }],
  ['/v1/generate', { model: 'llama', prompt: 'The quick brown fox', maxNewTokens: 9, stream: true }],
  [
    '/v1/completions',
    { model: 'llama', prompt: 'Once upon a time', max_tokens: 10, temperature: 1, seed: 3 },
  ],
  [
    '/v1/chat/completions',
    {
      model: 'llama',
      messages: [{ role: 'user', content: 'Name a colour.' }],
      max_tokens: 8,
      temperature: 0.8,
      top_p: 0.9,
      seed: 11,
      stream: true,
    },
  ],
];

it('decodes requests to a Llama 3 model together, each as it is served alone', async () => {
  const alone: unknown[] = [];
  for (const [path, body] of REQUESTS) alone.push(await answer(path, body));
  expect(await peakBatch()).toBe(1);

  // A long request keeps the batch running while the others arrive.
  const client = new AbortController();
  const held = await post(
    '/v1/generate',
    { model: 'llama', prompt: 'Hold on', maxNewTokens: 2000, stream: true },
    client.signal,
  );
  const reader = held.body!.getReader();
  let text = '';
  while (!text.includes('event: token')) text += new TextDecoder().decode((await reader.read()).value);

  const together = await Promise.all(REQUESTS.map(([path, body]) => answer(path, body)));
  client.abort();
  await reader.read().catch(() => {});
  together.forEach((a, i) => expect(a, REQUESTS[i]![0]).toEqual(alone[i]));
  expect(await peakBatch()).toBeGreaterThanOrEqual(3);
});
