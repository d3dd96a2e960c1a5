// The environment variables the hub's own tools read, read the same way here: HF_ENDPOINT (the
// hub's base URL, for a mirror or a local stand-in) and HF_TOKEN (a user access token, sent as
// Authorization: Bearer).
import { UserError } from 'llm-scratch-core/errors';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

type Env = Record<string, string | undefined>;

export function hubEndpoint(env: Env = process.env): string {
  const raw = env.HF_ENDPOINT;
  if (raw === undefined || raw === '') return DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(
      `HF_ENDPOINT '${raw}' is not a URL: give the hub's base URL, e.g. ${DEFAULT_ENDPOINT}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError(
      `HF_ENDPOINT '${raw}' is not an http(s) URL: give the hub's base URL, e.g. ${DEFAULT_ENDPOINT}`,
    );
  return raw.replace(/\/+$/, '');
}

export function hubToken(env: Env = process.env): string | undefined {
  const token = env.HF_TOKEN?.trim();
  if (token === undefined || token === '') return undefined;
  // @huggingface/hub refuses any other token with a TypeError; say it here, as one line.
  if (!token.startsWith('hf_'))
    throw new UserError(
      "HF_TOKEN does not start with 'hf_': set it to a user access token from https://huggingface.co/settings/tokens",
    );
  return token;
}
