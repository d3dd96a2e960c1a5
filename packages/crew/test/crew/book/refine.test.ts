// `book summarize --llm URL` against a stand-in chat completions server on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitBook } from '../../../src/crew/book/split.js';
import { summarizeDir } from '../../../src/crew/book/summarize.js';
import { CHAPTERS, makeBook } from './fixtures.js';

describe('book summarize --llm', () => {
  let server: Server;
  let url: string;
  const requests: { model: string; messages: { role: string; content: string }[] }[] = [];
  let status = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body);
        requests.push(parsed);
        res.writeHead(status, { 'content-type': 'application/json' });
        const title = parsed.messages[1].content.split(' (printed')[0];
        res.end(
          JSON.stringify({ choices: [{ message: { role: 'assistant', content: ` Brief for ${title}. ` } }] }),
        );
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/v1/chat/completions`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('adds the model brief to each chunk, and names the server when it fails', async () => {
    const book = await makeBook({ chapters: CHAPTERS, outline: 'flat', labels: true, toc: false });
    const out = join(mkdtempSync(join(tmpdir(), 'crew-llm-')), 'chunks');
    await splitBook(book.path, { by: 'chapter' }, out);
    const summaries = await summarizeDir(out, { llm: { url, model: 'tiny' } });
    expect(summaries[1]!.refined).toBe('Brief for Chapter 1 Getting Started.');
    expect(requests).toHaveLength(summaries.length);
    expect(requests[1]!.model).toBe('tiny');
    expect(requests[1]!.messages[1]!.content).toContain('<!-- page 5 (printed 1) -->');
    status = 500;
    await expect(summarizeDir(out, { llm: { url } })).rejects.toThrow(
      `${url}: the model server answered HTTP 500`,
    );
  });
});
