// Requests to a listening server as its clients make them: a JSON POST, and its answer without
// what differs from one call to the next (OpenAI's id and created), streamed answers as their
// server-sent events.
import { expect } from 'vitest';
import { parseSse } from './models.js';

export const postJson = (base: string, path: string, body: object, signal?: AbortSignal) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

export async function answerOf(base: string, path: string, body: Record<string, unknown>): Promise<unknown> {
  const res = await postJson(base, path, body);
  expect(res.status).toBe(200);
  if (!body.stream) {
    const json = (await res.json()) as Record<string, unknown>;
    delete json.id;
    delete json.created;
    return json;
  }
  return parseSse(await res.text()).map((m) => ({
    event: m.event,
    data: m.data.startsWith('{') ? { ...JSON.parse(m.data), id: undefined, created: undefined } : m.data,
  }));
}
