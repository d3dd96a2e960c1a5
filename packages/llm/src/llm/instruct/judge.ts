// Section 7.8: scoring the fine-tuned model's responses with a larger model as the judge. Each
// response goes to the judge with the book's prompt (the instruction, the reference output and the
// model's response; an integer from 0 to 100 in reply), over Ollama's /api/chat (the book's
// query_model) or any OpenAI-compatible /v1/chat/completions endpoint. Transient failures (the
// connection refused or reset, a timeout, HTTP 429 or 5xx) are retried with exponential backoff; a
// reply without a usable number is asked again and then recorded as unscored. Scores are handed to
// onScore as they come, so that a caller can keep them if the server goes away.
import { UserError } from 'llm-scratch-core/errors';
import { formatInput, type InstructionEntry } from '../instruction.js';

export type JudgeApi = 'ollama' | 'openai';

export interface JudgeOptions {
  url: string;
  model: string;
  api: JudgeApi;
  // Tries per request (1 = no retry) and the first backoff delay, doubled after each try.
  tries: number;
  retryDelayMs: number;
  timeoutMs: number;
  // Sent as `Authorization: Bearer <value>`; `from` names where it came from (an environment
  // variable) for messages, which never show the value.
  apiKey?: { value: string; from: string };
}

export const JUDGE_DEFAULTS: JudgeOptions = {
  url: 'http://localhost:11434',
  model: 'llama3',
  api: 'ollama',
  tries: 4,
  retryDelayMs: 1000,
  timeoutMs: 120_000,
};

export type ResponseEntry = InstructionEntry & { model_response: string };

// The book's scoring prompt, word for word.
export function judgePrompt(entry: ResponseEntry): string {
  return (
    `Given the input \`${formatInput(entry)}\` ` +
    `and correct output \`${entry.output}\`, ` +
    `score the model response \`${entry.model_response}\`` +
    ` on a scale from 0 to 100, where 100 is the best score. ` +
    `Respond with the integer number only.`
  );
}

// The score in a judge's reply: the first number in it if that is within 0-100 ("85", "Score: 85",
// "85/100", "I would give it 85.") rounded to an integer; null when there is none.
export function parseScore(reply: string): number | null {
  const match = /-?\d+(?:\.\d+)?/.exec(reply);
  if (!match) return null;
  const value = Number(match[0]);
  return value >= 0 && value <= 100 ? Math.round(value) : null;
}

// A failure worth trying again (the server may come back).
class TransientError extends Error {}

function endpoint(o: Pick<JudgeOptions, 'url' | 'api'>): string {
  const base = o.url.replace(/\/+$/, '');
  if (o.api === 'ollama') return base.endsWith('/api/chat') ? base : `${base}/api/chat`;
  if (base.endsWith('/chat/completions')) return base;
  return base.endsWith('/v1') ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

// The reply's text. Ollama answers one JSON object, or one per line when streaming (the book reads
// those and joins message.content); OpenAI-compatible servers answer choices[0].message.content.
function replyText(api: JudgeApi, body: string): string {
  if (api === 'openai') {
    const json = JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] };
    const content = json.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new Error('no choices[0].message.content in the reply');
    return content;
  }
  let text = '';
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    const json = JSON.parse(line) as { message?: { content?: unknown }; error?: unknown };
    if (typeof json.error === 'string') throw new Error(json.error);
    if (typeof json.message?.content === 'string') text += json.message.content;
  }
  return text;
}

async function queryOnce(prompt: string, o: JudgeOptions): Promise<string> {
  const body =
    o.api === 'ollama'
      ? // The book's settings: deterministic replies, a 2048-token context.
        {
          model: o.model,
          messages: [{ role: 'user', content: prompt }],
          options: { seed: 123, temperature: 0, num_ctx: 2048 },
          stream: false,
        }
      : { model: o.model, messages: [{ role: 'user', content: prompt }], temperature: 0, seed: 123 };
  let res: Response;
  try {
    res = await fetch(endpoint(o), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey.value}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new TransientError(cause?.code ?? cause?.message ?? (err as Error).message);
  }
  const text = await res.text().catch((err: Error) => {
    throw new TransientError(err.message);
  });
  if (res.status === 429 || res.status >= 500) throw new TransientError(`HTTP ${res.status}`);
  if (!res.ok) {
    throw new UserError(
      `judge ${endpoint(o)}: HTTP ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}${statusHint(res.status, o)}`,
    );
  }
  try {
    return replyText(o.api, text);
  } catch (err) {
    throw new TransientError(`an unreadable reply (${(err as Error).message})`);
  }
}

function statusHint(status: number, o: JudgeOptions): string {
  if (status === 404) return ` (is the model '${o.model}' pulled, and is --api ${o.api} right?)`;
  if (status === 401 || status === 403)
    return o.apiKey
      ? ` (the server refused the key in $${o.apiKey.from})`
      : ' (no API key was sent: set OPENAI_API_KEY, or name the variable that holds it with --api-key-env)';
  return '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The judge's reply to one prompt, retrying transient failures; the last failure is thrown as a
// JudgeUnavailableError.
export class JudgeUnavailableError extends Error {}

export async function queryJudge(prompt: string, o: JudgeOptions): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt < o.tries; attempt++) {
    if (attempt > 0) await sleep(o.retryDelayMs * 2 ** (attempt - 1));
    try {
      return await queryOnce(prompt, o);
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      last = err.message;
    }
  }
  throw new JudgeUnavailableError(`${endpoint(o)} failed ${o.tries} times (last: ${last})`);
}

export interface ItemScore {
  index: number;
  score: number | null;
  // The judge's reply when it held no usable score.
  reply?: string;
}

export interface JudgeReport {
  scores: ItemScore[];
  scored: number;
  total: number;
  average: number;
}

export function summarize(scores: ItemScore[], total: number): JudgeReport {
  const valid = scores.filter((s) => s.score !== null).map((s) => s.score!);
  return {
    scores,
    scored: valid.length,
    total,
    average: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN,
  };
}

// Checks that every entry has the fields the prompt needs, naming the bad ones by index.
export function checkResponses(entries: unknown, source: string): ResponseEntry[] {
  if (!Array.isArray(entries)) throw new UserError(`${source}: expected a JSON array of responses`);
  const bad: string[] = [];
  entries.forEach((e: Record<string, unknown> | null, i) => {
    const missing = ['instruction', 'output', 'model_response'].filter((k) => typeof e?.[k] !== 'string');
    if (missing.length) bad.push(`record ${i}: ${missing.map((k) => `'${k}'`).join(', ')} missing`);
  });
  if (bad.length)
    throw new UserError(
      `${source}: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`,
    );
  if (entries.length === 0) throw new UserError(`${source}: no responses`);
  return entries as ResponseEntry[];
}

// Scores every entry in order. onScore gets each score as it comes (to save it). When the judge
// stays unreachable, the error says how many were scored; the scores so far have been handed out.
export async function judgeResponses(
  entries: readonly ResponseEntry[],
  o: JudgeOptions,
  onScore: (score: ItemScore, done: number) => void = () => {},
  start: ItemScore[] = [],
): Promise<JudgeReport> {
  const scores = [...start];
  const done = new Set(start.map((s) => s.index));
  for (let index = 0; index < entries.length; index++) {
    if (done.has(index)) continue;
    const prompt = judgePrompt(entries[index]);
    let item: ItemScore = { index, score: null };
    // A reply without a number is asked once more before it counts as unscored.
    for (let ask = 0; ask < 2; ask++) {
      let reply: string;
      try {
        reply = await queryJudge(prompt, o);
      } catch (err) {
        if (err instanceof JudgeUnavailableError) {
          throw new UserError(
            `judge unavailable: ${err.message}; scored ${scores.filter((s) => s.score !== null).length} of ${entries.length}${o.api === 'ollama' ? ' (is `ollama serve` running?)' : ''}`,
          );
        }
        throw err;
      }
      const score = parseScore(reply);
      item = score === null ? { index, score: null, reply: reply.slice(0, 200) } : { index, score };
      if (score !== null) break;
    }
    scores.push(item);
    onScore(item, scores.length);
  }
  return summarize(scores, entries.length);
}
