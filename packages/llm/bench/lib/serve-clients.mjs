// The clients of `npm run bench:serve`, in a process of their own as real clients are: the server's
// event loop then serves requests and nothing else (clients in its own loop parsed every stream
// and delayed each request's arrival by a decode step). Plain JavaScript with the built-in fetch.
// Messages from the parent: { id, url, prompts, tokens }; answers: { id, seconds, answers } with
// each stream's text and token count as the server's closing event gives them, or { id, error }.
/* global fetch */
import { performance } from 'node:perf_hooks';

// One greedy stream over server-sent events; the `done` event carries the text and usage.
async function stream(url, prompt, tokens) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, maxNewTokens: tokens, stream: true }),
  });
  const body = await res.text();
  const done = body.split('event: done\ndata: ')[1];
  if (!res.ok || done === undefined) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`);
  const { text, usage } = JSON.parse(done.split('\n')[0]);
  return { text, count: usage.completionTokens };
}

process.on('message', async ({ id, url, prompts, tokens }) => {
  try {
    const t0 = performance.now();
    const answers = await Promise.all(prompts.map((p) => stream(url, p, tokens)));
    process.send({ id, seconds: (performance.now() - t0) / 1000, answers });
  } catch (err) {
    process.send({ id, error: String(err) });
  }
});
