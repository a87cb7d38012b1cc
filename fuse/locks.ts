// FUSE lock requests (GETLK, SETLK, SETLKW, flock through SETLK with
// FUSE_LK_FLOCK) over the Vfs lock table, which 9P clients of the same Vfs
// share: a lock taken here conflicts with theirs and the reverse.
//
// Owners: the kernel names a POSIX owner (its files_struct) or, for flock,
// the open file, by a 64-bit lock_owner. They become strings with a prefix
// per session ("fuse<n>:"), which 9P owners ("<session>/<proc>/<client>")
// can never equal. flock locks are whole-file locks of an owner of their
// own ("fuse<n>:flock:"), so they never merge with the same process's
// fcntl locks.
//
// SETLKW waits in the Vfs with an AbortController per request unique: an
// INTERRUPT naming that unique aborts the wait and the request answers
// EINTR (a waiter killed with SIGKILL is interrupted so too).

import type { HandleId, LockRange, Vfs } from '../src/index.js';
import { FUSE_LK_FLOCK, type FuseFileLock } from './codec/index.js';

const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
/** The kernel's OFFSET_MAX: a lock whose end is this runs to the end of the file. */
const OFFSET_MAX = 0x7fffffffffffffffn;

let sessions = 0;

export interface LockRequest {
  fh: bigint;
  owner: bigint;
  lk: FuseFileLock;
  lk_flags: number;
}

export class FuseLocks {
  private readonly prefix = `fuse${++sessions}:`;
  private readonly waiting = new Map<bigint, AbortController>();

  constructor(private readonly vfs: Vfs) {}

  /** SETLKW requests waiting now (tests). */
  get waiters(): number {
    return this.waiting.size;
  }

  ownerOf(lockOwner: bigint, flock: boolean): string {
    return `${this.prefix}${flock ? 'flock:' : ''}${lockOwner.toString(16)}`;
  }

  /** GETLK: the conflicting lock as fuse_file_lock, or type F_UNLCK. */
  async getlk(m: LockRequest): Promise<FuseFileLock> {
    const flock = (m.lk_flags & FUSE_LK_FLOCK) !== 0;
    const c = await this.vfs.getlk(Number(m.fh), this.ownerOf(m.owner, flock), toRange(m.lk));
    if (c === null) return { start: 0n, end: 0n, type: F_UNLCK, pid: 0 };
    return { start: c.start, end: c.length === 0n ? OFFSET_MAX : c.start + c.length - 1n, type: c.type === 'read' ? F_RDLCK : F_WRLCK, pid: c.pid };
  }

  /** SETLK/SETLKW: 0 when done, else the errno to answer (EAGAIN: held; EINTR: interrupted). */
  async setlk(unique: bigint, m: LockRequest, wait: boolean): Promise<number> {
    const handle: HandleId = Number(m.fh);
    const flock = (m.lk_flags & FUSE_LK_FLOCK) !== 0;
    const owner = this.ownerOf(m.owner, flock);
    const range = { ...toRange(m.lk), flock };
    if (!wait || range.type === 'unlock') return (await this.vfs.setlk(handle, owner, range)) ? 0 : EAGAIN;
    const stop = new AbortController();
    this.waiting.set(unique, stop);
    try {
      return (await this.vfs.setlkw(handle, owner, range, stop.signal)) ? 0 : EINTR;
    } finally {
      this.waiting.delete(unique);
    }
  }

  /** INTERRUPT of request `unique`: a waiting SETLKW stops; anything else finishes as it would. */
  interrupt(unique: bigint): void {
    this.waiting.get(unique)?.abort();
  }

  /** FLUSH (a close(2) by `lockOwner`): POSIX drops every lock that process holds on the file. */
  async flush(fh: bigint, lockOwner: bigint): Promise<void> {
    try {
      await this.vfs.setlk(Number(fh), this.ownerOf(lockOwner, false), { type: 'unlock', start: 0n, length: 0n, pid: 0 });
    } catch {
      // A handle the Vfs no longer knows holds no lock; close(2) must not fail for it.
    }
  }

  /** Every waiter stops (the session ends). */
  abortAll(): void {
    for (const c of this.waiting.values()) c.abort();
  }
}

const EAGAIN = 11;
const EINTR = 4;

function toRange(lk: FuseFileLock): LockRange {
  const type = lk.type === F_RDLCK ? 'read' : lk.type === F_WRLCK ? 'write' : 'unlock';
  const length = lk.end >= OFFSET_MAX ? 0n : lk.end - lk.start + 1n;
  return { type, start: lk.start, length: length < 0n ? 0n : length, pid: lk.pid };
}
