// Reply bytes of the FUSE session: a struct reply, a bare status, a data
// reply, and the Vfs Attr as fuse_attr. Pure helpers over fuse/codec.

import type { Attr, NodeId } from '../src/index.js';
import { FuseWriter, beginData, encodeReply, encodeStatus, finishData, type FuseAttr } from './codec/index.js';

export const ENOSYS = 38;
export const EINVAL = 22;
export const EIO = 5;
export const EINTR = 4;
export const ERANGE = 34;
export const ENOENT = 2;
export const ENODEV = 19;

export function struct(u: bigint, reply: Parameters<typeof encodeReply>[2]): Buffer {
  const w = new FuseWriter(Buffer.allocUnsafe(512));
  encodeReply(w, u, reply);
  return Buffer.from(w.view(0));
}

export function status(u: bigint, errno: number): Buffer {
  const w = new FuseWriter(Buffer.allocUnsafe(16));
  encodeStatus(w, u, errno);
  return Buffer.from(w.view(0));
}

export function data(u: bigint, bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16 + bytes.length);
  bytes.copy(beginData(out, u));
  return finishData(out, bytes.length);
}

/** Nanoseconds since the epoch as FUSE's seconds and nanoseconds (times before 1970 clamp to 0). */
export function split(ns: bigint): [bigint, number] {
  if (ns < 0n) return [0n, 0];
  return [ns / 1_000_000_000n, Number(ns % 1_000_000_000n)];
}

export function fuseAttr(a: Attr, toNodeid: (id: NodeId) => bigint): FuseAttr {
  const [as, ans] = split(a.atime);
  const [ms, mns] = split(a.mtime);
  const [cs, cns] = split(a.ctime);
  return {
    ino: toNodeid(a.ino),
    size: a.size,
    blocks: a.blocks,
    atime: as,
    mtime: ms,
    ctime: cs,
    atimensec: ans,
    mtimensec: mns,
    ctimensec: cns,
    mode: a.mode,
    nlink: a.nlink,
    uid: a.uid,
    gid: a.gid,
    rdev: Number(a.rdev & 0xffffffffn),
    blksize: a.blksize,
    flags: 0,
  };
}
