// Which Host headers a local HTTP server answers. A server bound to the loopback address is still
// reachable from the user's browser through DNS rebinding: a page on evil.example re-points its
// name to 127.0.0.1 and then calls the server as its own origin, with `Host: evil.example`. Only a
// request that names the server as the user would (localhost, 127.0.0.1, [::1], or a name the user
// allowed) gets an answer; the others get 403 before any route runs.
import type { FastifyInstance, FastifyReply } from 'fastify';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Addresses that accept connections on every interface: any name may reach them. */
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * A host name as a Host header carries it, without the port: lower case, no trailing dot, an IPv6
 * address in brackets ('::1' and '[::1]:8000' both give '[::1]').
 */
export function normalizeHost(value: string): string {
  let h = value.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(0, h.indexOf(']') + 1 || h.length);
  else if (h.split(':').length > 2) h = `[${h}]`;
  else h = h.replace(/:\d*$/, '');
  return h.replace(/\.$/, '');
}

/**
 * The names a server bound to `bindHost` answers to: the loopback names, the bound address itself,
 * and `extra` (--allow-host). null: any, for a server bound to every interface with no name given,
 * since it is open to the network anyway and cannot know the names it is reached by.
 */
export function allowedHosts(bindHost: string, extra: string[] = []): Set<string> | null {
  if (WILDCARDS.has(bindHost.trim()) && extra.length === 0) return null;
  const names = [...LOOPBACK_NAMES, ...extra];
  if (!WILDCARDS.has(bindHost.trim())) names.push(bindHost);
  return new Set(names.map(normalizeHost));
}

/**
 * Refuses, with `refuse` (the server's own error shape), every request whose Host header is not one
 * of `allowed`; `hint` says how to allow another name.
 */
export function installHostCheck(
  app: FastifyInstance,
  allowed: Set<string> | null,
  refuse: (reply: FastifyReply, message: string) => FastifyReply,
  hint = '',
): void {
  if (!allowed) return;
  app.addHook('onRequest', async (request, reply) => {
    // An HTTP/1.0 request may carry no Host at all; a browser always sends one.
    const header = request.headers.host;
    if (header === undefined || allowed.has(normalizeHost(header))) return;
    return refuse(
      reply.code(403),
      `host '${header}' is not allowed: this server answers to ${[...allowed].join(', ')}` +
        ` (a guard against DNS rebinding${hint ? `; ${hint}` : ''})`,
    );
  });
}
