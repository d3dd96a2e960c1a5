import { existsSync, readFileSync } from 'node:fs';
import { UsageError, UserError } from 'llm-scratch-core/errors';
import { writeFileAtomic } from 'llm-scratch-core/io/atomic';
import {
  checkResponses,
  JUDGE_DEFAULTS as d,
  judgeResponses,
  summarize,
  type ItemScore,
  type JudgeApi,
  type JudgeOptions,
} from '../../llm/instruct/judge.js';
import { OLLAMA_HOST_ENV, ollamaHostUrl } from '../../llm/instruct/ollama-host.js';
import { counter } from 'llm-scratch-core/terminal';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireFile, requireOutputFile } from 'llm-scratch-core/cli/file-checks';

interface ScoresFile {
  responses: string;
  judge: { url: string; model: string; api: JudgeApi };
  total: number;
  scored: number;
  average: number;
  scores: ItemScore[];
}

export const judgeCommand = defineCommand({
  name: 'judge',
  summary:
    'Score model responses 0-100 with a judge model over Ollama or an OpenAI-compatible API (section 7.8)',
  usage:
    '--responses FILE [--judge-url URL] [--judge-model NAME] [--api ollama|openai] [--api-key-env NAME] [--out FILE]',
  options: {
    responses: {
      type: 'string',
      value: 'FILE',
      required: true,
      description: "JSON array with instruction, input, output and model_response (what 'respond' writes)",
    },
    'judge-url': {
      type: 'string',
      value: 'URL',
      description: `the judge server (default: $${OLLAMA_HOST_ENV} read as Ollama reads it, else ${d.url})`,
    },
    'judge-model': { type: 'string', value: 'NAME', default: d.model, description: 'the judge model' },
    api: {
      type: 'string',
      value: 'ollama|openai',
      default: d.api,
      choices: ['ollama', 'openai'],
      description: "Ollama's /api/chat or an OpenAI-compatible /v1/chat/completions",
    },
    'api-key-env': {
      type: 'string',
      value: 'NAME',
      description:
        'the environment variable holding the key sent as Authorization: Bearer (default with --api openai: OPENAI_API_KEY when set)',
    },
    out: {
      type: 'string',
      value: 'FILE',
      description:
        'scores, written after each one; an earlier partial file is continued (default: FILE-scores.json)',
    },
    tries: {
      type: 'integer',
      value: 'N',
      default: d.tries,
      min: 1,
      description: 'tries per request on transient failures',
    },
    'retry-delay': {
      type: 'number',
      value: 'MS',
      default: d.retryDelayMs,
      min: 0,
      description: 'first backoff delay in milliseconds (doubles after each try)',
    },
    timeout: {
      type: 'number',
      value: 'S',
      default: d.timeoutMs / 1000,
      above: 0,
      description: 'seconds per request',
    },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  examples: [
    'llm-scratch judge --responses runs/instruct/instruction-data-with-response.json',
    'llm-scratch judge --responses r.json --api openai --judge-url http://localhost:8000 --judge-model my-model',
    'OLLAMA_HOST=gpu-box:11434 llm-scratch judge --responses r.json',
    'llm-scratch judge --responses r.json --api openai --judge-url https://judge.example/v1 --api-key-env JUDGE_KEY --judge-model big-model',
  ],
  async run({ options: o, positionals, stdout, stderr }) {
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    requireFile('responses', o.responses);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(o.responses, 'utf8'));
    } catch (err) {
      throw new UserError(`${o.responses}: not valid JSON (${(err as Error).message})`);
    }
    const entries = checkResponses(raw, o.responses);
    const out = requireOutputFile('out', o.out ?? o.responses.replace(/\.json$/, '') + '-scores.json');
    const api = o.api as JudgeApi;
    const judge = { url: judgeUrl(o['judge-url']), model: o['judge-model'], api };
    const apiKey = judgeKey(o['api-key-env'], api);
    // Continue a partial file from an earlier run of the same responses and judge.
    let start: ItemScore[] = [];
    if (existsSync(out)) {
      let prev: Partial<ScoresFile> | null;
      try {
        prev = JSON.parse(readFileSync(out, 'utf8')) as Partial<ScoresFile> | null;
      } catch (err) {
        throw new UserError(
          `${out}: not valid JSON (${(err as Error).message}); remove it or give another --out`,
        );
      }
      if (
        Array.isArray(prev?.scores) &&
        prev.responses === o.responses &&
        prev.total === entries.length &&
        prev.judge?.model === judge.model
      ) {
        start = prev.scores.filter((s) => s.score !== null);
        if (start.length) stderr(`continuing ${out}: ${start.length} of ${entries.length} already scored\n`);
      }
    }
    const save = (scores: ItemScore[]) => {
      const s = summarize(scores, entries.length);
      const file: ScoresFile = {
        responses: o.responses!,
        judge,
        total: s.total,
        scored: s.scored,
        average: s.average,
        scores,
      };
      writeFileAtomic(out, [JSON.stringify(file, null, 1) + '\n']);
    };
    const kept: ItemScore[] = [...start];
    const shown = counter(stderr, 'scoring', entries.length);
    let report;
    try {
      report = await judgeResponses(
        entries,
        { ...judge, apiKey, tries: o.tries, retryDelayMs: o['retry-delay'], timeoutMs: o.timeout * 1000 },
        (item, done) => {
          kept.push(item);
          save(kept);
          shown.update(done);
        },
        start,
      );
    } catch (err) {
      if (kept.length) {
        save(kept);
        shown.end();
        throw new UserError(`${(err as Error).message}; the scores so far are in ${out}`);
      }
      throw err;
    }
    shown.end();
    save(report.scores);
    if (report.scored === 0) {
      const example = report.scores.find((x) => x.reply !== undefined)?.reply ?? '';
      throw new UserError(
        `the judge gave no usable score (an integer 0-100) for any of the ${report.total} responses, e.g. ${JSON.stringify(example)}; its replies are in ${out}`,
      );
    }
    if (o.json) stdout(JSON.stringify({ ...report, out }) + '\n');
    else {
      for (const s of report.scores) {
        stdout(`${s.index}\t${s.score ?? `unscored (reply: ${JSON.stringify(s.reply)})`}\n`);
      }
      stdout(
        `Number of scores: ${report.scored} of ${report.total}\nAverage score: ${report.average.toFixed(2)}\n`,
      );
      stdout(`scores written to ${out}\n`);
    }
  },
});

// --judge-url, else $OLLAMA_HOST (Ollama's own client default), else Ollama's default address.
function judgeUrl(given: string | undefined): string {
  if (given !== undefined) return given;
  const host = process.env[OLLAMA_HOST_ENV];
  return host?.trim() ? ollamaHostUrl(host) : d.url;
}

// The key named by --api-key-env, which must then be set; else OPENAI_API_KEY for an
// OpenAI-compatible server (never sent to an Ollama one unasked: it is a key for someone else).
function judgeKey(name: string | undefined, api: JudgeApi): JudgeOptions['apiKey'] {
  if (name !== undefined) {
    // Not echoed: a value that is not a variable's name may be the key itself, given by mistake.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(
        '--api-key-env takes the name of an environment variable (letters, digits and _), not the key itself',
      );
    const value = process.env[name];
    if (!value)
      throw new UserError(`--api-key-env ${name}: the environment variable ${name} is not set or empty`);
    return { value, from: name };
  }
  const value = process.env.OPENAI_API_KEY;
  return api === 'openai' && value ? { value, from: 'OPENAI_API_KEY' } : undefined;
}
