// The addon (humbridge_native.c): the host calls Node lacks, loaded on first
// use. npm's install builds it into native/build/Release; a machine without
// a compiler has no addon, and callers get null and the reason instead
// (root mounts and 9P work without it; see each caller for what degrades).
// Imported by src/host (times, lseek) and by fuse/ (descriptor passing,
// clone, passthrough): it imports neither.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A time for futimens: nanoseconds since the epoch, the caller's clock ('now'), or left as it is ('omit'). */
export type NativeTime = bigint | 'now' | 'omit';

export interface Native {
  /** A connected pair of AF_UNIX stream sockets (close-on-exec). */
  socketpair(): [number, number];
  /** One descriptor received with SCM_RIGHTS; EAGAIN when none is queued (it never waits). */
  recvFd(sock: number): number;
  /** A new /dev/fuse descriptor on the connection of `sessionFd` (FUSE_DEV_IOC_CLONE). */
  cloneDevice(sessionFd: number): number;
  /** Registers `fileFd` as a passthrough backing file (needs CAP_SYS_ADMIN); the backing id. */
  backingOpen(devFd: number, fileFd: number): number;
  backingClose(devFd: number, id: number): void;
  /** utimensat(2) of exactly the inode `fd` holds (O_PATH and symlink descriptors too), to the nanosecond. */
  futimens(fd: number, atime: NativeTime, mtime: NativeTime): void;
  /** lseek(2) with 64-bit offsets, SEEK_DATA (3) and SEEK_HOLE (4) included; the new offset. */
  lseek(fd: number, offset: bigint, whence: number): bigint;
  /** renameat2(2) with RENAME_NOREPLACE (1) or RENAME_EXCHANGE (2), atomic; EINVAL where the filesystem lacks the flag. Older builds lack it. */
  renameat2?(oldDirfd: number, oldName: Buffer, newDirfd: number, newName: Buffer, flags: number): void;
  /** openat(2) of one name in directory `dirfd` (`mode` for O_CREAT): a descriptor, or -errno. Older builds lack it. */
  openat?(dirfd: number, name: Buffer, flags: number, mode: number): number;
  /** unlinkat(2) of one name in directory `dirfd` (flags: AT_REMOVEDIR): 0, or -errno. Older builds lack it. */
  unlinkat?(dirfd: number, name: Buffer, flags: number): number;
  /**
   * statx(2) of `name` in directory `dirfd` without following it (lstat), or
   * of `dirfd` itself when `name` is null (fstat), into `out`: dev, ino,
   * mode, nlink, uid, gid, rdev, size, blocks, blksize, then atime, mtime,
   * ctime and birth time in ns (src/host/stat.ts fromStatx reads them).
   * 0, or -errno. Older builds lack it.
   */
  statx?(dirfd: number, name: Buffer | null, out: BigInt64Array): number;
  /**
   * Opens the regular file `name` of directory `dirfd` for I/O with `flags`,
   * never following it (opened O_NONBLOCK, cleared after: a FIFO put there
   * meanwhile neither blocks nor stays open), and its statx into `out` as
   * statx fills it: a descriptor, or -errno (ENXIO for anything but a
   * regular file). Older builds lack it.
   */
  openFile?(dirfd: number, name: Buffer, flags: number, out: BigInt64Array): number;
  /**
   * Extended attribute `name` of the inode `fd` stands for (an O_PATH
   * descriptor too), read into `into`: its length, or -errno (ENODATA when
   * absent, ERANGE when it does not fit). Older builds lack it.
   */
  getxattr?(fd: number, name: string, into: Buffer): number;
  /**
   * Makes `fd` non-blocking and reads it on the event loop whenever it is
   * readable: each request read into `buffer` (reused) is handed to
   * `onRead(n)`, a failure as `onRead(-errno)`. Older builds lack it.
   */
  startReader?(fd: number, buffer: Buffer, onRead: (n: number) => void): object;
  stopReader?(reader: object): void;
}

export type NativeLoad = { native: Native; reason?: undefined } | { native: null; reason: string };

/** This file is dist/native/index.js; the addon is built under the package root. */
const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', 'native/build/Release/humbridge_native.node');

let loaded: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  return (loaded ??= loadNativeFrom(ADDON));
}

/** Loads the addon at `file` (loadNative's work; tests name a missing one). */
export function loadNativeFrom(file: string): NativeLoad {
  if (!fs.existsSync(file)) {
    return { native: null, reason: `the native addon is not built (${file} is missing: run \`npm rebuild humbridge\` or \`node scripts/build-native.mjs\` with a C compiler and node-gyp)` };
  }
  try {
    return { native: createRequire(import.meta.url)(file) as Native };
  } catch (e) {
    return { native: null, reason: `the native addon ${file} does not load: ${e instanceof Error ? e.message : String(e)}` };
  }
}
