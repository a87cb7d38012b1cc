// What the server serves: named exports, each a Vfs. Shared by every
// connection of one Server, so byte-range locks taken through one client
// are seen by all of them (the lock table lives in the Vfs), and a client
// waiting for a lock is woken when any client unlocks.

import type { Vfs } from '../../src/vfs.js';

/** Wakes lock waiters of one export whenever a lock may have been released. */
export class LockSignal {
  private waiters = new Set<() => void>();

  /**
   * Registers for the next notify() (or `signal` aborting). Register before
   * trying a lock, so a release between the try and the wait is not missed;
   * cancel() when no longer waiting.
   */
  waiter(signal: AbortSignal): { woken: Promise<void>; cancel: () => void } {
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
    const now = [...this.waiters];
    for (const w of now) w();
  }

  get waiting(): number {
    return this.waiters.size;
  }
}

export interface ServedExport {
  /** The aname that selects it ("" for the default export). */
  readonly name: string;
  readonly vfs: Vfs;
  readonly locks: LockSignal;
}
