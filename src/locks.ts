// POSIX byte-range locks (fcntl F_SETLK/F_GETLK semantics), kept by the
// server for every handle of one Vfs. Pure: no I/O, no timers.
//
// Rules (fcntl(2), "Advisory record locking"):
// - A read lock conflicts with another owner's write lock on an overlapping
//   range; a write lock conflicts with any other owner's lock there.
// - Locks of the same owner never conflict: a new lock replaces the owner's
//   old locks over its range (splitting them), and adjacent or overlapping
//   ranges of the same type merge.
// - Unlock removes the owner's locks over the range, splitting as needed.
// Ranges are half-open [start, end); end = null means "to end of file".
// Here a lock also remembers the handle it came through, so release() of a
// handle drops exactly its locks (the contract's rule), and merging happens
// only between locks of the same owner and handle.
//
// Cost: each file keeps its locks in interval trees (interval-tree.ts):
// all of them, the write locks alone, and each owner's own (which never
// overlap). A conflict test looks only at the ranges that overlap the
// request in the tree that can conflict; a change touches only the owner's
// ranges it overlaps or adjoins. Each is O(log n) plus the ranges it meets,
// where one flat list made a lock cost a pass over every lock of the file.
// A holder (a client, as the front end names it) may be given a quota of
// ranges; a change that would take it over is refused with ENOLCK.
// Waiters for a lock (F_SETLKW) are woken on every change that may free a
// range: any granted change (an unlock, a lock replacing a stronger one) and
// every release of a handle's locks.

import { vfsError } from './errors.js';
import { IntervalTree } from './interval-tree.js';
import { LockWaiters } from './lock-waiters.js';
import type { LockConflict, LockQuota, LockRange } from './vfs.js';

/** Above every offset: the `hi` of a lock to end of file (offsets and lengths are 64-bit). */
const EOF_HI = 1n << 66n;

interface Held {
  owner: string;
  handle: number;
  type: 'read' | 'write';
  start: bigint;
  end: bigint | null;
  pid: number;
  /** end, or EOF_HI for "to end of file". */
  hi: bigint;
  seq: number;
  file: number;
  /** Whose quota it counts against. */
  holder: string;
}

interface FileLocks {
  all: IntervalTree<Held>;
  writes: IntervalTree<Held>;
  owners: Map<string, IntervalTree<Held>>;
}

function endOf(start: bigint, length: bigint): bigint | null {
  return length === 0n ? null : start + length;
}

function overlaps(a: { start: bigint; hi: bigint }, b: { start: bigint; hi: bigint }): boolean {
  return a.start < b.hi && b.start < a.hi;
}

export class LockTable {
  private readonly files = new Map<number, FileLocks>();
  private readonly byHandle = new Map<number, Set<Held>>();
  private readonly perHolder = new Map<string, number>();
  private nextSeq = 1;
  /** Blocking lock requests of any front end, woken whenever a range may have been freed. */
  readonly waiters = new LockWaiters();

  /** The first lock (by start) of another owner that `lock` would conflict with, or null. */
  test(file: number, owner: string, lock: LockRange): LockConflict | null {
    if (lock.type === 'unlock') return null;
    const f = this.files.get(file);
    if (f === undefined) return null;
    const end = endOf(lock.start, lock.length);
    // A read lock meets only write locks; a write lock meets every lock.
    const tree = lock.type === 'write' ? f.all : f.writes;
    const h = tree.first(lock.start, end ?? EOF_HI, false, (x) => x.owner !== owner);
    if (h === undefined) return null;
    const length = h.end === null ? 0n : h.end - h.start;
    return { type: h.type, start: h.start, length, pid: h.pid, owner: h.owner };
  }

  /**
   * Set or clear; false (and no change) when another owner holds a
   * conflicting lock. With `quota`, throws ENOLCK (and changes nothing)
   * when the change would leave quota.holder with more than quota.max
   * ranges; a change that does not add ranges is always allowed.
   */
  set(file: number, owner: string, handle: number, lock: LockRange, quota?: LockQuota): boolean {
    if (lock.start < 0n || lock.length < 0n) throw new RangeError('negative lock range');
    if (this.test(file, owner, lock) !== null) return false;
    const end = endOf(lock.start, lock.length);
    const range = { start: lock.start, hi: end ?? EOF_HI };
    const own = this.files.get(file)?.owners.get(owner);
    const met = own === undefined ? [] : own.within(range.start, range.hi, true);
    const removed: Held[] = [];
    const added: Held[] = [];
    const adjacent: Held[] = [];
    for (const h of met) {
      if (!overlaps(h, range)) {
        adjacent.push(h);
        continue;
      }
      removed.push(h);
      // Keep the parts of the owner's old lock outside the new range; the
      // left part keeps its place among equal starts.
      if (h.start < range.start) added.push({ ...h, end: range.start, hi: range.start });
      if (end !== null && h.hi > end) added.push({ ...h, start: end, seq: this.nextSeq++ });
    }
    if (lock.type !== 'unlock') {
      let start = range.start;
      let hi = range.hi;
      const same = (h: Held): boolean => h.handle === handle && h.type === lock.type && h.start <= hi && h.hi >= start;
      for (const h of adjacent) {
        if (!same(h)) continue;
        removed.push(h);
        if (h.start < start) start = h.start;
        if (h.hi > hi) hi = h.hi;
      }
      for (let i = added.length - 1; i >= 0; i--) {
        const h = added[i] as Held;
        if (!same(h)) continue;
        added.splice(i, 1);
        if (h.start < start) start = h.start;
        if (h.hi > hi) hi = h.hi;
      }
      const holder = quota?.holder ?? owner;
      added.push({ owner, handle, type: lock.type, start, end: hi === EOF_HI ? null : hi, hi, pid: lock.pid, seq: this.nextSeq++, file, holder });
    }
    if (quota !== undefined && added.length > removed.length) {
      const after = (this.perHolder.get(quota.holder) ?? 0) + added.length - removed.length;
      if (after > quota.max) throw vfsError('ENOLCK', 'setlk', `more than ${quota.max} lock ranges`);
    }
    for (const h of removed) this.drop(h);
    for (const h of added) this.add(h);
    this.waiters.notify();
    return true;
  }

  /**
   * Drop every lock taken through `handle` (close(2) of that descriptor).
   * Wakes the waiters even when it held none: one may be waiting through
   * this very handle, and must learn it is gone.
   */
  releaseHandle(handle: number): void {
    const held = this.byHandle.get(handle);
    if (held !== undefined) for (const h of [...held]) this.drop(h);
    this.waiters.notify();
  }

  /** The locks held on `file`, sorted by start (for tests and debugging). */
  held(file: number): ReadonlyArray<Readonly<Omit<Held, 'hi' | 'seq' | 'file' | 'holder'>>> {
    return this.files.get(file)?.all.all() ?? [];
  }

  /** Lock ranges counted against `holder`. */
  count(holder: string): number {
    return this.perHolder.get(holder) ?? 0;
  }

  /** Lock ranges held in all, for tests and measurements. */
  get size(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.all.size;
    return n;
  }

  private add(h: Held): void {
    let f = this.files.get(h.file);
    if (f === undefined) {
      f = { all: new IntervalTree(), writes: new IntervalTree(), owners: new Map() };
      this.files.set(h.file, f);
    }
    f.all.insert(h);
    if (h.type === 'write') f.writes.insert(h);
    let own = f.owners.get(h.owner);
    if (own === undefined) {
      own = new IntervalTree();
      f.owners.set(h.owner, own);
    }
    own.insert(h);
    let set = this.byHandle.get(h.handle);
    if (set === undefined) {
      set = new Set();
      this.byHandle.set(h.handle, set);
    }
    set.add(h);
    this.perHolder.set(h.holder, (this.perHolder.get(h.holder) ?? 0) + 1);
  }

  private drop(h: Held): void {
    const f = this.files.get(h.file);
    if (f === undefined) return;
    f.all.remove(h);
    if (h.type === 'write') f.writes.remove(h);
    const own = f.owners.get(h.owner);
    if (own !== undefined) {
      own.remove(h);
      if (own.size === 0) f.owners.delete(h.owner);
    }
    if (f.all.size === 0) this.files.delete(h.file);
    const set = this.byHandle.get(h.handle);
    if (set !== undefined) {
      set.delete(h);
      if (set.size === 0) this.byHandle.delete(h.handle);
    }
    const n = (this.perHolder.get(h.holder) ?? 0) - 1;
    if (n > 0) this.perHolder.set(h.holder, n);
    else this.perHolder.delete(h.holder);
  }
}
