// Every endpoint of `llm-scratch serve` against tiny models, in process (Fastify's inject): answers
// checked against the library's own generation and classification, and the bad-input cases.
import type { FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyTexts } from '../../src/llm/classifier.js';
import { gpt2Tokenizer } from '../../src/llm/fundamentals.js';
import { generate } from '../../src/llm/generate.js';
import type { GPTModel } from '../../src/llm/gpt.js';
import { extractResponse } from '../../src/llm/instruction.js';
import { alpacaPrompt } from '../../src/serve/openai/chat-prompt.js';
import type { ModelRegistry } from '../../src/serve/registry.js';
import { allowedHosts, normalizeHost } from 'llm-scratch-core/host-check';
import { buildServer } from '../../src/serve/server.js';
import { LABELS, parseSse, saveTinyModels, tinyRegistry, type TinyModels } from './models.js';

const tokenizer = gpt2Tokenizer();
let models: TinyModels;
let registry: ModelRegistry;
let app: FastifyInstance;
let webDir: string;

beforeAll(async () => {
  models = saveTinyModels();
  registry = tinyRegistry(models);
  webDir = mkdtempSync(join(tmpdir(), 'serve-web-'));
  mkdirSync(join(webDir, 'assets'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
  app = await buildServer({ registry, webDir, limits: { maxNewTokens: 64 } });
}, 60_000);

afterAll(async () => {
  await app?.close();
  models?.cleanup();
  rmSync(webDir, { recursive: true, force: true });
});

const post = (url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, payload: payload as object });

// What the library itself generates for this prompt, greedily.
function expected(modelName: string, prompt: string, maxNewTokens: number, special = true) {
  const ids = tokenizer.encode(prompt, special ? { allowedSpecial: 'all' } : { disallowedSpecial: [] });
  const out = generate(registry.get(modelName)!.model, ids, { maxNewTokens, eosId: 50256 });
  return { promptTokens: ids.length, text: tokenizer.decode(out.filter((id) => id !== 50256)), ids: out };
}

describe('the Host header (DNS rebinding)', () => {
  it('normalizes names as a Host header carries them', () => {
    expect(normalizeHost('LocalHost:8000')).toBe('localhost');
    expect(normalizeHost('localhost.')).toBe('localhost');
    expect(normalizeHost('[::1]:8000')).toBe('[::1]');
    expect(normalizeHost('::1')).toBe('[::1]');
    expect(normalizeHost('127.0.0.1')).toBe('127.0.0.1');
    expect(allowedHosts('127.0.0.1')).toEqual(new Set(['localhost', '127.0.0.1', '[::1]']));
    expect(allowedHosts('192.168.1.5', ['llm.lan:80'])).toEqual(
      new Set(['localhost', '127.0.0.1', '[::1]', 'llm.lan', '192.168.1.5']),
    );
    // On every interface the server is open to the network anyway: any name, unless names are given.
    expect(allowedHosts('0.0.0.0')).toBeNull();
    expect(allowedHosts('::', ['llm.lan'])).toEqual(new Set(['localhost', '127.0.0.1', '[::1]', 'llm.lan']));
  });

  it('answers loopback names and allowed ones, and refuses the others with 403 before any route', async () => {
    const guarded = await buildServer({
      registry,
      webDir,
      allowedHosts: allowedHosts('127.0.0.1', ['llm.lan']),
    });
    try {
      const get = (host: string, url = '/v1/models') => guarded.inject({ url, headers: { host } });
      for (const host of ['localhost:8000', '127.0.0.1:8000', '[::1]:8000', 'LOCALHOST', 'llm.lan:8000'])
        expect((await get(host)).statusCode, host).toBe(200);
      for (const host of ['evil.example', 'evil.example:8000', 'localhost.evil.example', '127.0.0.2']) {
        const r = await get(host);
        expect(r.statusCode, host).toBe(403);
        expect(r.json().error).toMatchObject({
          type: 'permission_error',
          code: 'host_not_allowed',
          param: null,
        });
        expect(r.json().error.message).toContain(`host '${host}' is not allowed`);
      }
      const post = await guarded.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { host: 'evil.example' },
        payload: { model: 'tiny-instruct', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1 },
      });
      expect(post.statusCode).toBe(403);
      expect((await get('evil.example', '/')).statusCode).toBe(403);
    } finally {
      await guarded.close();
    }
  });
});

describe('GET /healthz and /v1/models', () => {
  it('reports health and every model with its kind, config and parameter count', async () => {
    const health = await app.inject('/healthz');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      status: 'ok',
      models: [{ name: 'tiny-base', busy: false, waiting: 0 }, {}, {}],
    });
    const list = (await app.inject('/v1/models')).json();
    expect(list.object).toBe('list');
    expect(list.data.map((m: { id: string; kind: string }) => [m.id, m.kind])).toEqual([
      ['tiny-base', 'base'],
      ['tiny-instruct', 'instruct'],
      ['tiny-spam', 'classifier'],
    ]);
    const base = list.data[0];
    expect(base.parameters).toBe(registry.get('tiny-base')!.model.numParameters());
    // Tied head: token + position embeddings, one block, the final norm.
    expect(base.parameters).toBe(
      50257 * 16 + 32 * 16 + (4 * 16 * 16 + 16 + 8 * 16 * 16 + 5 * 16 + 4 * 16) + 2 * 16,
    );
    expect(base.config).toMatchObject({
      contextLength: 32,
      embDim: 16,
      nLayers: 1,
      nHeads: 2,
      vocabSize: 50257,
    });
    expect(list.data[2].labels).toEqual(LABELS);
    expect((await app.inject('/v1/models/tiny-spam')).json().kind).toBe('classifier');
    expect((await app.inject('/v1/models/nope')).statusCode).toBe(404);
  });
});

describe('POST /v1/generate', () => {
  it('answers with the text the library generates, as JSON', async () => {
    const res = await post('/v1/generate', {
      model: 'tiny-base',
      prompt: 'Every effort moves you',
      maxNewTokens: 12,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const want = expected('tiny-base', 'Every effort moves you', 12);
    expect(body).toMatchObject({
      model: 'tiny-base',
      text: want.text,
      finishReason: want.ids.length === 12 && !want.ids.includes(50256) ? 'length' : 'stop',
      usage: { promptTokens: want.promptTokens, completionTokens: want.ids.length },
      prompt: { tokens: want.promptTokens, contextLength: 32, cropped: false, droppedTokens: 0 },
    });
    expect(body.text.length).toBeGreaterThan(0);
  });

  it('streams the same text as server-sent events: start, tokens, done', async () => {
    const res = await post('/v1/generate', {
      model: 'tiny-base',
      prompt: 'Every effort moves you',
      maxNewTokens: 12,
      stream: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body);
    expect(events[0].event).toBe('start');
    expect(JSON.parse(events[0].data).prompt.tokens).toBe(4);
    const tokens = events.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text);
    expect(tokens.length).toBeGreaterThan(1);
    const done = JSON.parse(events.at(-1)!.data);
    expect(events.at(-1)!.event).toBe('done');
    expect(tokens.join('')).toBe(done.text);
    expect(done.text).toBe(expected('tiny-base', 'Every effort moves you', 12).text);
  });

  it('samples reproducibly with a seed, and differently with another', async () => {
    const ask = (seed: number) =>
      post('/v1/generate', {
        prompt: 'Hello',
        maxNewTokens: 16,
        temperature: 1.5,
        topK: 50,
        topP: 0.95,
        seed,
      }).then((r) => r.json().text);
    const [a, b, c] = [await ask(7), await ask(7), await ask(8)];
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('crops a prompt longer than the context as generation does, and says so', async () => {
    const prompt = 'one two three four five six seven eight nine ten '.repeat(5);
    const res = await post('/v1/generate', { prompt, maxNewTokens: 5 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const want = expected('tiny-base', prompt, 5);
    expect(want.promptTokens).toBeGreaterThan(32);
    expect(body.prompt).toMatchObject({
      tokens: want.promptTokens,
      cropped: true,
      droppedTokens: want.promptTokens - 32,
    });
    expect(body.prompt.warning).toMatch(/more than the model's context of 32/);
    expect(body.text).toBe(want.text);
  });

  it('refuses bad input with a 400 that names the field', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{}, 'prompt', /prompt: required/],
      [{ prompt: 42 }, 'prompt', /prompt: must be string/],
      [{ prompt: '' }, 'prompt', /prompt/],
      [{ prompt: 'hi', maxNewTokens: 65 }, 'maxNewTokens', /maxNewTokens: must be <= 64/],
      [{ prompt: 'hi', maxNewTokens: 0 }, 'maxNewTokens', /maxNewTokens: must be >= 1/],
      [{ prompt: 'hi', maxNewTokens: '5' }, 'maxNewTokens', /maxNewTokens: must be integer/],
      [{ prompt: 'hi', temperature: -1 }, 'temperature', /temperature/],
      [{ prompt: 'hi', topP: 0 }, 'topP', /topP/],
      [{ prompt: 'hi', max_new_tokens: 5 }, 'max_new_tokens', /max_new_tokens: unknown field/],
    ];
    for (const [payload, param, message] of cases) {
      const res = await post('/v1/generate', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error).toMatchObject({ param, type: 'invalid_request_error' });
      expect(res.json().error.message).toMatch(message);
    }
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/generate',
      headers: { 'content-type': 'application/json' },
      payload: '{"prompt": ',
    });
    expect(malformed.statusCode).toBe(400);
  });

  it('answers 404 for an unknown model and 400 for a classifier', async () => {
    const unknown = await post('/v1/generate', { model: 'gpt-7', prompt: 'hi' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({
      param: 'model',
      message: expect.stringMatching(/unknown model 'gpt-7'; served: tiny-base/),
    });
    const wrongKind = await post('/v1/generate', { model: 'tiny-spam', prompt: 'hi' });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json().error.message).toMatch(
      /'tiny-spam' is of kind classifier; \/v1\/generate needs a model of kind base or instruct/,
    );
  });
});

describe('POST /v1/chat/completions (OpenAI-compatible)', () => {
  const messages = [
    { role: 'system', content: 'You are helpful.' },
    { role: 'user', content: 'Name a colour.' },
  ];
  const want = (conversation: typeof messages = messages) => {
    const prompt = alpacaPrompt(conversation);
    const out = expected('tiny-instruct', prompt, 10, false);
    return { ...out, content: extractResponse(prompt + out.text, prompt) };
  };

  it('answers a chat.completion from the Alpaca prompt of the conversation', async () => {
    const res = await post('/v1/chat/completions', { model: 'tiny-instruct', messages, max_tokens: 10 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const w = want();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'tiny-instruct',
      choices: [{ index: 0, message: { role: 'assistant', content: w.content }, finish_reason: 'length' }],
      usage: { prompt_tokens: w.promptTokens, completion_tokens: 10, total_tokens: w.promptTokens + 10 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
  });

  it('streams chat.completion.chunk deltas, a finish_reason, usage and [DONE]', async () => {
    const res = await post('/v1/chat/completions', {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Name a colour.' }] }],
      max_tokens: 10,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.statusCode).toBe(200);
    const events = parseSse(res.body);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const withChoices = chunks.filter((c) => c.choices.length);
    const content = withChoices.map((c) => c.choices[0].delta.content ?? '').join('');
    expect(content).toBe(want([{ role: 'user', content: 'Name a colour.' }]).content);
    const last = withChoices.at(-1);
    expect(last.choices[0]).toMatchObject({ delta: {}, finish_reason: 'length' });
    expect(last.usage).toBeNull();
    expect(withChoices.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    // stream_options.include_usage: OpenAI's extra chunk with no choices.
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 10 } });
  });

  it('refuses what it cannot answer', async () => {
    const noUser = await post('/v1/chat/completions', { messages: [{ role: 'system', content: 'x' }] });
    expect(noUser.statusCode).toBe(400);
    expect(noUser.json().error).toMatchObject({
      param: 'messages',
      message: 'messages: no message with role user',
    });
    const badRole = await post('/v1/chat/completions', { messages: [{ role: 'robot', content: 'x' }] });
    expect(badRole.json().error.param).toBe('messages/0/role');
    const tooMany = await post('/v1/chat/completions', { messages, max_tokens: 1000 });
    expect(tooMany.json().error).toMatchObject({ param: 'max_tokens', message: 'max_tokens: must be <= 64' });
    const classifier = await post('/v1/chat/completions', { model: 'tiny-spam', messages });
    expect(classifier.statusCode).toBe(400);
    expect(classifier.json().error).toMatchObject({
      code: 'model_not_supported',
      message: expect.stringMatching(
        /'tiny-spam' is of kind classifier; \/v1\/chat\/completions needs a model of kind base or instruct/,
      ),
    });
    expect((await post('/v1/chat/completions', { model: 'nope', messages })).statusCode).toBe(404);
  });
});

describe('POST /v1/classify', () => {
  it('answers the label and probabilities the library gives', async () => {
    const text = 'You won a free prize, call now!';
    const res = await post('/v1/classify', { model: 'tiny-spam', text });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const served = registry.get('tiny-spam')!;
    const [want] = classifyTexts(served.model as GPTModel, LABELS, tokenizer, [text]);
    expect(body).toMatchObject({
      model: 'tiny-spam',
      label: want.label,
      labels: LABELS,
      truncated: false,
      maxLength: 16,
    });
    expect(body.probability).toBeCloseTo(want.probability, 6);
    expect(Object.keys(body.probabilities)).toEqual(LABELS);
    expect(body.probabilities.ham + body.probabilities.spam).toBeCloseTo(1, 5);
    const long = await post('/v1/classify', { text: 'word '.repeat(40) });
    expect(long.json()).toMatchObject({ model: 'tiny-spam', truncated: true, tokens: 16 });
  });

  it('refuses bad input', async () => {
    expect((await post('/v1/classify', {})).json().error).toMatchObject({
      param: 'text',
      message: 'text: required',
    });
    expect((await post('/v1/classify', { model: 'tiny-base', text: 'x' })).statusCode).toBe(400);
    expect((await post('/v1/classify', { model: 'nope', text: 'x' })).statusCode).toBe(404);
  });
});

describe('the page', () => {
  it('serves its own files and nothing outside them', async () => {
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>page</title>');
    expect((await app.inject('/assets/app.js')).body).toBe('console.log(1)');
    for (const url of [
      '/../package.json',
      '/..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/..\\..\\package.json',
    ]) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toMatch(/"devDependencies"|root:/);
    }
  });

  it('says how to build the page when it is missing', async () => {
    const bare = await buildServer({ registry, webDir: null });
    const res = await bare.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toMatch(/npm run build:web/);
    await bare.close();
  });
});
