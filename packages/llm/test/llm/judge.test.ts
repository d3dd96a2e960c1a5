// Section 7.8's judge against in-process HTTP servers speaking Ollama's /api/chat and OpenAI's
// /v1/chat/completions: the book's prompt, score parsing, retries, and what survives a dead server.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import {
  JUDGE_DEFAULTS,
  judgePrompt,
  judgeResponses,
  parseScore,
  type ResponseEntry,
} from '../../src/llm/instruct/judge.js';
import { runCli } from '../../../../test/helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-scratch-judge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entries: ResponseEntry[] = [
  {
    instruction: 'Rewrite the sentence using a simile.',
    input: 'The car is very fast.',
    output: 'The car is as fast as lightning.',
    model_response: 'The car is as fast as a bullet.',
  },
  {
    instruction: 'What type of cloud is typically associated with thunderstorms?',
    input: '',
    output: 'The type of cloud typically associated with thunderstorms is cumulonimbus.',
    model_response: 'The type of cloud associated with thunderstorms is a cumulus cloud.',
  },
  {
    instruction: 'Name the author of "Pride and Prejudice".',
    input: '',
    output: 'Jane Austen.',
    model_response: 'The author of "Pride and Prejudice" is Jane Austen.',
  },
];

interface Call {
  path: string;
  body: { model: string; messages: { role: string; content: string }[]; stream?: boolean };
}

// A judge server: `reply(call, n)` gives [status, body] for the n-th request (0-based).
// With dieAfter, the server stops (closing every connection) after answering that many requests.
async function judgeServer(
  reply: (call: Call, n: number) => [number, string],
  dieAfter?: number,
): Promise<{ url: string; calls: Call[]; server: Server }> {
  const calls: Call[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const call = { path: req.url ?? '', body: JSON.parse(data) as Call['body'] };
      const [status, body] = reply(call, calls.length);
      calls.push(call);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body, () => {
        if (calls.length === dieAfter) {
          server.close();
          server.closeAllConnections();
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, server };
}

const ollama = (content: string) =>
  JSON.stringify({ model: 'llama3', message: { role: 'assistant', content }, done: true });
const openai = (content: string) =>
  JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }] });
const fast = { ...JUDGE_DEFAULTS, retryDelayMs: 5, timeoutMs: 5000 };

describe('the judge prompt and scores', () => {
  it("is the book's prompt", () => {
    expect(judgePrompt(entries[0])).toBe(
      'Given the input `Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nRewrite the sentence using a simile.\n\n### Input:\nThe car is very fast.` ' +
        'and correct output `The car is as fast as lightning.`, score the model response `The car is as fast as a bullet.` ' +
        'on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.',
    );
  });

  it('parses scores robustly', () => {
    expect(parseScore('85')).toBe(85);
    expect(parseScore(' Score: 92/100\n')).toBe(92);
    expect(parseScore('I would rate it 67.6.')).toBe(68);
    expect(parseScore('100')).toBe(100);
    expect(parseScore('0')).toBe(0);
    expect(parseScore('excellent!')).toBeNull();
    expect(parseScore('250')).toBeNull();
    expect(parseScore('-3')).toBeNull();
  });
});

describe('judgeResponses over HTTP', () => {
  it("speaks Ollama's /api/chat (also streamed lines) and averages the scores", async () => {
    const { url, calls, server } = await judgeServer((_, n) =>
      n === 1
        ? [
            200,
            `${JSON.stringify({ message: { content: '4' } })}\n${JSON.stringify({ message: { content: '0' }, done: true })}\n`,
          ]
        : [200, ollama(n === 0 ? '85' : '100')],
    );
    try {
      const r = await judgeResponses(entries, { ...fast, url });
      expect(r.scores.map((s) => s.score)).toEqual([85, 40, 100]);
      expect(r.average).toBeCloseTo(75, 10);
      expect(calls[0].path).toBe('/api/chat');
      expect(calls[0].body.model).toBe('llama3');
      expect(calls[0].body.messages).toEqual([{ role: 'user', content: judgePrompt(entries[0]) }]);
    } finally {
      server.close();
    }
  });

  it('speaks OpenAI /v1/chat/completions and retries 503s and nonsense', async () => {
    const { url, calls, server } = await judgeServer((_, n) => {
      if (n === 0) return [503, 'busy'];
      if (n === 2) return [200, openai('A fine answer.')];
      return [200, openai(String(10 * n))];
    });
    try {
      const r = await judgeResponses(entries, {
        ...fast,
        url: `${url}/v1`,
        api: 'openai',
        model: 'gpt-judge',
      });
      // 503 retried; the nonsense reply asked again.
      expect(r.scores.map((s) => s.score)).toEqual([10, 30, 40]);
      expect(calls.every((c) => c.path === '/v1/chat/completions')).toBe(true);
      expect(calls[0].body.model).toBe('gpt-judge');
    } finally {
      server.close();
    }
  });

  it('records a reply that stays nonsense as unscored', async () => {
    const { url, server } = await judgeServer(() => [200, ollama('I cannot score this.')]);
    try {
      const r = await judgeResponses(entries.slice(0, 1), { ...fast, url });
      expect(r.scores).toEqual([{ index: 0, score: null, reply: 'I cannot score this.' }]);
      expect(r.scored).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('llm-scratch judge', () => {
  const responses = join(dir, 'responses.json');
  writeFileSync(responses, JSON.stringify(entries));

  it('prints per-item scores and the average, and writes them', async () => {
    const { url, server } = await judgeServer((_, n) => [200, ollama(String(50 + n))]);
    try {
      const out = join(dir, 'scores.json');
      const r = await runCli(llmScratch, [
        'judge',
        '--responses',
        responses,
        '--judge-url',
        url,
        '--out',
        out,
      ]);
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Number of scores: 3 of 3\nAverage score: 51.00');
      const saved = JSON.parse(readFileSync(out, 'utf8')) as { scores: { score: number }[]; average: number };
      expect(saved.scores.map((s) => s.score)).toEqual([50, 51, 52]);
    } finally {
      server.close();
    }
  });

  it('a server that dies: a clear message, the scores so far kept, and a later run continues', async () => {
    const out = join(dir, 'partial.json');
    const { url } = await judgeServer(() => [200, ollama('70')], 1);
    const r = await runCli(llmScratch, [
      'judge',
      '--responses',
      responses,
      '--judge-url',
      url,
      '--out',
      out,
      '--tries',
      '2',
      '--retry-delay',
      '5',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/judge unavailable: .*failed 2 times .*scored 1 of 3.*the scores so far are in/);
    expect(existsSync(out)).toBe(true);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { scored: number }).scored).toBe(1);

    const again = await judgeServer(() => [200, ollama('90')]);
    try {
      const r2 = await runCli(llmScratch, [
        'judge',
        '--responses',
        responses,
        '--judge-url',
        again.url,
        '--out',
        out,
        '--json',
      ]);
      expect(r2.code).toBe(0);
      expect(r2.stderr).toContain('1 of 3 already scored');
      expect(again.calls.length).toBe(2);
      expect((JSON.parse(r2.stdout) as { average: number }).average).toBeCloseTo((70 + 90 + 90) / 3, 10);
    } finally {
      again.server.close();
    }
  });

  it('a judge that answers nonsense only: a clear message, exit 1', async () => {
    const { url, server } = await judgeServer(() => [200, ollama('What a lovely answer!')]);
    try {
      const out = join(dir, 'nonsense.json');
      const r = await runCli(llmScratch, [
        'judge',
        '--responses',
        responses,
        '--judge-url',
        url,
        '--out',
        out,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'the judge gave no usable score (an integer 0-100) for any of the 3 responses, e.g. "What a lovely answer!"',
      );
      expect((JSON.parse(readFileSync(out, 'utf8')) as { scores: unknown[] }).scores.length).toBe(3);
    } finally {
      server.close();
    }
  });

  it('bad input: a missing field named by index; nothing listening: a clear message', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([entries[0], { instruction: 'x', output: 'y' }]));
    const r = await runCli(llmScratch, ['judge', '--responses', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("record 1: 'model_response' missing");
    // A port nothing listens on: a server's, closed.
    const gone = await judgeServer(() => [200, '']);
    await new Promise((resolve) => gone.server.close(resolve));
    const down = await runCli(llmScratch, [
      'judge',
      '--responses',
      responses,
      '--judge-url',
      gone.url,
      '--tries',
      '1',
      '--out',
      join(dir, 'none.json'),
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /judge unavailable: http:\/\/127\.0\.0\.1:\d+\/api\/chat failed 1 times \(last: ECONNREFUSED\); scored 0 of 3 \(is `ollama serve` running\?\)/,
    );
  });
});
