// Counted limits: how much of something (open files, xattr bytes, queued
// reply bytes) one connection or the whole server holds, against a ceiling.
// A Hold is what one fid or reply took; giving it back twice is harmless,
// so every path that drops the thing may release it.

import type { ErrnoCode } from '../../src/errno.js';
import { protocolError } from './replies.js';

export class Tally {
  private used = 0;
  private readonly waiters = new Set<() => void>();

  /** `what` names the limit in errors, e.g. "open files of this connection". */
  constructor(
    readonly limit: number,
    readonly what: string,
    readonly code: ErrnoCode,
  ) {}

  get held(): number {
    return this.used;
  }

  get over(): boolean {
    return this.used > this.limit;
  }

  fits(n: number): boolean {
    return this.used + n <= this.limit;
  }

  add(n: number): void {
    this.used += n;
  }

  sub(n: number): void {
    const wasOver = this.over;
    this.used -= n;
    if (wasOver && !this.over) for (const w of [...this.waiters]) w();
  }

  /** Calls `fn` each time the tally drops back to its limit, until `unwait`. */
  wait(fn: () => void): void {
    this.waiters.add(fn);
  }

  unwait(fn: () => void): void {
    this.waiters.delete(fn);
  }
}

export interface Hold {
  readonly amount: number;
  release(): void;
}

export const NO_HOLD: Hold = { amount: 0, release: () => undefined };

/**
 * Takes `n` of each tally (innermost first: a connection's own limit, then
 * the server's), or throws the first refusing tally's errno with `op`.
 */
export function take(tallies: readonly Tally[], n: number, op: string): Hold {
  for (const t of tallies) {
    if (!t.fits(n)) throw protocolError(t.code, op, `${t.what}: limit of ${t.limit} reached`);
  }
  for (const t of tallies) t.add(n);
  let held = true;
  return {
    amount: n,
    release() {
      if (!held) return;
      held = false;
      for (const t of tallies) t.sub(n);
    },
  };
}
