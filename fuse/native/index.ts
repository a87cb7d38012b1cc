// The FUSE addon (fuse_native.c), loaded on first use. npm's install builds
// it into fuse/native/build/Release; a machine without a compiler has no
// addon, and callers get null and the reason instead (root mounts and 9P
// need none of it).

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface FuseNative {
  /** A connected pair of AF_UNIX stream sockets (close-on-exec). */
  socketpair(): [number, number];
  /** One descriptor received with SCM_RIGHTS; EAGAIN when none is queued (it never waits). */
  recvFd(sock: number): number;
  /** A new /dev/fuse descriptor on the connection of `sessionFd` (FUSE_DEV_IOC_CLONE). */
  cloneDevice(sessionFd: number): number;
  /** Registers `fileFd` as a passthrough backing file (needs CAP_SYS_ADMIN); the backing id. */
  backingOpen(devFd: number, fileFd: number): number;
  backingClose(devFd: number, id: number): void;
  /**
   * Makes `fd` non-blocking and reads it on the event loop whenever it is
   * readable: each request read into `buffer` (reused) is handed to
   * `onRead(n)`, a failure as `onRead(-errno)`. Older builds lack it.
   */
  startReader?(fd: number, buffer: Buffer, onRead: (n: number) => void): object;
  stopReader?(reader: object): void;
}

export type NativeLoad = { native: FuseNative; reason?: undefined } | { native: null; reason: string };

/** This file is dist/fuse/native/index.js; the addon is built under the package root. */
const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..', 'fuse/native/build/Release/humbridge_fuse.node');

let loaded: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  return (loaded ??= loadNativeFrom(ADDON));
}

/** Loads the addon at `file` (loadNative's work; tests name a missing one). */
export function loadNativeFrom(file: string): NativeLoad {
  if (!fs.existsSync(file)) {
    return { native: null, reason: `the FUSE addon is not built (${file} is missing: run \`npm rebuild humbridge\` or \`node scripts/build-native.mjs\` with a C compiler and node-gyp)` };
  }
  try {
    return { native: createRequire(import.meta.url)(file) as FuseNative };
  } catch (e) {
    return { native: null, reason: `the FUSE addon ${file} does not load: ${e instanceof Error ? e.message : String(e)}` };
  }
}
