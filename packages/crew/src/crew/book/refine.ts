/**
 * The optional model pass of `book summarize --llm URL`: each chunk's summary and the start of its
 * text go to an OpenAI-compatible chat completions endpoint (a local llama.cpp or vLLM server, say),
 * which returns a short brief for a coding agent. One request per chunk, with a timeout.
 */
import { BookError } from './errors.js';
import type { ChunkSummary } from './summarize.js';

/** Characters of the chunk's Markdown sent with its summary: enough for its opening, not the chapter. */
const EXCERPT_CHARS = 6000;
const TIMEOUT_MS = 120_000;

export interface RefineOptions {
  url: string;
  model?: string;
}

export async function refineSummary(
  s: ChunkSummary,
  markdown: string,
  options: RefineOptions,
): Promise<string> {
  const body = {
    model: options.model ?? 'default',
    temperature: 0,
    max_tokens: 400,
    messages: [
      {
        role: 'system',
        content:
          'You brief a coding agent who will implement the code of one chunk of a technical book. ' +
          'In at most 120 words, say what the chunk teaches and what code it builds. Plain text.',
      },
      { role: 'user', content: `${s.summary}\n\nStart of the chunk:\n\n${markdown.slice(0, EXCERPT_CHARS)}` },
    ],
  };
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new BookError(`${options.url}: no answer from the model server (${(err as Error).message})`, 'io');
  }
  if (!response.ok)
    throw new BookError(`${options.url}: the model server answered HTTP ${response.status}`, 'io');
  const json = (await response.json().catch(() => null)) as {
    choices?: { message?: { content?: unknown } }[];
  } | null;
  const content = json?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') {
    throw new BookError(
      `${options.url}: not an OpenAI-compatible chat completion (no choices[0].message.content)`,
      'io',
    );
  }
  return content.trim();
}
