// The two host calls Node lacks that the core needs, from the native addon
// (native/index.ts), each with what is left without it.
//
// Times: with the addon, utimensat(2) to the nanosecond, with UTIME_NOW
// and UTIME_OMIT, in one call. Without it, Node's utimes: float seconds
// that libuv cuts to whole microseconds (...123456789 ns is stored as
// ...123456000), 'now' as this process's clock in milliseconds, and no
// UTIME_OMIT, so the time not being set is written back from an fstat made
// just before (a change made between the two calls is lost).
//
// lseek: only SEEK_DATA and SEEK_HOLE are asked for (reads and writes carry
// their own offsets). Without the addon: ENOSYS, which a FUSE session
// passes to the kernel so that it uses its generic lseek from then on.

import fs from 'node:fs';
import type { Native, NativeTime } from '../../native/index.js';
import { vfsError } from '../errors.js';
import { NS_PER_SEC } from '../types.js';
import { fdPath } from './paths.js';

/** A time to set: nanoseconds since the epoch, the host's 'now', or left as it is ('omit'). */
export type HostTime = NativeTime;

export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

/** Sets the times of exactly the inode `fd` holds (a symlink's descriptor: the link). Throws Node-style errors. */
export function setTimes(native: Native | null, fd: number, atime: HostTime, mtime: HostTime): void {
  if (native !== null) return native.futimens(fd, clamp(atime), clamp(mtime));
  if (atime === 'omit' && mtime === 'omit') return;
  const st = atime === 'omit' || mtime === 'omit' ? fs.fstatSync(fd, { bigint: true }) : undefined;
  const now = Date.now() / 1000;
  const seconds = (t: HostTime, old: bigint | undefined): number => {
    const ns = t === 'omit' ? (old ?? 0n) : t;
    return ns === 'now' ? now : Number(ns / NS_PER_SEC) + Number(ns % NS_PER_SEC) / 1e9;
  };
  fs.utimesSync(fdPath(fd), seconds(atime, st?.atimeNs), seconds(mtime, st?.mtimeNs));
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Nanoseconds beyond ±292 years of the epoch are clamped to that, as Linux clamps a time to what its filesystem holds. */
function clamp(t: HostTime): HostTime {
  return typeof t !== 'bigint' ? t : t < I64_MIN ? I64_MIN : t > I64_MAX ? I64_MAX : t;
}

/** Where data (SEEK_DATA) or a hole (SEEK_HOLE) starts at or after `offset` in the open file `fd`. ENXIO past the end. */
export function seekData(native: Native | null, fd: number, offset: bigint, whence: typeof SEEK_DATA | typeof SEEK_HOLE): bigint {
  if (native === null) throw vfsError('ENOSYS', 'lseek', 'SEEK_DATA/SEEK_HOLE need the native addon');
  return native.lseek(fd, offset, whence);
}
