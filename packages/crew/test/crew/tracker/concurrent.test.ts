// Eight processes sync the same plan and update the same issue at once through the local
// tracker: one set of issues exists afterwards, and no comment or label is lost.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { LocalTracker } from '../../../src/crew/tracker/index.js';
import { seedDir } from '../plan/fixtures.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const PROCESSES = 8;
const ROUNDS = 20;

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`worker exit ${code}: ${err}`)),
    );
  });
}

it('eight processes writing the local tracker at once lose no update', async () => {
  const dir = seedDir();
  const db = join(dir, '.crew', 'tracker.db');
  const t0 = performance.now();
  const outs = await Promise.all(
    Array.from({ length: PROCESSES }, (_, i) => run([db, join(dir, 'crew.yaml'), String(i), String(ROUNDS)])),
  );
  const ms = performance.now() - t0;
  const created = outs.map((o) => (JSON.parse(o) as { created: number }).created);
  // Whoever got there first created each issue; together exactly twelve.
  expect(created.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
  const tracker = new LocalTracker(db);
  try {
    expect(await tracker.listIssues({ state: 'all' })).toHaveLength(12);
    expect(await tracker.listMilestones()).toHaveLength(5);
    const comments = await tracker.listComments(1);
    expect(comments).toHaveLength(PROCESSES * ROUNDS);
    expect(new Set(comments.map((c) => c.body)).size).toBe(PROCESSES * ROUNDS);
    const labels = (await tracker.getIssue(1)).labels;
    for (let p = 0; p < PROCESSES; p++)
      for (let r = 0; r < ROUNDS; r++) expect(labels).toContain(`w${p}-${r}`);
    // Each process removed its previous -tmp label and added the next: one left per process.
    expect(labels.filter((l) => l.endsWith('-tmp')).sort()).toEqual(
      Array.from({ length: PROCESSES }, (_, p) => `w${p}-${ROUNDS - 1}-tmp`).sort(),
    );
  } finally {
    await tracker.close();
  }
  console.log(`${PROCESSES} processes x ${ROUNDS} rounds (3 writes each): ${ms.toFixed(0)} ms`);
});
