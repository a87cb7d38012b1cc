// Who waits for a byte-range lock of one Vfs: every release (an unlock, a
// lock that replaces a stronger one, a handle closed) wakes them all to try
// again. It lives beside the lock table, so locks taken and released through
// any front end (9P, FUSE) wake each other's waiters.

/** A registration: `woken` settles on the next notify() or when the signal aborts. */
export interface LockWaiter {
  woken: Promise<void>;
  cancel: () => void;
}

export class LockWaiters {
  private readonly waiters = new Set<() => void>();

  /**
   * Registers for the next notify() (or `signal` aborting). Register before
   * trying a lock, so a release between the try and the wait is not missed;
   * cancel() when no longer waiting.
   */
  waiter(signal: AbortSignal): LockWaiter {
    let done = (): void => {};
    const woken = new Promise<void>((resolve) => {
      done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
    });
    if (signal.aborted) done();
    else {
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    }
    return { woken, cancel: done };
  }

  notify(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
