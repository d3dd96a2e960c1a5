// The per-model queue: up to `slots` jobs at once (one by default), in arrival order, a bounded line,
// and waiters that leave.
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
    expect([queue.busy, queue.active, queue.pending]).toEqual([true, 1, 2]);
    expect(order).toEqual(['a start']);
    first.open();
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
    expect([queue.busy, queue.active, queue.pending]).toEqual([false, 0, 0]);
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
    expect(queue.busy).toBe(false);
    await expect(queue.run(async () => 1, AbortSignal.abort())).rejects.toBeInstanceOf(AbortedError);
  });

  it('runs up to `slots` jobs at once; the next waits for a free slot, then the line is full', async () => {
    const queue = new ModelQueue(1, 3);
    const gates = [gate(), gate(), gate()];
    const order: string[] = [];
    const running = gates.map((g, i) =>
      queue.run(async () => {
        order.push(`start ${i}`);
        await g.opened;
        order.push(`end ${i}`);
      }),
    );
    const fourth = queue.run(async () => void order.push('start 3'));
    await Promise.resolve();
    expect(order).toEqual(['start 0', 'start 1', 'start 2']);
    expect([queue.active, queue.pending]).toEqual([3, 1]);
    await expect(queue.run(async () => 'refused')).rejects.toBeInstanceOf(QueueFullError);
    // The slot of the job that ends first goes to the waiter; the others keep theirs.
    gates[1].open();
    await running[1];
    await fourth;
    expect(order).toEqual(['start 0', 'start 1', 'start 2', 'end 1', 'start 3']);
    expect([queue.active, queue.pending]).toEqual([2, 0]);
    gates[0].open();
    gates[2].open();
    await Promise.all(running);
    expect([queue.busy, queue.active, queue.pending]).toEqual([false, 0, 0]);
  });

  it('refuses a slot count below one', () => {
    expect(() => new ModelQueue(4, 0)).toThrow('slots must be >= 1, got 0');
  });
});
