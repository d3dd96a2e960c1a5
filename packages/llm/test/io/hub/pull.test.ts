// pullModel (src/io/hub/pull.ts) against the stand-in hub, for what the command line cannot set:
// a server that ignores Range requests, one that stalls, a file on disk that is not the hub's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { pullModel, type PullRequest } from '../../../src/io/hub/pull.js';
import { startStandInHub, type StandInHub } from './hub-server.js';

const scratch = mkdtempSync(join(tmpdir(), 'hub-pull-'));
// Bytes that are not all alike, so that a shifted or restarted copy cannot match by chance.
const weights = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 2654435761) >>> 24);
const config = Buffer.from('{"model_type":"gpt2"}');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let hub: StandInHub;
let n = 0;

beforeAll(async () => {
  hub = await startStandInHub({
    'test/m': { files: { 'config.json': config, 'model.safetensors': weights } },
  });
});
afterEach(() => {
  hub.requests.length = 0;
  hub.faults.length = 0;
});
afterAll(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const request = (over: Partial<PullRequest> = {}): PullRequest => ({
  endpoint: hub.url,
  repo: 'test/m',
  revision: 'main',
  token: undefined,
  dir: join(scratch, `out-${++n}`),
  ...over,
});
const weightBodies = () =>
  hub.requests.filter((r) => r.url.startsWith('/lfs-storage/') && r.range !== 'bytes=0-0');

describe('pullModel', () => {
  it('starts a partial file over when the server answers a Range request with the whole file', async () => {
    const req = request();
    mkdirSync(req.dir);
    writeFileSync(join(req.dir, 'model.safetensors.part'), weights.subarray(0, 1_000_000));
    hub.faults.push({ path: 'model.safetensors', ignoreRange: true });
    const result = await pullModel(req);
    const [body] = weightBodies();
    expect(body).toMatchObject({ range: `bytes=1000000-${weights.length - 1}`, status: 200 });
    expect(sha(readFileSync(join(req.dir, 'model.safetensors')))).toBe(sha(weights));
    expect(result.files.find((f) => f.path === 'model.safetensors')?.status).toBe('resumed');
  });

  it('gives up on a server that stops sending, keeping what came for a rerun', async () => {
    const req = request({ stallMs: 1000 });
    hub.faults.push({ path: 'model.safetensors', stallAfter: 100_000 });
    const pulling = pullModel(req);
    await expect(pulling).rejects.toThrow(UserError);
    await expect(pulling).rejects.toThrow(
      /^model\.safetensors: the download stopped at \d+ of 3000000 bytes \(no data for 1 s\); run the same command again to resume it$/,
    );
    expect(existsSync(join(req.dir, 'model.safetensors'))).toBe(false);
    const kept = statSync(join(req.dir, 'model.safetensors.part')).size;
    expect(kept).toBeLessThanOrEqual(100_000);
    hub.faults.length = 0;
    // The rerun with the default limit, so that a slow machine cannot fail it.
    const result = await pullModel({ ...req, stallMs: undefined });
    expect(sha(readFileSync(join(req.dir, 'model.safetensors')))).toBe(sha(weights));
    expect(result.files.find((f) => f.path === 'model.safetensors')?.status).toBe(
      kept > 0 ? 'resumed' : 'downloaded',
    );
  });

  it('gives up on a server that does not answer at all', async () => {
    hub.faults.push({ path: 'model.safetensors', silent: true });
    await expect(pullModel(request({ stallMs: 500 }))).rejects.toThrow(
      `${hub.url} did not answer: no answer within 0.5 s; try again later`,
    );
  });

  it('replaces a file on disk that is not the one the hub announces', async () => {
    const req = request();
    mkdirSync(req.dir);
    writeFileSync(join(req.dir, 'config.json'), '{"model_type":"llama"}');
    const result = await pullModel(req);
    expect(readFileSync(join(req.dir, 'config.json'))).toEqual(config);
    expect(result.files.find((f) => f.path === 'config.json')?.status).toBe('downloaded');
  });

  it('starts over from a partial file longer than the file', async () => {
    const req = request();
    mkdirSync(req.dir);
    writeFileSync(join(req.dir, 'config.json.part'), Buffer.alloc(config.length + 5, 1));
    await pullModel(req);
    expect(readFileSync(join(req.dir, 'config.json'))).toEqual(config);
    expect(existsSync(join(req.dir, 'config.json.part'))).toBe(false);
  });

  it('reports progress up to each file size, and each file once done', async () => {
    const seen: string[] = [];
    let last = 0;
    await pullModel(
      request({
        onFile: (path, size) => seen.push(`start ${path} ${size}`),
        onProgress: (_, done) => void (last = done),
        onDone: (f) => seen.push(`done ${f.path} ${f.status}`),
      }),
    );
    expect(seen).toEqual([
      `start config.json ${config.length}`,
      'done config.json downloaded',
      `start model.safetensors ${weights.length}`,
      'done model.safetensors downloaded',
    ]);
    expect(last).toBe(weights.length);
  });

  it('names the file it cannot write, as one line', async () => {
    const req = request();
    mkdirSync(join(req.dir, 'config.json.part'), { recursive: true });
    await expect(pullModel(req)).rejects.toThrow(
      new RegExp(
        `^cannot write ${join(req.dir, 'config.json.part')}: EISDIR: .*; what was downloaded is kept, run the command again once that is fixed$`,
      ),
    );
  });
});
