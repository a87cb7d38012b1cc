// Gives a host entry the attributes of another: owner, xattrs, mode, times.
// Order matters: chown(2) clears setuid and setgid, and an ordinary user
// needs write permission on the inode to set user.* xattrs (so before chmod
// makes it read-only); times last, as every other change moves ctime only.

import fs from 'node:fs';
import { setXattrs } from './xattrs.js';

/**
 * Seconds for utimes from nanoseconds, exact to the microsecond: libuv cuts
 * a double's fraction to whole microseconds, so half a microsecond more keeps
 * the double's rounding from landing one below.
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
  fs.lutimesSync(target, utimeSeconds(like.atimeNs), utimeSeconds(like.mtimeNs));
}
