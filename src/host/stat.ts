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

/** Host identity of an inode: equal inode numbers on two devices stay apart. */
export function identityKey(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}
