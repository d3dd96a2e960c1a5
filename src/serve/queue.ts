// One job at a time per model, the others waiting in a bounded line: a model's forward pass is
// synchronous CPU work, so running two at once would only slow both, and an unbounded line would let
// a flood of requests hold memory forever. Beyond the bound a request is refused (HTTP 429).

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

// The client went away while its job waited.
export class AbortedError extends Error {
  override name = 'AbortedError';
}

interface Waiter {
  start: () => void;
}

export class ModelQueue {
  private busy = false;
  private readonly waiting: Waiter[] = [];

  // maxWaiting: how many jobs may wait behind the running one.
  constructor(readonly maxWaiting: number) {}

  get running(): boolean {
    return this.busy;
  }

  get pending(): number {
    return this.waiting.length;
  }

  // Runs the job when its turn comes; rejects with QueueFullError at once when the line is full, or
  // with AbortedError when the signal fires before the job has started.
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await job();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('the client disconnected'));
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new QueueFullError(`the model is busy and ${this.waiting.length} requests wait`));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AbortedError('the client disconnected'));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  // Hands the model straight to the next waiter (busy stays true), or frees it.
  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.busy = false;
  }
}
