// The terminal conventions, checked on real child processes (what an in-process run cannot show):
// Ctrl-C during training saves and exits 130, a closed stdout ends quietly, and output into a pipe
// carries no carriage returns or colour codes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/llm/train/checkpoint.js';
import { writeFixtureModel } from '../helpers/gpt2-fixture.js';

const root = new URL('../..', import.meta.url).pathname;
const entry = join(root, 'src/cli/llm-scratch.ts');
const verdict = join(root, 'data/the-verdict.txt');
const dir = mkdtempSync(join(tmpdir(), 'terminal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// Runs llm-scratch from the sources with stdout and stderr as pipes; onStderr sees stderr as it grows.
function llmScratch(
  args: string[],
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
  env: Record<string, string> = {},
  stdin = '',
): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

const tinyTraining = [
  'train',
  '--data',
  verdict,
  '--config',
  'gpt2-tiny',
  '--context-length',
  '32',
  '--batch-size',
  '2',
  '--epochs',
  '50',
  '--eval-freq',
  '100000',
  '--no-plot',
];

describe('llm-scratch as a process', () => {
  it('Ctrl-C during training saves a complete checkpoint and exits 130', async () => {
    const out = join(dir, 'interrupted');
    let sent = false;
    const r = await llmScratch([...tinyTraining, '--out', out], (stderr, child) => {
      // The first step line: the run is inside its loop, with its SIGINT handler installed.
      if (!sent && /^step 1\/\d+: loss/m.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(r.stderr).toContain('interrupted: saving a checkpoint after this step');
    expect(r.stderr).toMatch(/llm-scratch train: interrupted; the checkpoint is in .*checkpoint\n$/);
    expect(r.code).toBe(130);
    const saved = loadCheckpoint(out);
    expect(saved.file.step).toBeGreaterThanOrEqual(1);
    expect(saved.file.step).toBeLessThan(1000);
  }, 120_000);

  it('progress into a pipe is plain lines: no carriage return and no escape code', async () => {
    const r = await llmScratch(
      // Evaluations at every step, so that the loss chart is drawn too.
      [
        ...tinyTraining,
        '--epochs',
        '1',
        '--max-steps',
        '3',
        '--eval-freq',
        '1',
        '--eval-iter',
        '1',
        '--out',
        join(dir, 'piped'),
      ],
      undefined,
      { NO_COLOR: '1' },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^step 1\/3: loss \d+\.\d{3}, \d+ tok\/s$/m);
    expect(r.stdout).toMatch(/^ {2}validation loss:$/m);
    const output = r.stderr + r.stdout;
    expect(output).not.toContain('\r');
    expect(output).not.toContain('\u001b');
  }, 120_000);

  it('chat says so when the model is not instruction-tuned', async () => {
    const model = join(dir, 'base-model');
    writeFixtureModel(model);
    const r = await llmScratch(
      ['chat', '--model', model, '--max-new-tokens', '2'],
      undefined,
      {},
      'Hi\n/quit\n',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^note: .*base-model is a base \(pretrained\) model, not instruction-tuned/m);
    expect(r.stdout).toContain('### Response:');
  }, 60_000);

  it('a closed stdout (| head) ends the command quietly', async () => {
    // Far more ids than a pipe buffers, so that writing goes on after the reader has gone.
    const big = join(dir, 'big.txt');
    writeFileSync(big, 'Every effort moves you. '.repeat(40_000));
    const child = spawn(process.execPath, ['--import', 'tsx', entry, 'tokenize', '--file', big], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Read the first chunk, then close our end, as `head -c` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);
});
