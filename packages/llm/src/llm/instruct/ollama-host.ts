// OLLAMA_HOST read as the Ollama client reads it (envconfig.Host and ConnectableHost in
// ollama/ollama's envconfig/config.go): `host`, `host:port`, `:port`, `[v6]:port` or a URL with an
// optional path; http by default, port 11434 unless the scheme says 80 or 443; `ollama.com` alone is
// https://ollama.com:443; an unspecified bind address (0.0.0.0, ::, empty) is reached on loopback.
// Ollama logs a bad port and falls back to 11434; here it is refused, since a judge run against the
// wrong server wastes the whole run.
import { UserError } from 'llm-scratch-core/errors';

export const OLLAMA_HOST_ENV = 'OLLAMA_HOST';
const DEFAULT_PORT = '11434';

// Go's net.SplitHostPort for the cases Ollama meets: null where it would fail.
function splitHostPort(hostport: string): [string, string] | null {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || hostport[end + 1] !== ':') return null;
    return [hostport.slice(1, end), hostport.slice(end + 2)];
  }
  const colon = hostport.indexOf(':');
  if (colon < 0 || colon !== hostport.lastIndexOf(':')) return null;
  return [hostport.slice(0, colon), hostport.slice(colon + 1)];
}

const isIPv6 = (host: string) => host.includes(':');

// The base URL of the Ollama server named by an OLLAMA_HOST value.
export function ollamaHostUrl(value: string): string {
  const shown = `${OLLAMA_HOST_ENV} ${JSON.stringify(value.slice(0, 100))}`;
  const s = value.trim();
  let scheme = 'http';
  let rest = s;
  let defaultPort = DEFAULT_PORT;
  const sep = s.indexOf('://');
  if (sep < 0) {
    if (s === 'ollama.com') [scheme, rest] = ['https', 'ollama.com:443'];
  } else {
    scheme = s.slice(0, sep);
    rest = s.slice(sep + 3);
    if (scheme === 'http') defaultPort = '80';
    else if (scheme === 'https') defaultPort = '443';
    else throw new UserError(`${shown}: the scheme must be http or https, got '${scheme}'`);
  }
  const slash = rest.indexOf('/');
  const hostport = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  let [host, port] = splitHostPort(hostport) ?? [hostport.replace(/^\[(.*)\]$/, '$1'), defaultPort];
  if (port === '') port = defaultPort;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
    throw new UserError(`${shown}: the port must be a number from 0 to 65535, got '${port.slice(0, 20)}'`);
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';
  return `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}${path.replace(/\/+$/, '')}`;
}
