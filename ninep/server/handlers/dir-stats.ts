// Reading a directory in 9P2000 and 9P2000.u: Tread returns stat entries.
// read(5): "Reads of directories ... return an integral number of directory
// entries ... the offset must be 0 or the offset and count of the previous
// read": the listing is sequential, so the fid keeps where it is (a VFS
// cookie) and the entries fetched but not yet sent.

import { beginRread, finishData, packStats, DATA_REPLY_HEADER, type Stat, type StatU } from '../../codec/index.js';
import { VfsError } from '../../../src/errors.js';
import type { DirReadState, Fid } from '../fids.js';
import { protocolError } from '../replies.js';
import { statOf } from './stat.js';
import type { FrameReply, RequestContext } from './types.js';

const BATCH = 64;

function isDotOrDotDot(name: Buffer): boolean {
  return (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e);
}

/** Fetches the next batch of entries as stats; false at the end. */
async function fetch(f: Fid, st: DirReadState, handle: number, dotu: boolean, into: (Stat | StatU)[]): Promise<boolean> {
  const vfs = f.exp.vfs;
  const batch = await vfs.readdir(handle, st.cookie, BATCH);
  if (batch.length === 0) return false;
  for (const ent of batch) {
    st.cookie = ent.cookie;
    if (isDotOrDotDot(ent.name)) continue;
    try {
      const e = await vfs.lookup(f.cred, f.node, ent.name);
      try {
        into.push(await statOf(vfs, e.id, e.attr, Buffer.from(ent.name), dotu));
      } finally {
        vfs.forget(e.id, 1);
      }
    } catch (err) {
      // Removed since the listing was taken: leave it out.
      if (!(err instanceof VfsError && err.code === 'ENOENT')) throw err;
    }
  }
  return true;
}

export async function readDirStats(
  ctx: RequestContext,
  f: Fid,
  open: { handle: number; listing?: DirReadState },
  offset: bigint,
  count: number,
): Promise<FrameReply> {
  const dotu = ctx.dialect === '9P2000.u';
  if (open.listing === undefined || offset === 0n) open.listing = { nextOffset: 0n, cookie: 0n, pending: [], eof: false };
  const st = open.listing;
  if (offset !== st.nextOffset) throw protocolError('EINVAL', 'read', `directory offset ${offset}, expected 0 or ${st.nextOffset}`);
  const stats = st.pending;
  const { buf, release } = ctx.session.dataBuffer(DATA_REPLY_HEADER + count);
  try {
    const slot = beginRread(buf, ctx.tag).subarray(0, count);
    let used = 0;
    for (;;) {
      if (stats.length > 0) {
        const packed = packStats(slot.subarray(used), stats, dotu);
        used += packed.bytes;
        stats.splice(0, packed.entries);
        if (stats.length > 0) break; // full
      }
      if (st.eof) break;
      if (!(await fetch(f, st, open.handle, dotu, stats))) st.eof = true;
    }
    if (used === 0 && stats.length > 0) throw protocolError('EINVAL', 'read', `count ${count} cannot hold one directory entry`);
    st.nextOffset += BigInt(used);
    const reply: FrameReply = { frame: finishData(buf, used) };
    if (release !== undefined) reply.release = release;
    return reply;
  } catch (e) {
    release?.();
    throw e;
  }
}
