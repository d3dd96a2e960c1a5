// Property: whatever the points where the connection drops, rerunning pull until it succeeds gives
// the file byte for byte, each rerun asking only for the bytes after what is on disk.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from 'llm-scratch-core/errors';
import { pullModel } from '../../../src/io/hub/pull.js';
import { startStandInHub, type StandInHub } from './hub-server.js';

const SIZE = 400_000;
const weights = Uint8Array.from({ length: SIZE }, (_, i) => (i * 2246822519) >>> 24);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const scratch = mkdtempSync(join(tmpdir(), 'hub-resume-'));
let hub: StandInHub;

beforeAll(async () => {
  hub = await startStandInHub({
    'test/m': { files: { 'config.json': Buffer.from('{}'), 'model.safetensors': weights } },
  });
});
afterAll(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('resuming', () => {
  it('ends with the same bytes whatever the cuts', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: SIZE - 1 }), { minLength: 1, maxLength: 3 }),
        async (cuts) => {
          hub.requests.length = 0;
          hub.faults.length = 0;
          const dir = join(scratch, `run-${++run}`);
          const request = { endpoint: hub.url, repo: 'test/m', revision: 'main', token: undefined, dir };
          let attempts = 0;
          let done = false;
          for (const cut of cuts) {
            hub.faults.length = 0;
            hub.faults.push({ path: 'model.safetensors', cut, times: 1 });
            attempts++;
            // A cut past what is left of the file cuts nothing: that attempt succeeds.
            done = await pullModel(request).then(
              () => true,
              (err) => {
                expect(err).toBeInstanceOf(UserError);
                return false;
              },
            );
            if (done) break;
          }
          hub.faults.length = 0;
          if (!done) {
            attempts++;
            await pullModel(request);
          }
          expect(sha(readFileSync(join(dir, 'model.safetensors')))).toBe(sha(weights));
          const starts = hub.requests
            .filter((r) => r.url.startsWith('/lfs-storage/') && r.range !== 'bytes=0-0')
            .map((r) => (r.range === null ? 0 : Number(/^bytes=(\d+)-/.exec(r.range)?.[1])));
          expect(starts).toHaveLength(attempts);
          for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1]);
        },
      ),
      { seed: 42, numRuns: 12 },
    );
  });
});
