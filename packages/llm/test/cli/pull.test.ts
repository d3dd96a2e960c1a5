// llm-scratch pull against a local stand-in hub (test/io/hub/hub-server.ts), pointed at with
// HF_ENDPOINT: no test touches the internet. The repositories hold a small GPT-2 model in the
// hub's layout, beside files pull must leave alone (other weight formats, subfolders).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, pullProgress } from '../../src/cli/commands/pull.js';
import { llmScratch } from '../../src/cli/llm-scratch.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/index.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { writeFixtureModel } from '../helpers/gpt2-fixture.js';
import { startStandInHub, type StandInHub } from '../io/hub/hub-server.js';

// Until the stand-in hub is up: a port nothing listens on, never the real hub.
process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
const scratch = mkdtempSync(join(tmpdir(), 'pull-'));
const TOKEN = 'hf_standin_token_for_tests';
let hub: StandInHub;
let gpt2: Record<string, Uint8Array>;
let sharded: Record<string, Uint8Array>;

const read = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
// Files compared by their sha256 (a failing comparison of megabytes of bytes would be unreadable).
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digests = (files: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(files).map(([f, b]) => [f, sha(b)]));
const pulledFiles = (dir: string) => digests(read(dir));

// A small model split into two shards with its index, as save_pretrained writes a large one.
function shardedModel(dir: string): Record<string, Uint8Array> {
  const tensor = (n: number, seed: number) =>
    new Tensor(
      Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i)),
      [n],
    );
  writeSafetensors(join(dir, 'a.safetensors'), new Map([['a', tensor(3000, 1)]]), { format: 'pt' });
  writeSafetensors(join(dir, 'b.safetensors'), new Map([['b', tensor(5000, 2)]]), { format: 'pt' });
  const index = {
    metadata: { total_size: 32000 },
    weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
  };
  return {
    'config.json': Buffer.from('{"model_type":"llama"}'),
    'model.safetensors.index.json': Buffer.from(JSON.stringify(index)),
    'model-00001-of-00002.safetensors': readFileSync(join(dir, 'a.safetensors')),
    'model-00002-of-00002.safetensors': readFileSync(join(dir, 'b.safetensors')),
    // Not in the index: Mistral-style duplicate weights, left alone.
    'consolidated.safetensors': randomBytes(2000),
    'original/params.json': Buffer.from('{}'),
  };
}

beforeAll(async () => {
  const model = writeFixtureModel(join(scratch, 'source'));
  const data = (f: string) => readFileSync(new URL(`../../data/gpt2/${f}`, import.meta.url));
  gpt2 = {
    ...read(model),
    'generation_config.json': Buffer.from('{"bos_token_id":50256,"eos_token_id":50256}'),
    'vocab.json': data('encoder.json'),
    'merges.txt': data('vocab.bpe'),
    'tokenizer_config.json': Buffer.from('{"model_max_length":1024}'),
  };
  sharded = shardedModel(scratch);
  const noise = {
    'README.md': Buffer.from('# tiny\n'),
    '.gitattributes': Buffer.from('*.safetensors filter=lfs\n'),
    'pytorch_model.bin': randomBytes(3000),
    'flax_model.msgpack': randomBytes(1000),
    'onnx/model.onnx': randomBytes(1000),
  };
  hub = await startStandInHub({
    'test/gpt2-tiny': { files: { ...gpt2, ...noise } },
    'test/sharded': { files: sharded },
    'gated/gpt2-tiny': { files: gpt2, token: TOKEN },
    'test/pickles': { files: { 'config.json': Buffer.from('{}'), 'pytorch_model.bin': randomBytes(100) } },
  });
  process.env.HF_ENDPOINT = hub.url;
  delete process.env.HF_TOKEN;
});

afterEach(() => {
  hub.requests.length = 0;
  hub.faults.length = 0;
  delete process.env.HF_TOKEN;
});

afterAll(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
const outDir = () => join(scratch, `out-${++n}`);
const pull = (...args: string[]) => runCli(llmScratch, ['pull', ...args]);
const resolves = () =>
  hub.requests.filter((r) => r.url.includes('/resolve/') || r.url.startsWith('/lfs-storage/'));
// The requests that carried a file's bytes (not the client's one-byte probes).
const bodies = (file: string) =>
  hub.requests.filter(
    (r) =>
      r.url.startsWith('/lfs-storage/') &&
      r.url.endsWith(encodeURIComponent(file)) &&
      r.range !== 'bytes=0-0',
  );

describe('llm-scratch pull', () => {
  it('downloads what a model directory needs, byte for byte, and the model runs', async () => {
    const out = outDir();
    const r = await pull('test/gpt2-tiny', '--out', out, '--json');
    expect(r.stderr).not.toContain('\r');
    expect(r.code).toBe(0);
    expect(pulledFiles(out)).toEqual(digests(gpt2));
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ repo: 'test/gpt2-tiny', revision: 'main', dir: out });
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    const weights = result.files.find((f: { path: string }) => f.path === 'model.safetensors');
    expect(weights).toMatchObject({ size: gpt2['model.safetensors'].length, status: 'downloaded' });
    expect(weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.files.map((f: { path: string }) => f.path).sort()).toEqual(Object.keys(gpt2).sort());
    // Every file was asked for at the commit the revision resolved to, not at a moving branch.
    expect(
      resolves()
        .filter((q) => q.url.includes('/resolve/'))
        .every((q) => q.url.includes(`/resolve/${result.commit}/`)),
    ).toBe(true);
    expect(r.stderr).toMatch(/model\.safetensors: 13\.3 MB, downloaded\n/);

    const ids = ['--ids', '40,367,2885,1464', '--all'];
    const pulled = await runCli(llmScratch, ['logits', '--model', out, ...ids]);
    const source = await runCli(llmScratch, ['logits', '--model', join(scratch, 'source'), ...ids]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(source.stdout);
    const greedy = ['--ids', '40,367', '--max-new-tokens', '4', '--temperature', '0', '--json'];
    const generated = await runCli(llmScratch, ['generate', '--model', out, ...greedy]);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toBe(
      (await runCli(llmScratch, ['generate', '--model', join(scratch, 'source'), ...greedy])).stdout,
    );
  });

  it('runs as a process: progress on stderr as plain lines, the summary on stdout', async () => {
    const out = outDir();
    const cli = new URL('../../src/cli/llm-scratch.ts', import.meta.url).pathname;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', cli, 'pull', 'test/sharded', '--out', out],
      { env: { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '' } },
    );
    const { 'consolidated.safetensors': _, 'original/params.json': __, ...wanted } = sharded;
    const total = formatBytes(Object.values(wanted).reduce((sum, b) => sum + b.length, 0));
    const { commit } = JSON.parse((await pull('test/sharded', '--out', out, '--json')).stdout);
    expect(stdout).toBe(`test/sharded at ${commit.slice(0, 12)} in ${out}: 4 files, ${total}\n`);
    expect(stderr).not.toContain('\r');
    expect(stderr.split('\n').filter((l) => l.endsWith(', downloaded'))).toHaveLength(4);
  });

  it('a rerun finds the files complete and downloads nothing', async () => {
    const out = outDir();
    expect((await pull('test/gpt2-tiny', '--out', out)).code).toBe(0);
    hub.requests.length = 0;
    const again = await pull('test/gpt2-tiny', '--out', out, '--json');
    expect(again.code).toBe(0);
    expect(resolves()).toEqual([]);
    const { commit, files } = JSON.parse(again.stdout);
    expect(files.every((f: { status: string }) => f.status === 'present')).toBe(true);
    // A commit is a revision too.
    const pinned = await pull('test/gpt2-tiny', '--revision', commit, '--out', out, '--json');
    expect(JSON.parse(pinned.stdout)).toMatchObject({ revision: commit, commit });
  });

  it('resumes an interrupted download with a Range request and never re-sends a byte', async () => {
    const out = outDir();
    const size = gpt2['model.safetensors'].length;
    hub.faults.push({ path: 'model.safetensors', cut: 5_000_000, times: 1 });
    const first = await pull('test/gpt2-tiny', '--out', out);
    expect(first.code).toBe(1);
    expect(first.stderr.trim().split('\n').at(-1)).toMatch(
      /^llm-scratch pull: model\.safetensors: the download stopped at \d+ of \d+ bytes .*run the same command again to resume it$/,
    );
    // No partial file ever has the final name.
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    const kept = statSync(join(out, 'model.safetensors.part')).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(5_000_000);
    expect(first.stderr).toContain(`stopped at ${kept} of ${size} bytes (`);

    hub.requests.length = 0;
    const second = await pull('test/gpt2-tiny', '--out', out, '--json');
    expect(second.code).toBe(0);
    const [resume, ...more] = bodies('model.safetensors');
    expect(more).toEqual([]);
    expect(resume.range).toBe(`bytes=${kept}-${size - 1}`);
    expect(resume.status).toBe(206);
    expect(resume.bytesSent).toBe(size - kept);
    expect(pulledFiles(out)).toEqual(digests(gpt2));
    const weights = JSON.parse(second.stdout).files.find(
      (f: { path: string }) => f.path === 'model.safetensors',
    );
    expect(weights.status).toBe('resumed');
  });

  it('refuses a file whose bytes do not have the announced hash, and leaves no file of it', async () => {
    const out = outDir();
    hub.faults.push({ path: 'model.safetensors', corrupt: true });
    const r = await pull('test/gpt2-tiny', '--out', out);
    expect(r.code).toBe(1);
    const line = r.stderr.trim().split('\n').at(-1) as string;
    expect(line).toMatch(
      /^llm-scratch pull: model\.safetensors: sha256 mismatch: the hub announces [0-9a-f]{64}, the download has [0-9a-f]{64}; the partial file is deleted/,
    );
    const [announced, got] = line.match(/[0-9a-f]{64}/g) as string[];
    expect(announced).not.toBe(got);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(out, 'model.safetensors.part'))).toBe(false);
  });

  it('refuses a corrupted file kept in git (its git blob id)', async () => {
    const out = outDir();
    hub.faults.push({ path: 'vocab.json', corrupt: true });
    const r = await pull('test/gpt2-tiny', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /vocab\.json: git-sha1 mismatch: the hub announces [0-9a-f]{40}, the download has [0-9a-f]{40}/,
    );
    expect(existsSync(join(out, 'vocab.json'))).toBe(false);
  });

  it('downloads the shards an index names, and only those', async () => {
    const out = outDir();
    const r = await pull('test/sharded', '--out', out);
    expect(r.code).toBe(0);
    const { 'consolidated.safetensors': _, 'original/params.json': __, ...wanted } = sharded;
    expect(pulledFiles(out)).toEqual(digests(wanted));
  });

  it('a gated repository without HF_TOKEN says what to do; with it, downloads', async () => {
    const refused = await pull('gated/gpt2-tiny', '--out', outDir());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `llm-scratch pull: gated/gpt2-tiny is gated: accept the licence on ${hub.url}/gated/gpt2-tiny and set HF_TOKEN to an access token of that account\n`,
    );

    process.env.HF_TOKEN = 'hf_someone_else';
    const denied = await pull('gated/gpt2-tiny', '--out', outDir());
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `HF_TOKEN has no access to gated/gpt2-tiny: accept the licence on ${hub.url}/gated/gpt2-tiny`,
    );
    expect(hub.requests.find((q) => q.status === 403)?.authorization).toBe('Bearer hf_someone_else');

    process.env.HF_TOKEN = TOKEN;
    const out = outDir();
    const ok = await pull('gated/gpt2-tiny', '--out', out);
    expect(ok.code).toBe(0);
    expect(pulledFiles(out)).toEqual(digests(gpt2));
  });

  it('names a missing repository, a missing revision, and a repository without safetensors', async () => {
    const repo = await pull('test/no-such-model', '--out', outDir());
    expect(repo).toMatchObject({ code: 1 });
    expect(repo.stderr).toBe(
      `llm-scratch pull: repository test/no-such-model not found on ${hub.url} (a private one needs HF_TOKEN): check the name, as OWNER/NAME\n`,
    );
    const revision = await pull('test/gpt2-tiny', '--revision', 'v9', '--out', outDir());
    expect(revision.code).toBe(1);
    expect(revision.stderr).toBe(
      "llm-scratch pull: revision 'v9' not found in test/gpt2-tiny: give a branch, tag or commit of it\n",
    );
    const pickles = await pull('test/pickles', '--out', outDir());
    expect(pickles.code).toBe(1);
    expect(pickles.stderr).toBe(
      'llm-scratch pull: test/pickles has no safetensors weights (only pytorch_model.bin): llm-scratch reads safetensors only\n',
    );
  });

  it('names the endpoint it cannot reach', async () => {
    const closed = await startStandInHub({});
    await closed.close();
    process.env.HF_ENDPOINT = closed.url;
    try {
      const r = await pull('test/gpt2-tiny', '--out', outDir());
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `llm-scratch pull: cannot reach ${closed.url} (ECONNREFUSED): check the network connection, or HF_ENDPOINT\n`,
      );
    } finally {
      process.env.HF_ENDPOINT = hub.url;
    }
  });

  it('refuses a token that is not a hub token, and an endpoint that is not a URL', async () => {
    process.env.HF_TOKEN = 'not-a-token';
    const token = await pull('test/gpt2-tiny', '--out', outDir());
    expect(token).toMatchObject({ code: 1 });
    expect(token.stderr).toContain("HF_TOKEN does not start with 'hf_'");
    delete process.env.HF_TOKEN;
    process.env.HF_ENDPOINT = 'hub.example';
    try {
      const endpoint = await pull('test/gpt2-tiny', '--out', outDir());
      expect(endpoint.code).toBe(1);
      expect(endpoint.stderr).toContain("HF_ENDPOINT 'hub.example' is not a URL");
    } finally {
      process.env.HF_ENDPOINT = hub.url;
    }
  });

  it('puts the model in a directory named after the repository by default', async () => {
    const cwd = process.cwd();
    process.chdir(scratch);
    try {
      const r = await pull('test/sharded');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^test\/sharded at [0-9a-f]{12} in sharded: 4 files, /);
      expect(existsSync(join(scratch, 'sharded', 'model.safetensors.index.json'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('the progress line', () => {
  it('on a terminal, redraws one line per file in place and ends it', () => {
    let out = '';
    const shown = pullProgress((t) => void (out += t), true);
    shown.start('model.safetensors', 2_000_000);
    shown.update('model.safetensors', 1_000_000, 2_000_000);
    shown.done('model.safetensors', 2_000_000, 'resumed');
    shown.start('tokenizer.json', 5000);
    shown.update('tokenizer.json', 2500, 5000);
    shown.close();
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0].split('\r').map((l) => l.trimEnd())).toEqual([
      '',
      'model.safetensors: checking 2.0 MB',
      'model.safetensors: 1.0 MB of 2.0 MB (50%)',
      'model.safetensors: 2.0 MB, resumed and completed',
    ]);
    expect(lines[1].split('\r').at(-1)).toBe('tokenizer.json: 2.5 kB of 5.0 kB (50%)');
    expect(lines[2]).toBe('');
  });

  it('sizes in the units the hub shows', () => {
    expect([999, 1000, 1_503_300_328, 2.5e12].map(formatBytes)).toEqual([
      '999 B',
      '1.0 kB',
      '1.5 GB',
      '2.5 TB',
    ]);
  });
});
