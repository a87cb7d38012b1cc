// Orders the calls of an export whose metadata lives beside its data
// (humfs). A change of names or attributes there is two steps, the data
// entry and then its record, with awaits between them; two such changes of
// the same names interleaving (an rmdir and a create of one name, a rename
// and a chmod of one file) could leave a record at the wrong path, and a
// lookup between the two steps of one change would see a file without its
// record. So changes run one at a time ("exclusive"), and calls that read
// records ("shared") run beside each other but never during a change. A
// shared call finds the gate open almost always and then runs at once,
// synchronously if it is synchronous. First come, first served: a waiting
// change holds back later shared calls, so changes are never starved.

interface Waiter {
  exclusive: boolean;
  start: () => void;
}

export class Gate {
  private sharedRunning = 0;
  private exclusiveRunning = false;
  private readonly queue: Waiter[] = [];

  /** Runs `fn` beside other shared calls, never during an exclusive one. */
  shared<T>(fn: () => Promise<T> | T): Promise<T> | T {
    if (!this.exclusiveRunning && this.queue.length === 0) return this.runShared(fn);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        exclusive: false,
        start: () => {
          try {
            resolve(this.runShared(fn));
          } catch (e) {
            reject(e);
          }
        },
      });
    });
  }

  /** Runs `fn` alone: after every call started before it, and before any started after it. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    if (!this.exclusiveRunning && this.sharedRunning === 0 && this.queue.length === 0) return this.runExclusive(fn);
    return new Promise<T>((resolve) => {
      this.queue.push({ exclusive: true, start: () => resolve(this.runExclusive(fn)) });
    });
  }

  private runShared<T>(fn: () => Promise<T> | T): Promise<T> | T {
    const r = fn();
    if (!(r instanceof Promise)) return r;
    this.sharedRunning++;
    return r.finally(() => {
      this.sharedRunning--;
      this.pump();
    });
  }

  private async runExclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    this.exclusiveRunning = true;
    try {
      return await fn();
    } finally {
      this.exclusiveRunning = false;
      this.pump();
    }
  }

  /** Starts what may start now, in order. */
  private pump(): void {
    while (this.queue.length > 0 && !this.exclusiveRunning) {
      const next = this.queue[0] as Waiter;
      if (next.exclusive && this.sharedRunning > 0) return;
      this.queue.shift();
      next.start();
    }
  }
}
