// The judge's API key (OPENAI_API_KEY or --api-key-env NAME, sent as Authorization: Bearer and
// never printed) and its default server from OLLAMA_HOST, against in-process HTTP servers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { ollamaHostUrl } from '../../src/llm/instruct/ollama-host.js';
import { runCli } from '../../../../test/helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-judge-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const responses = join(dir, 'responses.json');
writeFileSync(
  responses,
  JSON.stringify([{ instruction: 'Name a colour.', input: '', output: 'Red.', model_response: 'Blue.' }]),
);
const KEY = 'sk-test-9f8e7d6c5b4a';

interface Seen {
  path: string;
  host: string | undefined;
  authorization: string | undefined;
}

// Answers every request with `status` and a reply of score 70 in both APIs' shapes.
async function server(status = 200): Promise<{ port: number; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url ?? '', host: req.headers.host, authorization: req.headers.authorization });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        status === 200
          ? JSON.stringify({ message: { content: '70' }, choices: [{ message: { content: '70' } }] })
          : '{"error":"invalid api key"}',
      );
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { port: (s.address() as AddressInfo).port, seen, server: s };
}

const judge = (out: string, ...args: string[]) =>
  runCli(llmScratch, ['judge', '--responses', responses, '--out', join(dir, out), '--tries', '1', ...args]);

describe('OLLAMA_HOST as Ollama reads it', () => {
  it.each([
    ['0.0.0.0:11434', 'http://127.0.0.1:11434'],
    ['gpu-box', 'http://gpu-box:11434'],
    ['gpu-box:8080', 'http://gpu-box:8080'],
    [':9000', 'http://127.0.0.1:9000'],
    ['[::1]:8080', 'http://[::1]:8080'],
    ['::', 'http://[::1]:11434'],
    ['http://gpu-box', 'http://gpu-box:80'],
    ['https://gpu-box/ollama/', 'https://gpu-box:443/ollama'],
    ['ollama.com', 'https://ollama.com:443'],
    ['  10.0.0.5:11434 ', 'http://10.0.0.5:11434'],
  ])('%j -> %s', (value, url) => expect(ollamaHostUrl(value)).toBe(url));

  it('refuses a bad port or scheme in one line naming the variable', () => {
    expect(() => ollamaHostUrl('gpu-box:99999')).toThrow(
      'OLLAMA_HOST "gpu-box:99999": the port must be a number from 0 to 65535, got \'99999\'',
    );
    expect(() => ollamaHostUrl('ftp://gpu-box')).toThrow("the scheme must be http or https, got 'ftp'");
  });
});

describe('the judge: key and server', () => {
  it('sends OPENAI_API_KEY to an OpenAI-compatible server and never prints it', async () => {
    const s = await server();
    try {
      vi.stubEnv('OPENAI_API_KEY', KEY);
      const r = await judge('openai.json', '--api', 'openai', '--judge-url', `http://127.0.0.1:${s.port}`);
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen).toEqual([
        { path: '/v1/chat/completions', host: `127.0.0.1:${s.port}`, authorization: `Bearer ${KEY}` },
      ]);
      expect(r.stdout + r.stderr + readFileSync(join(dir, 'openai.json'), 'utf8')).not.toContain(KEY);
    } finally {
      s.server.close();
    }
  });

  it('sends no key to an Ollama server unless --api-key-env names one', async () => {
    const s = await server();
    try {
      vi.stubEnv('OPENAI_API_KEY', KEY);
      vi.stubEnv('MY_JUDGE_KEY', 'other-key');
      const url = `http://127.0.0.1:${s.port}`;
      expect((await judge('o1.json', '--judge-url', url)).code).toBe(0);
      expect((await judge('o2.json', '--judge-url', url, '--api-key-env', 'MY_JUDGE_KEY')).code).toBe(0);
      expect(s.seen.map((x) => x.authorization)).toEqual([undefined, 'Bearer other-key']);
    } finally {
      s.server.close();
    }
  });

  it('refuses --api-key-env naming an unset variable before calling any server', async () => {
    const s = await server();
    try {
      vi.stubEnv('UNSET_JUDGE_KEY', '');
      const r = await judge(
        'unset.json',
        '--judge-url',
        `http://127.0.0.1:${s.port}`,
        '--api-key-env',
        'UNSET_JUDGE_KEY',
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'llm-scratch judge: --api-key-env UNSET_JUDGE_KEY: the environment variable UNSET_JUDGE_KEY is not set or empty\n',
      );
      expect(s.seen).toEqual([]);
    } finally {
      s.server.close();
    }
  });

  it('names where a refused key came from, not the key', async () => {
    const s = await server(401);
    try {
      vi.stubEnv('OPENAI_API_KEY', KEY);
      const r = await judge('refused.json', '--api', 'openai', '--judge-url', `http://127.0.0.1:${s.port}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('HTTP 401');
      expect(r.stderr).toContain('(the server refused the key in $OPENAI_API_KEY)');
      expect(r.stderr).not.toContain(KEY);
    } finally {
      s.server.close();
    }
  });

  it('uses OLLAMA_HOST when --judge-url is not given, and --judge-url over it', async () => {
    const s = await server();
    const other = await server();
    try {
      vi.stubEnv('OLLAMA_HOST', `127.0.0.1:${s.port}`);
      const r = await judge('host.json');
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen).toEqual([{ path: '/api/chat', host: `127.0.0.1:${s.port}`, authorization: undefined }]);
      const scores = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as { judge: { url: string } };
      expect(scores.judge.url).toBe(`http://127.0.0.1:${s.port}`);
      vi.stubEnv('OLLAMA_HOST', `http://127.0.0.1:${s.port}/`);
      expect((await judge('host-url.json')).code).toBe(0);
      expect((await judge('given.json', '--judge-url', `http://127.0.0.1:${other.port}`)).code).toBe(0);
      expect([s.seen.length, other.seen.length]).toEqual([2, 1]);
    } finally {
      s.server.close();
      other.server.close();
    }
  });

  it('refuses a bad OLLAMA_HOST in one line', async () => {
    vi.stubEnv('OLLAMA_HOST', 'localhost:port');
    const r = await judge('bad-host.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'llm-scratch judge: OLLAMA_HOST "localhost:port": the port must be a number from 0 to 65535, got \'port\'\n',
    );
  });
});

describe('a key given in place of a variable name', () => {
  it('is refused without being printed', async () => {
    const r = await judge('named-key.json', '--api-key-env', KEY);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api-key-env takes the name of an environment variable');
    expect(r.stderr).not.toContain(KEY);
  });
});
