// Tag allocation. version(5): Tversion uses NOTAG (0xffff); every other
// request carries a tag that is unique among the requests in flight. A tag
// comes back to the pool when its reply has arrived (and, if it was flushed,
// when the Rflush has: flush(5) "the client must wait" for it before reusing
// the old tag). When all tags are out, callers queue in order.

import { NOTAG } from '../codec/index.js';

export class TagPool {
  private readonly free: number[] = [];
  private next = 0;
  private readonly waiters: ((tag: number) => void)[] = [];

  /** @param limit how many tags may be in flight at once (at most 65535, NOTAG excluded) */
  constructor(private readonly limit = NOTAG) {
    if (!Number.isInteger(limit) || limit < 1 || limit > NOTAG) throw new RangeError(`tag limit ${limit} not in 1..${NOTAG}`);
  }

  /** A free tag now, or undefined when all are in flight. */
  tryTake(): number | undefined {
    const tag = this.free.pop();
    if (tag !== undefined) return tag;
    if (this.next < this.limit) return this.next++;
    return undefined;
  }

  /** A free tag, waiting in line when all are in flight. */
  take(): Promise<number> {
    const tag = this.tryTake();
    if (tag !== undefined) return Promise.resolve(tag);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Returns a tag; the longest waiter gets it first. */
  give(tag: number): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(tag);
    else this.free.push(tag);
  }

  /** Tags handed out and not yet given back. */
  get inUse(): number {
    return this.next - this.free.length;
  }

  /** Drops every waiter (the connection is gone; they are rejected elsewhere). */
  dropWaiters(): ((tag: number) => void)[] {
    return this.waiters.splice(0);
  }
}
