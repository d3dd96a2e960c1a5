// The web dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): it
// shows the agents, and the page updates over server-sent events when an issue closes, without a
// reload. The screenshot is kept in test-artifacts/ (gitignored). Also: loopback only (the address and
// the Host names it answers), read-only.
// Starting Chromium on a loaded two-core machine has taken over 30 s, hence the longer timeout.
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../src/crew/dashboard/snapshot.js';
import { startWebDashboard, type WebDashboard } from '../../../src/crew/dashboard/web.js';
import { closeByKey, crewProject, running, type Project } from './fixtures.js';

export const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-artifacts');

let project: Project | null = null;
let web: WebDashboard | null = null;
let browser: Browser | null = null;
afterEach(async () => {
  await browser?.close();
  await web?.close();
  await project?.tracker.close();
  browser = web = project = null;
});

async function serve(p: Project): Promise<WebDashboard> {
  const load = () =>
    buildSnapshot({
      plan: p.plan,
      tracker: p.tracker,
      repo: p.dir,
      status: async () => [
        running('foundation', 'llm-foundation', {
          issue: { number: 1, title: 'Tokenizers and vocabulary' },
          lastCommit: { sha: 'f8a69e6', subject: 'added the loader', ageSeconds: 95 },
        }),
        running('architecture', 'llm-architecture', { waitingForInput: true, idleSeconds: 400 }),
        running('training', 'llm-training', { state: 'exited', pid: null, restarts: 1 }),
      ],
    });
  return startWebDashboard({ load, port: 0, intervalMs: 100 });
}

describe('web dashboard', () => {
  it('shows the agents in Chromium and updates live when an issue closes', async () => {
    const p = (project = await crewProject());
    await p.tracker.addEvent({
      agent: 'training',
      kind: 'exit',
      message: 'process exited (code 1)',
      data: null,
    });
    await p.tracker.addEvent({
      agent: 'training',
      kind: 'restart',
      message: 'restarted, attempt 1 after 2 s',
      data: null,
    });
    await p.tracker.addEvent({
      agent: null,
      kind: 'test',
      message: 'test: 3 passed, 0 failed, 0 conflicts',
      data: {
        passed: 3,
        failed: 0,
        conflicts: 0,
        perIntegrationPoint: {
          'tokenizer-interface': { status: 'passed' },
          'data-pipeline': { status: 'passed' },
          'model-forward': { status: 'passed' },
        },
      },
    });
    web = await serve(p);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(web.url);
    const agents = page.locator('tr[data-agent]');
    expect(await agents.count()).toBe(4);
    expect(await agents.locator('td:first-child b').allInnerTexts()).toEqual([
      'foundation',
      'architecture',
      'training',
      'application',
    ]);
    expect(await agents.locator('[data-field="state"]').allInnerTexts()).toEqual([
      'running',
      'waiting for input',
      'exited',
      'no session',
    ]);
    expect(await agents.first().innerText()).toContain('#1 Tokenizers and vocabulary');
    expect(await page.locator('#test p').innerText()).toMatch(
      /^green: test: 3 passed, 0 failed, 0 conflicts \(\d+s ago\)$/,
    );
    expect(await page.locator('#test [data-point]').allInnerTexts()).toEqual([
      'tokenizer-interface: passed',
      'data-pipeline: passed',
      'model-forward: passed',
    ]);
    expect(await page.locator('#commits tr.bad').innerText()).toContain('added the loader');
    const progress = page.locator('tr[data-milestone="m1"] [data-field="progress"]');
    expect(await progress.innerText()).toBe('0/2');

    // A marker on the page survives only if the update arrives without a reload.
    await page.evaluate('window.notReloaded = true');
    await closeByKey(p, 'task/m1/tokenizer');
    await page.waitForSelector('tr[data-milestone="m1"] [data-field="progress"]:text-is("1/2")', {
      timeout: 10_000,
    });
    expect(await page.locator('tr[data-agent="foundation"] [data-field="issues"]').innerText()).toBe(
      '1 closed, 3 open',
    );
    expect(await page.evaluate('window.notReloaded')).toBe(true);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-dashboard.png'), fullPage: true });
  }, 120_000);

  it('is read-only: GET serves the page and the snapshot, nothing else is routed', async () => {
    const p = (project = await crewProject());
    web = await serve(p);
    const snapshot = (await (await fetch(`${web.url}api/snapshot`)).json()) as {
      agents: { agent: string }[];
    };
    expect(snapshot.agents.map((a) => a.agent)).toEqual([
      'foundation',
      'architecture',
      'training',
      'application',
    ]);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      expect((await fetch(web.url, { method })).status).toBe(404);
      expect((await fetch(`${web.url}api/snapshot`, { method })).status).toBe(404);
    }
  });

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    const p = (project = await crewProject());
    web = await serve(p);
    const port = new URL(web.url).port;
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${web!.url}api/snapshot`, { headers: { host } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      expect((await get(host)).status, host).toBe(200);
    const forged = await get(`evil.example:${port}`);
    expect(forged.status).toBe(403);
    expect(forged.body).toContain(`host 'evil.example:${port}' is not allowed`);
  });

  it('says which port is taken', async () => {
    const p = (project = await crewProject());
    web = await serve(p);
    const port = Number(new URL(web.url).port);
    await expect(
      startWebDashboard({ load: async () => buildSnapshotFor(p), port, intervalMs: 100 }),
    ).rejects.toThrow(`port ${port} is in use: pick another with --port P`);
  });
});

const buildSnapshotFor = (p: Project) =>
  buildSnapshot({ plan: p.plan, tracker: p.tracker, repo: p.dir, status: async () => [] });
