// The runtime's event log on both trackers: events come back oldest first with their data, filters
// by agent, kind and time select, a limit keeps the most recent, and the GitHub tracker keeps its
// events in a local SQLite file without calling the API.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { now } from 'llm-scratch-core/clock';
import { GitHubTracker, LocalTracker, type Tracker } from '../../../src/crew/tracker/index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'crew-events-'));

async function exercise(t: Tracker): Promise<void> {
  const up = await t.addEvent({ agent: null, kind: 'up', message: 'crew up', data: null });
  expect(up.id).toBeGreaterThan(0);
  expect(Number.isNaN(Date.parse(up.at))).toBe(false);
  await t.addEvent({ agent: 'foundation', kind: 'exit', message: 'exited with 1', data: { code: 1 } });
  const restart = await t.addEvent({
    agent: 'foundation',
    kind: 'restart',
    message: 'restart 1',
    data: { attempt: 1, delaySeconds: 2 },
  });
  await t.addEvent({ agent: 'training', kind: 'silent', message: 'silent 600 s', data: null });

  const all = await t.listEvents();
  expect(all.map((e) => e.kind)).toEqual(['up', 'exit', 'restart', 'silent']);
  expect(all[2]).toEqual(restart);
  expect(all[1]!.data).toEqual({ code: 1 });
  expect((await t.listEvents({ agent: 'foundation' })).map((e) => e.kind)).toEqual(['exit', 'restart']);
  expect((await t.listEvents({ kind: 'restart' })).map((e) => e.id)).toEqual([restart.id]);
  expect((await t.listEvents({ limit: 2 })).map((e) => e.kind)).toEqual(['restart', 'silent']);
  expect(await t.listEvents({ since: new Date(now().getTime() + 60_000).toISOString() })).toEqual([]);
  expect(await t.listEvents({ since: up.at })).toHaveLength(4);
}

describe('crew events', () => {
  it('are kept by the local tracker (migration 3) and survive reopening', async () => {
    const db = join(dir(), 'tracker.db');
    const t = new LocalTracker(db);
    await exercise(t);
    await t.close();
    const again = new LocalTracker(db);
    expect(await again.listEvents()).toHaveLength(4);
    await again.close();
  });

  it('are kept by the github tracker in a local SQLite file, opened on first use', async () => {
    const file = join(dir(), '.crew', 'events.db');
    // An unreachable API: events never touch it.
    const t = new GitHubTracker({
      token: 't',
      repo: 'acme/x',
      baseUrl: 'http://127.0.0.1:9',
      eventsDb: file,
    });
    expect(existsSync(file)).toBe(false);
    await exercise(t);
    expect(existsSync(file)).toBe(true);
    await t.close();
  });
});
