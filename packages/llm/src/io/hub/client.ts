// The HTTP side of talking to the hub through @huggingface/hub: a fetch that the client's calls
// all go through, which remembers what the client's errors leave out (the hub's X-Error-Code,
// the range a body response really starts at) and gives up on a server that does not answer,
// and the translation of the client's errors into one line that says what to do.
import { HubApiError, InvalidApiResponseFormatError } from '@huggingface/hub';
import { UserError } from 'llm-scratch-core/errors';

export interface HubTarget {
  endpoint: string;
  repo: string;
  revision: string;
  token: string | undefined;
}

export interface HubFetch {
  fetch: typeof fetch;
  // The hub's X-Error-Code of the last response that was not ok (GatedRepo, RepoNotFound, ...).
  lastErrorCode(): string | null;
  // Where the last response's body starts in its file: a 206's Content-Range start, else 0.
  servedFrom(): number;
}

export function hubFetch(answerWithinMs: number): HubFetch {
  let errorCode: string | null = null;
  let servedFrom = 0;
  const wrapped: typeof fetch = async (input, init) => {
    // Only until the response's headers come: a body is watched by the download itself.
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`no answer within ${answerWithinMs / 1000} s`)),
      answerWithinMs,
    );
    let response: Response;
    try {
      const signal = init?.signal ? AbortSignal.any([init.signal, abort.signal]) : abort.signal;
      response = await fetch(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) errorCode = response.headers.get('x-error-code');
    const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    servedFrom = response.status === 206 && range ? Number(range[1]) : 0;
    return response;
  };
  return { fetch: wrapped, lastErrorCode: () => errorCode, servedFrom: () => servedFrom };
}

const repoPage = (t: HubTarget) => `${t.endpoint}/${t.repo}`;

/** The gated (or private) repository's answer; `known` when the hub said it is gated. */
export function gatedError(t: HubTarget, known = false): UserError {
  return new UserError(
    t.token
      ? `HF_TOKEN has no access to ${t.repo}: accept the licence on ${repoPage(t)} with the token's account (a gated repository may take a while to grant access), then run again`
      : `${t.repo} is ${known ? 'gated' : 'gated or private'}: accept the licence on ${repoPage(t)} and set HF_TOKEN to an access token of that account`,
  );
}

function notFound(t: HubTarget): UserError {
  return new UserError(
    `repository ${t.repo} not found on ${t.endpoint}${t.token ? '' : ' (a private one needs HF_TOKEN)'}: check the name, as OWNER/NAME`,
  );
}

/** What the hub's answer `status` (with its X-Error-Code) means for this pull. */
function statusError(t: HubTarget, status: number, code: string | null, path: string | null): UserError {
  if (code === 'GatedRepo') return gatedError(t);
  if (code === 'RepoNotFound') return notFound(t);
  if (code === 'RevisionNotFound')
    return new UserError(
      `revision '${t.revision}' not found in ${t.repo}: give a branch, tag or commit of it`,
    );
  if (code === 'EntryNotFound' && path)
    return new UserError(`${path}: listed in ${t.repo} but the hub does not serve it (${status})`);
  if (status === 401 && t.token)
    return new UserError(`HF_TOKEN was refused by ${t.endpoint} (401): check that the token is valid`);
  if (status === 401 || status === 403) return gatedError(t);
  if (status === 404) return path ? new UserError(`${path}: not found in ${t.repo} (404)`) : notFound(t);
  if (status === 429)
    return new UserError(`${t.endpoint} limits the rate of requests (429): try again later`);
  return new UserError(`${t.endpoint} answered ${status}${path ? ` for ${path}` : ''}: try again later`);
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The client's error (or fetch's) as a UserError saying what to do; a bug is rethrown. */
export function explain(err: unknown, t: HubTarget, http: HubFetch, path: string | null = null): never {
  if (err instanceof UserError) throw err;
  if (err instanceof HubApiError) throw statusError(t, err.statusCode, http.lastErrorCode(), path);
  if (err instanceof InvalidApiResponseFormatError)
    throw new UserError(
      `${t.endpoint} does not answer as the Hugging Face hub does: ${oneLine(err.message)}`,
    );
  const e = err as Error & { cause?: Error & { code?: string } };
  if (e instanceof TypeError && e.message === 'fetch failed') {
    const cause = e.cause?.code ?? (e.cause?.message ? oneLine(e.cause.message) : 'no connection');
    throw new UserError(
      `cannot reach ${t.endpoint} (${cause}): check the network connection, or HF_ENDPOINT`,
    );
  }
  if (e?.name === 'AbortError' || /^no answer within/.test(e?.message ?? ''))
    throw new UserError(`${t.endpoint} did not answer: ${oneLine(e.message)}; try again later`);
  throw err;
}
