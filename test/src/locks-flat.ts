// The lock table as it was before the interval trees (one flat list per
// file, a pass over it for every change): kept here as the reference the
// fuzz in locks.test.ts compares the new table against, so the POSIX rules
// stay exactly what they were.

import type { LockConflict, LockRange } from '../../src/vfs.js';

interface Held {
  owner: string;
  handle: number;
  type: 'read' | 'write';
  start: bigint;
  end: bigint | null;
  pid: number;
}

function endOf(start: bigint, length: bigint): bigint | null {
  return length === 0n ? null : start + length;
}

function overlaps(a: { start: bigint; end: bigint | null }, b: { start: bigint; end: bigint | null }): boolean {
  const aBeforeB = a.end !== null && a.end <= b.start;
  const bBeforeA = b.end !== null && b.end <= a.start;
  return !aBeforeB && !bBeforeA;
}

/** True when a and b overlap or touch. */
function touches(a: { start: bigint; end: bigint | null }, b: { start: bigint; end: bigint | null }): boolean {
  const aBeforeB = a.end !== null && a.end < b.start;
  const bBeforeA = b.end !== null && b.end < a.start;
  return !aBeforeB && !bBeforeA;
}

function maxEnd(a: bigint | null, b: bigint | null): bigint | null {
  return a === null || b === null ? null : a > b ? a : b;
}

export class FlatLockTable {
  /** Locks per file (the NodeId the handles belong to). */
  private readonly files = new Map<number, Held[]>();

  /** The first lock of another owner that `lock` would conflict with, or null. */
  test(file: number, owner: string, lock: LockRange): LockConflict | null {
    if (lock.type === 'unlock') return null;
    const want = { start: lock.start, end: endOf(lock.start, lock.length) };
    for (const h of this.files.get(file) ?? []) {
      if (h.owner === owner || !overlaps(h, want)) continue;
      if (lock.type === 'write' || h.type === 'write') {
        const length = h.end === null ? 0n : h.end - h.start;
        return { type: h.type, start: h.start, length, pid: h.pid, owner: h.owner };
      }
    }
    return null;
  }

  /** Set or clear; false (and no change) when another owner holds a conflicting lock. */
  set(file: number, owner: string, handle: number, lock: LockRange): boolean {
    if (lock.start < 0n || lock.length < 0n) throw new RangeError('negative lock range');
    if (this.test(file, owner, lock) !== null) return false;
    const range = { start: lock.start, end: endOf(lock.start, lock.length) };
    const kept: Held[] = [];
    for (const h of this.files.get(file) ?? []) {
      if (h.owner !== owner || !overlaps(h, range)) {
        kept.push(h);
        continue;
      }
      // Keep the parts of the owner's old lock outside the new range.
      if (h.start < range.start) kept.push({ ...h, end: range.start });
      if (range.end !== null && (h.end === null || h.end > range.end)) kept.push({ ...h, start: range.end });
    }
    if (lock.type !== 'unlock') {
      let merged: Held = { owner, handle, type: lock.type, start: range.start, end: range.end, pid: lock.pid };
      const rest: Held[] = [];
      for (const h of kept) {
        if (h.owner === owner && h.handle === handle && h.type === merged.type && touches(h, merged)) {
          merged = { ...merged, start: h.start < merged.start ? h.start : merged.start, end: maxEnd(h.end, merged.end) };
        } else {
          rest.push(h);
        }
      }
      rest.push(merged);
      kept.length = 0;
      kept.push(...rest);
    }
    kept.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    if (kept.length === 0) this.files.delete(file);
    else this.files.set(file, kept);
    return true;
  }

  /** Drop every lock taken through `handle` (close(2) of that descriptor). */
  releaseHandle(handle: number): void {
    for (const [file, held] of this.files) {
      const kept = held.filter((h) => h.handle !== handle);
      if (kept.length === 0) this.files.delete(file);
      else if (kept.length !== held.length) this.files.set(file, kept);
    }
  }

  /** The locks held on `file`, sorted by start (for tests and debugging). */
  held(file: number): ReadonlyArray<Readonly<Held>> {
    return this.files.get(file) ?? [];
  }
}
