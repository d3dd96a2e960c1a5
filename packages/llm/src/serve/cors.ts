// Cross-origin access for a browser page served from another origin (serve --cors ORIGIN): off
// unless asked, since without it no other site's page may read the API's answers. ORIGIN is one
// exact origin (scheme://host[:port]) or '*'. Preflight OPTIONS requests are answered here, before
// any route; the headers go on the raw response, so hijacked event streams carry them too.
import type { FastifyInstance } from 'fastify';
import { UsageError } from 'llm-scratch-core/errors';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const MAX_AGE_SECONDS = '600';

// '*' or an origin as a browser sends it: no path, no trailing slash.
export function parseCorsOrigin(value: string): string {
  if (value === '*') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--cors: '${value}' is not an origin (scheme://host[:port], or *)`);
  }
  if (!/^https?:$/.test(url.protocol) || url.origin !== value)
    throw new UsageError(
      `--cors: '${value}' is not an origin (scheme://host[:port] without a path or trailing slash, or *)`,
    );
  return value;
}

export function installCors(app: FastifyInstance, origin: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const res = reply.raw;
    res.setHeader('access-control-allow-origin', origin);
    if (origin !== '*') res.setHeader('vary', 'Origin');
    if (request.method !== 'OPTIONS' || !request.headers['access-control-request-method']) return;
    res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
    // Whatever headers the page asks to send (authorization, content-type, the SDK's own).
    const asked = request.headers['access-control-request-headers'];
    if (asked) res.setHeader('access-control-allow-headers', asked);
    res.setHeader('access-control-max-age', MAX_AGE_SECONDS);
    return reply.code(204).send();
  });
}
