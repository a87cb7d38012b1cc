// Open flags on the wire and their Linux open(2) meaning.
//
// 9P2000.L Tlopen/Tlcreate flags are P9_DOTL_* bits. Their values equal
// Linux's generic (x86, arm64) O_* bits, but that is a coincidence of where
// the protocol was written, not a rule (Linux converts with a table,
// v9fs_open_to_dotl_flags), so we convert with a table too. P9_DOTL_SYNC is
// __O_SYNC alone; Linux O_SYNC is __O_SYNC|O_DSYNC.
//
// The codec may not import src/: the Linux values are written here and a
// test checks them against src/types.ts.

import { OAPPEND, OTRUNC } from './constants.js';

export const P9_DOTL_RDONLY = 0o0;
export const P9_DOTL_WRONLY = 0o1;
export const P9_DOTL_RDWR = 0o2;
export const P9_DOTL_NOACCESS = 0o3;
export const P9_DOTL_CREATE = 0o100;
export const P9_DOTL_EXCL = 0o200;
export const P9_DOTL_NOCTTY = 0o400;
export const P9_DOTL_TRUNC = 0o1000;
export const P9_DOTL_APPEND = 0o2000;
export const P9_DOTL_NONBLOCK = 0o4000;
export const P9_DOTL_DSYNC = 0o10000;
export const P9_DOTL_FASYNC = 0o20000;
export const P9_DOTL_DIRECT = 0o40000;
export const P9_DOTL_LARGEFILE = 0o100000;
export const P9_DOTL_DIRECTORY = 0o200000;
export const P9_DOTL_NOFOLLOW = 0o400000;
export const P9_DOTL_NOATIME = 0o1000000;
export const P9_DOTL_CLOEXEC = 0o2000000;
export const P9_DOTL_SYNC = 0o4000000;

const ACCMODE = 0o3;

/** [P9_DOTL bit, Linux O_* value] for every bit above the access mode. */
export const DOTL_TO_LINUX: readonly (readonly [number, number])[] = [
  [P9_DOTL_CREATE, 0o100], // O_CREAT
  [P9_DOTL_EXCL, 0o200], // O_EXCL
  [P9_DOTL_NOCTTY, 0o400], // O_NOCTTY
  [P9_DOTL_TRUNC, 0o1000], // O_TRUNC
  [P9_DOTL_APPEND, 0o2000], // O_APPEND
  [P9_DOTL_NONBLOCK, 0o4000], // O_NONBLOCK
  [P9_DOTL_DSYNC, 0o10000], // O_DSYNC
  [P9_DOTL_FASYNC, 0o20000], // FASYNC (O_ASYNC)
  [P9_DOTL_DIRECT, 0o40000], // O_DIRECT
  [P9_DOTL_LARGEFILE, 0o100000], // O_LARGEFILE
  [P9_DOTL_DIRECTORY, 0o200000], // O_DIRECTORY
  [P9_DOTL_NOFOLLOW, 0o400000], // O_NOFOLLOW
  [P9_DOTL_NOATIME, 0o1000000], // O_NOATIME
  [P9_DOTL_CLOEXEC, 0o2000000], // O_CLOEXEC
  [P9_DOTL_SYNC, 0o4010000], // O_SYNC (= __O_SYNC | O_DSYNC)
];

/**
 * Linux open(2) flags for Tlopen/Tlcreate flags. The access mode passes
 * through (NOACCESS, 3, stays 3: Linux's "no read, no write" mode); unknown
 * bits are dropped.
 */
export function dotlToLinuxFlags(flags: number): number {
  let out = flags & ACCMODE;
  for (const [p9, linux] of DOTL_TO_LINUX) if (flags & p9) out |= linux;
  return out >>> 0;
}

/**
 * Linux's __FMODE_EXEC: the kernel's mark on an open made to execute the
 * file. OEXEC becomes a read-only open carrying it, and the Vfs checks
 * execute permission for it instead of read (src/types.ts O_EXEC_OPEN).
 */
export const LINUX_FMODE_EXEC = 0o40;

/**
 * Linux open(2) flags for a 9P2000(.u) Topen/Tcreate mode byte. OEXEC
 * opens for reading, marked LINUX_FMODE_EXEC so that execute permission is
 * what is checked; ORCLOSE and OCEXEC are the server's business and map to
 * nothing.
 */
export function openModeToLinuxFlags(mode: number): number {
  const access = [0 /* O_RDONLY */, 1 /* O_WRONLY */, 2 /* O_RDWR */, LINUX_FMODE_EXEC /* OEXEC */][mode & 3] as number;
  let out = access;
  if (mode & OTRUNC) out |= 0o1000; // O_TRUNC
  if (mode & OAPPEND) out |= 0o2000; // O_APPEND
  return out;
}
