// A counting semaphore: at most `limit` tasks run at once, the rest wait in
// arrival order. Used to bound child processes (special.ts), which are a
// resource of the whole server process, not of one request.

export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a semaphore needs a limit of at least 1');
  }

  /** Tasks running now (for tests and measurements). */
  get active(): number {
    return this.running;
  }

  /** Runs `task` once a slot is free; the slot is given back however it ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so the count never dips and rises.
      if (next !== undefined) next();
      else this.running--;
    }
  }
}
