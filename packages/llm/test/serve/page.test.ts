// The page end to end in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// it is built with Vite, served by the server with tiny models, and used as a person would: a prompt
// whose continuation streams in, a chat answer, a text classified into probability bars.
// Screenshots go to test-artifacts/.
import type { FastifyInstance } from 'fastify';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decoder } from '../../src/llm/decoder.js';
import type { ModelRegistry } from '../../src/serve/registry.js';
import { buildServer } from '../../src/serve/server.js';
import { saveTinyModels, tinyRegistry, type TinyModels } from './models.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`skipping the page's end-to-end test: ${CHROMIUM} is absent (apt install chromium)`);

const root = new URL('../..', import.meta.url).pathname;
const artifacts = join(root, 'test-artifacts');

let models: TinyModels;
let registry: ModelRegistry;
let webDir: string;
let app: FastifyInstance;
let url: string;
let browser: Browser;
let page: Page;

// The browser globals the page checks use (this TypeScript project has no DOM library).
interface Seen {
  t: number;
  length: number;
  status: string;
}
interface Browserish {
  document: { getElementById(id: string): { textContent: string | null } };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  seen: Seen[];
}
interface Classified {
  label: string;
  probabilities: Record<string, number>;
}

// Holds the event loop for ms on every decode step of the model (generation runs through the
// Decoder), so that a tiny model's tokens arrive over a visible stretch of time rather than all in
// one network read.
function slowDown(name: string, ms: number) {
  const model = registry.get(name)!.model;
  const { stepSequence, stepBatch } = Decoder.prototype;
  const hold = (decoder: Decoder) => {
    if (decoder.model !== model) return;
    const until = performance.now() + ms;
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
}

describe.skipIf(!haveChromium)('the web page in Chromium', () => {
  beforeAll(async () => {
    models = saveTinyModels();
    registry = tinyRegistry(models);
    slowDown('tiny-base', 15);
    webDir = mkdtempSync(join(tmpdir(), 'serve-page-'));
    await build({
      configFile: join(root, 'web', 'vite.config.ts'),
      build: { outDir: webDir, emptyOutDir: true },
      logLevel: 'error',
    });
    app = await buildServer({ registry, webDir, limits: { maxNewTokens: 40 } });
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    mkdirSync(artifacts, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    models?.cleanup();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  }, 30_000);

  it('loads the page with every served model', async () => {
    await page.goto(url);
    await expect.poll(() => page.locator('#model option').count()).toBe(3);
    expect(await page.locator('#model option').allTextContents()).toEqual([
      'tiny-base (base)',
      'tiny-instruct (instruct)',
      'tiny-spam (classifier)',
    ]);
    expect(await page.locator('#model-info').textContent()).toMatch(
      /^base · 0\.81M parameters · 1 layer · context 32$/,
    );
    expect(await page.locator('#view-generate').isVisible()).toBe(true);
  });

  it('streams a continuation into the page token by token', async () => {
    await page.fill('#prompt', 'Every effort moves you');
    await page.fill('#max-tokens', '30');
    // Record when the generated text changes, and what the status line said at the first change.
    await page.evaluate(() => {
      const w = globalThis as unknown as Browserish;
      const generated = w.document.getElementById('generated');
      w.seen = [];
      new w.MutationObserver(() =>
        w.seen.push({
          t: performance.now(),
          length: generated.textContent!.length,
          status: w.document.getElementById('generate-status').textContent!,
        }),
      ).observe(generated, { childList: true, characterData: true, subtree: true });
    });
    await page.click('#generate');
    await page.locator('#generate-status', { hasText: /30 tokens in .* s · length/ }).waitFor();
    const seen = await page.evaluate(() => (globalThis as unknown as Browserish).seen);
    const changes = seen.filter((s) => s.length > 0);
    expect(changes.length).toBeGreaterThan(5);
    expect(changes[0].status).toBe('generating...');
    // 30 decode steps of at least 15 ms: text that arrived over at least ~half of that time.
    expect(changes.at(-1)!.t - changes[0].t).toBeGreaterThan(200);
    const text = await page.locator('#generated').textContent();
    const api = await fetch(`${url}v1/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Every effort moves you', maxNewTokens: 30 }),
    }).then((r) => r.json() as Promise<{ text: string }>);
    expect(text).toBe(api.text);
    await page.screenshot({ path: join(artifacts, 'serve-generate.png'), fullPage: true });
  });

  it('stops a generation with the Stop button', async () => {
    await page.fill('#max-tokens', '40');
    await page.click('#generate');
    await page.waitForFunction(() => {
      const w = globalThis as unknown as Browserish;
      return (w.document.getElementById('generated').textContent ?? '').length > 0;
    });
    await page.click('#stop');
    await page.locator('#generate-status', { hasText: /^stopped after \d+ pieces$/ }).waitFor();
    await expect
      .poll(async () => {
        const health = (await (await fetch(`${url}healthz`)).json()) as { models: Array<{ busy: boolean }> };
        return health.models[0].busy;
      })
      .toBe(false);
  });

  it('answers in the chat view of an instruction model', async () => {
    await page.selectOption('#model', 'tiny-instruct');
    expect(await page.locator('#view-chat').isVisible()).toBe(true);
    await page.fill('#chat-input', 'Name a colour.');
    await page.press('#chat-input', 'Enter');
    await page.locator('.message.assistant:not(.streaming)').waitFor();
    expect(await page.locator('.message.user').textContent()).toBe('Name a colour.');
    expect((await page.locator('.message.assistant').textContent())!.length).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'serve-chat.png'), fullPage: true });
  });

  it('classifies a text and shows the probabilities as bars', async () => {
    await page.selectOption('#model', 'tiny-spam');
    expect(await page.locator('#view-classify').isVisible()).toBe(true);
    await page.fill('#classify-text', 'You won a free prize, call now!');
    await page.click('#classify');
    await page.locator('.bar').nth(1).waitFor();
    const api = await fetch(`${url}v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'You won a free prize, call now!' }),
    }).then((r) => r.json() as Promise<Classified>);
    expect(await page.locator('.bar.best').getAttribute('data-label')).toBe(api.label);
    const values = await page.locator('.bar .value').allTextContents();
    expect(values).toEqual(['ham', 'spam'].map((l) => `${(api.probabilities[l] * 100).toFixed(1)}%`));
    const widths = await page
      .locator('.bar .fill')
      .evaluateAll((fills) => fills.map((f) => (f as unknown as { style: { width: string } }).style.width));
    expect(widths).toEqual(['ham', 'spam'].map((l) => `${(api.probabilities[l] * 100).toFixed(1)}%`));
    await page.screenshot({ path: join(artifacts, 'serve-classify.png'), fullPage: true });
    expect(existsSync(join(artifacts, 'serve-classify.png'))).toBe(true);
  });
});
