// `llm-scratch serve`: one Fastify app holding the loaded models, the JSON API under /v1, and the
// web page (built by Vite into dist/web) at /.
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installHostCheck } from 'llm-scratch-core/host-check';
import { gpt2Tokenizer, type BPETokenizer } from '../llm/fundamentals.js';
import { DEFAULT_LIMITS, type Limits, type ServeContext } from './context.js';
import { installCors } from './cors.js';
import { errorBody, installErrorHandler } from './errors.js';
import { installJsonBodyParser } from './json-body.js';
import type { ModelRegistry } from './registry.js';
import { chatRoute } from './routes/chat.js';
import { classifyRoute } from './routes/classify.js';
import { completionsRoute } from './routes/completions.js';
import { embeddingsRoute } from './routes/embeddings.js';
import { generateRoute } from './routes/generate.js';
import { modelsRoutes } from './routes/models.js';

export interface ServerOptions {
  registry: ModelRegistry;
  tokenizer?: BPETokenizer;
  limits?: Partial<Limits>;
  // The built page; by default dist/web of the package. null serves the API alone.
  webDir?: string | null;
  logger?: boolean;
  // The Host names answered (host-check.ts); undefined or null: any, as for a server on every interface.
  allowedHosts?: Set<string> | null;
  // The origin (or '*') whose browser pages may call the API (--cors); undefined: none but our own.
  corsOrigin?: string;
}

// dist/web of the package, found upwards from this file (src/serve or dist/serve).
export function defaultWebDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'web');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Bodies are checked as sent: no silent type coercion, no silently dropped unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    bodyLimit: 1 << 20,
  });
  const ctx: ServeContext = {
    registry: options.registry,
    tokenizer: options.tokenizer ?? gpt2Tokenizer(),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    startedAt: Math.floor(Date.now() / 1000),
  };
  installErrorHandler(app);
  if (options.corsOrigin !== undefined) installCors(app, options.corsOrigin);
  installHostCheck(
    app,
    options.allowedHosts ?? null,
    (reply, message) => reply.send(errorBody(403, message, null, 'host_not_allowed')),
    'add a name with --allow-host NAME',
  );
  installJsonBodyParser(app);
  modelsRoutes(app, ctx);
  generateRoute(app, ctx);
  completionsRoute(app, ctx);
  chatRoute(app, ctx);
  embeddingsRoute(app, ctx);
  classifyRoute(app, ctx);

  const webDir = options.webDir === undefined ? defaultWebDir() : options.webDir;
  if (webDir) {
    // @fastify/static resolves every path inside root and refuses the rest (no path traversal).
    await app.register(fastifyStatic, { root: webDir, prefix: '/', index: ['index.html'], dotfiles: 'deny' });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .code(503)
        .send(
          errorBody(
            500,
            'the web page is not built: run `npm run build:web` (the API under /v1 works)',
            null,
            'page_not_built',
          ),
        ),
    );
  }
  return app;
}
