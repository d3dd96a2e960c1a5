// The server's API as the page uses it: JSON calls, and server-sent events read from a fetch body
// (EventSource cannot POST).

export type ModelKind = 'base' | 'instruct' | 'classifier';

export interface ModelInfo {
  id: string;
  kind: ModelKind;
  parameters: number;
  config: { contextLength: number; embDim: number; nLayers: number; nHeads: number };
  labels?: string[];
}

export interface ServerEvent {
  event: string;
  data: string;
}

// The API's errors carry {error: {message}}; anything else is reported by its status.
async function failure(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function postJson<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

// POSTs and yields each server-sent event as it arrives.
export async function* postEvents(
  url: string,
  body: unknown,
  signal: AbortSignal,
): AsyncGenerator<ServerEvent> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: ServerEvent = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) message.data += line.slice(6);
      }
      yield message;
    }
  }
}
