/**
 * `llm-crew dashboard --web`: Fastify on 127.0.0.1 serving the page, the snapshot as JSON and a
 * server-sent event stream that pushes a fresh fragment every interval. Only GET routes exist, so
 * the dashboard is read-only; it binds to the loopback address only, never to the network, and
 * answers only requests addressed to a loopback name (host-check.ts: no DNS rebinding).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { UserError } from 'llm-scratch-core/errors';
import { allowedHosts, installHostCheck } from 'llm-scratch-core/host-check';
import { dashboardFragment, dashboardPage } from './html.js';
import type { Snapshot } from './snapshot.js';

const HOST = '127.0.0.1';

export interface WebOptions {
  load: () => Promise<Snapshot>;
  /** 0 picks a free port. */
  port: number;
  intervalMs: number;
  log?: (message: string) => void;
}

export interface WebDashboard {
  url: string;
  close(): Promise<void>;
}

export async function startWebDashboard(o: WebOptions): Promise<WebDashboard> {
  const app: FastifyInstance = Fastify({ logger: false });
  installHostCheck(app, allowedHosts(HOST), (reply, message) =>
    reply.type('text/plain').send(`${message}\n`),
  );
  const clients = new Set<ServerResponse>();
  let latest = await o.load();
  let failed: string | null = null;

  const send = (res: ServerResponse, s: Snapshot) =>
    res.write(`event: snapshot\ndata: ${JSON.stringify({ at: s.at, html: dashboardFragment(s) })}\n\n`);

  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    o.load()
      .then((s) => {
        latest = s;
        failed = null;
        for (const res of clients) send(res, s);
      })
      .catch((err: Error) => {
        // Keep serving the last good snapshot; say so once, not every tick.
        if (failed !== err.message) o.log?.(`dashboard refresh failed: ${err.message}`);
        failed = err.message;
      })
      .finally(() => (busy = false));
  }, o.intervalMs);

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(dashboardPage(latest)));
  app.get('/api/snapshot', async () => latest);
  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    clients.add(res);
    send(res, latest);
    req.raw.on('close', () => clients.delete(res));
  });

  try {
    await app.listen({ host: HOST, port: o.port });
  } catch (err) {
    clearInterval(timer);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`port ${o.port} is in use: pick another with --port P`);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    url: `http://${HOST}:${port}/`,
    async close() {
      clearInterval(timer);
      for (const res of clients) res.end();
      clients.clear();
      await app.close();
    },
  };
}
