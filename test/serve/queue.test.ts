// The per-model queue: one job at a time in arrival order, a bounded line, and waiters that leave.
import { describe, expect, it } from 'vitest';
import { AbortedError, ModelQueue, QueueFullError } from '../../src/serve/queue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('ModelQueue', () => {
  it('runs one job at a time, in arrival order', async () => {
    const queue = new ModelQueue(4);
    const order: string[] = [];
    const first = gate();
    const a = queue.run(async () => {
      order.push('a start');
      await first.opened;
      order.push('a end');
    });
    const b = queue.run(async () => void order.push('b'));
    const c = queue.run(async () => void order.push('c'));
    await Promise.resolve();
    expect(queue.running).toBe(true);
    expect(queue.pending).toBe(2);
    expect(order).toEqual(['a start']);
    first.open();
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
    expect([queue.running, queue.pending]).toEqual([false, 0]);
  });

  it('refuses a job beyond the bound, and goes on after a failed one', async () => {
    const queue = new ModelQueue(1);
    const first = gate();
    const a = queue.run(() => first.opened.then(() => Promise.reject(new Error('boom'))));
    const b = queue.run(async () => 'b');
    await expect(queue.run(async () => 'c')).rejects.toBeInstanceOf(QueueFullError);
    first.open();
    await expect(a).rejects.toThrow('boom');
    expect(await b).toBe('b');
    expect(await queue.run(async () => 'd')).toBe('d');
  });

  it('drops a waiter whose signal fires, without running it', async () => {
    const queue = new ModelQueue(2);
    const first = gate();
    const a = queue.run(() => first.opened);
    const leaving = new AbortController();
    let ran = false;
    const b = queue.run(async () => void (ran = true), leaving.signal);
    expect(queue.pending).toBe(1);
    leaving.abort();
    await expect(b).rejects.toBeInstanceOf(AbortedError);
    expect(queue.pending).toBe(0);
    first.open();
    await a;
    expect(ran).toBe(false);
    expect(queue.running).toBe(false);
    await expect(queue.run(async () => 1, AbortSignal.abort())).rejects.toBeInstanceOf(AbortedError);
  });
});
