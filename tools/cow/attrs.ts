// Gives a host entry the attributes of another: owner, xattrs, mode, times.
// Order matters: chown(2) clears setuid and setgid, and an ordinary user
// needs write permission on the inode to set user.* xattrs (so before chmod
// makes it read-only); times last, as every other change moves ctime only.

import fs from 'node:fs';
import { loadNative } from '../../native/index.js';
import { O_NOFOLLOW, O_PATH } from '../../src/host/paths.js';
import { setXattrs } from './xattrs.js';

/**
 * Seconds for utimes from nanoseconds (without the native addon), exact to
 * the microsecond: libuv cuts a double's fraction to whole microseconds, so
 * half a microsecond more keeps the double's rounding from landing one below.
 */
export function utimeSeconds(ns: bigint): number {
  return (Number(ns / 1000n) + 0.5) / 1e6;
}

export function applyAttrs(target: Buffer, like: fs.BigIntStats, xattrs: Map<string, Buffer>): void {
  try {
    fs.lchownSync(target, Number(like.uid), Number(like.gid));
  } catch (e) {
    // An ordinary user cannot give files away: the entry stays theirs.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  }
  setXattrs(target, like, xattrs);
  if (!like.isSymbolicLink()) fs.chmodSync(target, Number(like.mode & 0o7777n));
  setTimesLike(target, like);
}

/** The times of `like`, to the nanosecond with the native addon (utimensat on the entry itself, a symlink too). */
function setTimesLike(target: Buffer, like: fs.BigIntStats): void {
  const { native } = loadNative();
  if (native === null) return fs.lutimesSync(target, utimeSeconds(like.atimeNs), utimeSeconds(like.mtimeNs));
  const fd = fs.openSync(target, O_PATH | O_NOFOLLOW);
  try {
    native.futimens(fd, like.atimeNs, like.mtimeNs);
  } finally {
    fs.closeSync(fd);
  }
}
