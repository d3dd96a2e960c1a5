import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { allowedHosts } from 'llm-scratch-core/host-check';
import { DEFAULT_LIMITS } from '../../serve/context.js';
import { DEFAULT_MAX_BATCH } from '../../serve/queue.js';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { DTYPE_OPTION, weightDType } from '../dtype-option.js';
import { resolveModelDir } from '../model-dir.js';

export const serveCommand = defineCommand({
  name: 'serve',
  summary:
    "Serve models over HTTP: a web page at /, OpenAI's API (completions, chat completions, embeddings, models) and generate, classify",
  usage: '--model DIR [--model NAME=DIR ...] [--host 127.0.0.1] [--port 8000] [--cors ORIGIN]',
  options: {
    model: {
      type: 'strings',
      value: '[NAME=]DIR',
      required: true,
      description:
        'a model or run directory to load (repeatable): a GPT-2 model of this project or a Hugging Face directory of any family (Llama 3, Qwen3, Gemma 3, with its tokenizer); named after the directory unless NAME= is given',
    },
    host: {
      type: 'string',
      value: 'HOST',
      default: '127.0.0.1',
      description: 'address to listen on (0.0.0.0 opens it to the network)',
    },
    'allow-host': {
      type: 'strings',
      value: 'NAME',
      description:
        'answer requests with this Host name too (repeatable); by default only localhost, 127.0.0.1, [::1] and the --host address',
    },
    port: {
      type: 'integer',
      value: 'PORT',
      default: 8000,
      min: 0,
      max: 65535,
      description: 'port to listen on (0: any free one)',
    },
    'max-batch': {
      type: 'integer',
      value: 'N',
      default: DEFAULT_MAX_BATCH,
      min: 1,
      description:
        'requests one model decodes together, one token each per pass over its weights (1: one at a time)',
    },
    queue: {
      type: 'integer',
      value: 'N',
      default: 8,
      min: 0,
      description: 'requests that may wait per model once it runs --max-batch of them; more get HTTP 429',
    },
    'max-new-tokens': {
      type: 'integer',
      value: 'N',
      default: DEFAULT_LIMITS.maxNewTokens,
      min: 1,
      description: 'the most tokens one request may ask for',
    },
    cors: {
      type: 'string',
      value: 'ORIGIN',
      description:
        'let browser pages of this origin (scheme://host[:port], or * for any) call the API; without it, no CORS headers',
    },
    dtype: DTYPE_OPTION,
    'web-dir': { type: 'string', value: 'DIR', description: 'serve this built page instead of dist/web' },
    log: { type: 'boolean', description: 'log every request (JSON lines on stdout)' },
    json: { type: 'boolean', description: 'print {"url","models"} as JSON once listening' },
  },
  examples: [
    'llm-scratch serve --model runs/start/checkpoint',
    'llm-scratch serve --model chat=runs/instruct/model --model spam=runs/classifier --port 8080',
    'llm-scratch serve --model models/Qwen3-0.6B --cors http://localhost:5173',
  ],
  async run({ options, positionals, stdout, stderr }) {
    // Loaded here, so that other commands start without them.
    const { ModelRegistry, parseModelSpec } = await import('../../serve/registry.js');
    const { parseCorsOrigin } = await import('../../serve/cors.js');
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const corsOrigin = options.cors === undefined ? undefined : parseCorsOrigin(options.cors);
    const specs = options.model.map((m) => {
      const spec = parseModelSpec(m);
      return { ...spec, dir: resolveModelDir(spec.dir) };
    });
    const webDir = options['web-dir'];
    if (webDir !== undefined && !existsSync(join(webDir, 'index.html')))
      throw new UserError(`${webDir}: no index.html (build the page with npm run build:web)`);
    const registry = ModelRegistry.load(specs, {
      maxQueue: options.queue,
      maxBatch: options['max-batch'],
      dtype: weightDType(options.dtype),
    });
    // Fastify loads only here, so every other command starts without it.
    const { buildServer } = await import('../../serve/server.js');
    const app = await buildServer({
      registry,
      webDir,
      limits: { maxNewTokens: options['max-new-tokens'] },
      logger: options.log ?? false,
      allowedHosts: allowedHosts(options.host, options['allow-host'] ?? []),
      corsOrigin,
    });
    try {
      await app.listen({ host: options.host, port: options.port });
    } catch (err) {
      await app.close();
      throw new UserError(`cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`);
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const url = `http://${host}:${port}`;
    const models = registry.list().map((m) => ({ name: m.name, kind: m.kind }));
    if (options.json) stdout(JSON.stringify({ url, models }) + '\n');
    else {
      stdout(`serving ${models.map((m) => `${m.name} (${m.kind})`).join(', ')} at ${url}\n`);
      stderr('press Ctrl-C to stop\n');
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void app.close().then(() => resolve());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
});
