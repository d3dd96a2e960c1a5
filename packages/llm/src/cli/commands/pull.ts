// `llm-scratch pull`: a model directory from the Hugging Face hub (src/io/hub/), with a progress
// line per file on stderr.
import { UsageError } from 'llm-scratch-core/errors';
import { hubEndpoint, hubToken } from '../../io/hub/env.js';
import { defaultDirName, repoIdProblem } from '../../io/hub/repo-id.js';
import { canRedraw } from 'llm-scratch-core/terminal';
import { defineCommand } from 'llm-scratch-core/cli/command';
import { requireOutputDir } from 'llm-scratch-core/cli/file-checks';

/** 1234567 -> '1.2 MB' (decimal units, as the hub shows sizes). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const STATUS = { present: 'already there', downloaded: 'downloaded', resumed: 'resumed and completed' };

// On a terminal one line per file redrawn in place; elsewhere a line at every tenth of a large
// file and one when each file is done, so that a log gets no carriage returns.
export function pullProgress(write: (text: string) => void, redraw: boolean) {
  let width = 0;
  let lastStep = -1;
  const draw = (text: string) => {
    write(`\r${text.padEnd(width)}`);
    width = text.length;
  };
  return {
    start(path: string, size: number) {
      lastStep = 0;
      if (redraw) draw(`${path}: checking ${formatBytes(size)}`);
    },
    update(path: string, done: number, size: number) {
      const step = Math.floor((redraw ? 100 : 10) * (done / size));
      if (step === lastStep || done === size) return;
      lastStep = step;
      const text = `${path}: ${formatBytes(done)} of ${formatBytes(size)} (${Math.floor((100 * done) / size)}%)`;
      if (redraw) draw(text);
      else write(`${text}\n`);
    },
    // Ends a line left open on a terminal, so that an error is printed on a line of its own.
    close() {
      if (redraw && width > 0) write('\n');
      width = 0;
    },
    done(path: string, size: number, status: keyof typeof STATUS) {
      const text = `${path}: ${formatBytes(size)}, ${STATUS[status]}`;
      if (redraw) {
        draw(text);
        write('\n');
        width = 0;
      } else write(`${text}\n`);
    },
  };
}

export const pullCommand = defineCommand({
  name: 'pull',
  summary: 'Download a model from the Hugging Face hub (safetensors, config, tokenizer; resumable, verified)',
  usage: 'REPO [--revision R] [--out DIR] [--json]',
  options: {
    revision: {
      type: 'string',
      value: 'R',
      default: 'main',
      description: 'branch, tag or commit to download',
    },
    out: {
      type: 'string',
      value: 'DIR',
      description:
        'directory to download into (default: the repository name without its owner, here: Qwen/Qwen3-0.6B -> ./Qwen3-0.6B)',
    },
    json: {
      type: 'boolean',
      description:
        'print one JSON object at the end: repo, revision, commit, dir and the files with their sizes',
    },
  },
  examples: [
    'llm-scratch pull Qwen/Qwen3-0.6B',
    'HF_TOKEN=hf_... llm-scratch pull meta-llama/Llama-3.2-1B --out models/llama-3.2-1b',
    'llm-scratch pull google/gemma-3-270m --revision main --json',
  ],
  async run({ options, positionals, stdout, stderr }) {
    if (positionals.length === 0) throw new UsageError('give the repository to pull, e.g. Qwen/Qwen3-0.6B');
    if (positionals.length > 1)
      throw new UsageError(`one repository at a time, got ${positionals.length}: ${positionals.join(' ')}`);
    const repo = positionals[0];
    const problem = repoIdProblem(repo);
    if (problem)
      throw new UsageError(`REPO '${repo}' is not a Hugging Face repository id (OWNER/NAME): ${problem}`);
    if (options.revision.trim() === '') throw new UsageError('--revision must not be empty');
    const endpoint = hubEndpoint();
    const token = hubToken();
    const dir = requireOutputDir('out', options.out ?? defaultDirName(repo));
    // Loaded here, so that other commands start without the hub client.
    const { pullModel } = await import('../../io/hub/pull.js');
    const shown = pullProgress(stderr, canRedraw());
    const result = await pullModel({
      endpoint,
      token,
      repo,
      revision: options.revision,
      dir,
      onFile: (path, size) => shown.start(path, size),
      onProgress: (path, done, size) => shown.update(path, done, size),
      onDone: (file) => shown.done(file.path, file.size, file.status),
    }).finally(() => shown.close());
    if (options.json) {
      stdout(JSON.stringify(result) + '\n');
      return;
    }
    const total = result.files.reduce((sum, f) => sum + f.size, 0);
    stdout(
      `${repo} at ${result.commit.slice(0, 12)} in ${dir}: ${result.files.length} files, ${formatBytes(total)}\n`,
    );
  },
});
