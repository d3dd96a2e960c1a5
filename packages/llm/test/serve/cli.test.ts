// `llm-scratch serve` as a user runs it: a real process that loads the models, listens on
// 127.0.0.1 unless told otherwise, answers, and stops on SIGTERM; and its usage errors.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { saveTinyModels, type TinyModels } from './models.js';

/** GET with a Host header of our choosing, as a DNS-rebinding page's request would carry. */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let models: TinyModels;
beforeAll(() => {
  models = saveTinyModels();
}, 60_000);
afterAll(() => models?.cleanup());

const cli = new URL('../../src/cli/llm-scratch.ts', import.meta.url).pathname;

describe('llm-scratch serve', () => {
  it('listens on 127.0.0.1 by default, serves the models, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        'serve',
        '--model',
        models.base,
        '--model',
        `chat=${models.instruct}`,
        '--port',
        '0',
        '--cors',
        'http://localhost:5173',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      while (!stdout.includes('\n')) {
        const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit')])) as [Buffer];
        if (child.exitCode !== null) throw new Error(`serve exited: ${stderr}`);
        stdout += chunk;
      }
      const started = JSON.parse(stdout);
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.models).toEqual([
        { name: 'tiny-base', kind: 'base' },
        { name: 'chat', kind: 'instruct' },
      ]);
      const health = await fetch(`${started.url}/healthz`);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
      expect(health.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      // Only loopback names are answered: a forged Host gets 403 in the API's error shape.
      const port = new URL(started.url).port;
      expect((await getWithHost(`${started.url}/healthz`, `localhost:${port}`)).status).toBe(200);
      const forged = await getWithHost(`${started.url}/v1/models`, `evil.example:${port}`);
      expect(forged.status).toBe(403);
      expect(JSON.parse(forged.body).error).toMatchObject({
        type: 'permission_error',
        code: 'host_not_allowed',
      });
      expect(JSON.parse(forged.body).error.message).toContain(`host 'evil.example:${port}' is not allowed`);
      const chat = await fetch(`${started.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3 }),
      });
      expect(((await chat.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(
        3,
      );
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('explains usage and input mistakes in one line', async () => {
    const missing = await runCli(llmScratch, ['serve']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--model is required/);
    const noDir = await runCli(llmScratch, ['serve', '--model', `${models.root}/nope`]);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/--model .*\/nope: no such directory/);
    expect(noDir.stderr.trim().split('\n')).toHaveLength(1);
    const twice = await runCli(llmScratch, ['serve', '--model', models.base, '--model', models.base]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/two models are named 'tiny-base': name them with --model NAME=DIR/);
    expect((await runCli(llmScratch, ['serve', '--model', models.base, '--port', '70000'])).code).toBe(2);
    expect((await runCli(llmScratch, ['serve', '--help'])).stdout).toMatch(
      /--host HOST\s+address to listen on.*\(default: 127\.0\.0\.1\)/,
    );
    expect((await runCli(llmScratch, ['serve', '--help'])).stdout).toMatch(
      /--max-batch N\s+requests one model decodes together.*\(at least 1; default: 8\)/,
    );
    expect((await runCli(llmScratch, ['serve', '--help'])).stdout).toMatch(
      /--cors ORIGIN\s+let browser pages of this origin/,
    );
  });
});
