// The host's view of an inode, as the core needs it: a plain record of
// bigints copied out of Node's BigIntStats so no layer above src/host has
// to import node:fs.

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

/** Host identity of an inode: equal inode numbers on two devices stay apart. */
export function identityKey(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}
