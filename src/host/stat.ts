// The host's view of an inode, as the core needs it: a plain record of
// bigints copied out of Node's BigIntStats or the native addon's statx, so
// no layer above src/host has to import node:fs.

import type { BigIntStats } from 'node:fs';

export interface HostStat {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blocks: bigint;
  blksize: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;
}

export function toHostStat(st: BigIntStats): HostStat {
  return {
    dev: st.dev,
    ino: st.ino,
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: st.rdev,
    size: st.size,
    blocks: st.blocks,
    blksize: Number(st.blksize),
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    birthtimeNs: st.birthtimeNs,
  };
}

/** The record from the native addon's statx fields (native/index.ts says their order). */
export function fromStatx(a: BigInt64Array): HostStat {
  return {
    dev: a[0] as bigint,
    ino: a[1] as bigint,
    mode: Number(a[2]),
    nlink: Number(a[3]),
    uid: Number(a[4]),
    gid: Number(a[5]),
    rdev: a[6] as bigint,
    size: a[7] as bigint,
    blocks: a[8] as bigint,
    blksize: Number(a[9]),
    atimeNs: a[10] as bigint,
    mtimeNs: a[11] as bigint,
    ctimeNs: a[12] as bigint,
    birthtimeNs: a[13] as bigint,
  };
}

/** Where identityKey assembles its bytes. */
const keyBytes = Buffer.alloc(16);

/**
 * Host identity of an inode: equal inode numbers on two devices stay apart.
 * dev and ino as 16 raw bytes in a one-byte string: a node table holds one
 * per node, and a template string of the decimal numbers stays a chain of
 * string pieces of over 100 bytes more (node-ids.ts measured the same).
 */
export function identityKey(st: { dev: bigint; ino: bigint }): string {
  put64(keyBytes, 0, st.dev);
  put64(keyBytes, 8, st.ino);
  return keyBytes.toString('latin1');
}

/** The low 64 bits of `v` at `at`, little-endian (cheaper than writeBigUInt64LE for small values). */
export function put64(buf: Buffer, at: number, v: bigint): void {
  if (v >= 0n && v <= 0xffffffffn) {
    buf.writeUInt32LE(Number(v), at);
    buf.writeUInt32LE(0, at + 4);
  } else {
    buf.writeBigUInt64LE(BigInt.asUintN(64, v), at);
  }
}
