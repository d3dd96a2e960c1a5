// Admission to a model: up to `slots` jobs at once, the others waiting in a bounded line. A
// generation job holds a slot for as long as its sequence is in the model's batch (batcher.ts), so
// slots is the batch size; a classification runs alone (one slot): a forward pass is synchronous
// CPU work, and two at once would only slow both. An unbounded line would let a flood of requests
// hold memory forever, so beyond the bound a request is refused (HTTP 429).

// Generations one model decodes together unless told otherwise (serve --max-batch): eight streams
// share a pass over the weights, and each waits for at most eight rows' work per token.
export const DEFAULT_MAX_BATCH = 8;

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
  private running = 0;
  private readonly waiting: Waiter[] = [];

  // maxWaiting: how many jobs may wait once every slot is taken; slots: how many run at once.
  constructor(
    readonly maxWaiting: number,
    readonly slots = 1,
  ) {
    if (!(Number.isInteger(slots) && slots >= 1))
      throw new Error(`ModelQueue: slots must be >= 1, got ${slots}`);
  }

  // Jobs running now.
  get active(): number {
    return this.running;
  }

  get busy(): boolean {
    return this.running > 0;
  }

  get pending(): number {
    return this.waiting.length;
  }

  // Runs the job when a slot is free; rejects with QueueFullError at once when the line is full, or
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
    // Arrival order: a free slot goes to the line first (release hands it over directly).
    if (this.running < this.slots) {
      this.running++;
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

  // Hands the slot straight to the next waiter (running stays the same), or frees it.
  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running--;
  }
}
