// Which recorded events notify hooks hear: the supervisor's verdict that an agent waits for its
// human (a `state` event), a check that turned red, an agent given up on; nothing else.
import { describe, expect, it } from 'vitest';
import type { CrewEvent } from '../../../src/crew/agents/types.js';
import { notifyEventOf } from '../../../src/crew/tracker/notify.js';

const event = (kind: CrewEvent['kind'], data: Record<string, unknown> | null): CrewEvent => ({
  id: 1,
  at: '2026-01-01T00:00:00.000Z',
  agent: 'alpha',
  kind,
  message: '',
  data,
});

describe('notifyEventOf', () => {
  it('hears an agent waiting for input in the supervisor state verdicts, and no other state', () => {
    expect(notifyEventOf(event('state', { state: 'waiting-for-input', source: 'hook' }))).toBe(
      'waiting-for-input',
    );
    for (const state of ['working', 'idle-done', 'exited', 'hung'])
      expect(notifyEventOf(event('state', { state, source: 'pane' }))).toBeNull();
  });

  it('hears a check only when it turned red, and an agent given up on as blocked', () => {
    expect(notifyEventOf(event('check', { turnedRed: true }))).toBe('check-red');
    expect(notifyEventOf(event('check', { turnedRed: false }))).toBeNull();
    expect(notifyEventOf(event('gave-up', null))).toBe('blocked');
    expect(notifyEventOf(event('restart', null))).toBeNull();
  });
});
