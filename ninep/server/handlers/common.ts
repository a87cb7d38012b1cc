// Messages every dialect shares: auth, attach, flush, walk, read, write,
// clunk, remove. The per-dialect parts of read (directories) live in
// ext-u.ts; .L directories are read with Treaddir.

import { beginRread, finishData, DATA_REPLY_HEADER, QTDIR, type Qid } from '../../codec/index.js';
import { XATTR_CREATE, type Entry, type NodeId } from '../../../src/types.js';
import { attachCred } from '../creds.js';
import { followFile, nameBytes, releaseFid, type Fid, type NodeRefs } from '../fids.js';
import type { Hold } from '../limits.js';
import { qidOf } from '../qid.js';
import { protocolError } from '../replies.js';
import type { FrameReply, HandlerTable, Msg, Reply, RequestContext } from './types.js';
import { readDirStats } from './dir-stats.js';
import { followName } from './follow-name.js';
import { afterRead, takeReadAhead } from './read-ahead.js';

/** XATTR_SIZE_MAX of Linux: no value is larger. */
export const XATTR_SIZE_MAX = 65536;

const DOTDOT = Buffer.from('..');
const DOT = Buffer.from('.');

/** A fid that is neither open nor an xattr fid (walk(5): "must not have been opened"). */
export function plainFid(ctx: RequestContext, fid: number, op: string): Fid {
  const f = ctx.session.fids.get(fid, op);
  if (f.open !== undefined || f.xattr !== undefined) throw protocolError('EBUSY', op, `fid ${fid} is open`);
  if (f.busy !== undefined) throw protocolError('EBUSY', op, `fid ${fid} is busy with ${f.busy}`);
  return f;
}

export function dirFid(ctx: RequestContext, fid: number, op: string): Fid {
  const f = plainFid(ctx, fid, op);
  if (f.qid.type !== QTDIR) throw protocolError('ENOTDIR', op, `fid ${fid} is not a directory`);
  return f;
}

/**
 * Runs `open` with one open-file slot taken (EMFILE past the connection's
 * limit, ENFILE past the server's): the slot goes into what `open` returns,
 * or back when it fails.
 */
export async function withOpenSlot<T>(ctx: RequestContext, op: string, open: (slot: Hold) => Promise<T>): Promise<T> {
  const slot = ctx.session.openSlot(op);
  try {
    return await open(slot);
  } catch (e) {
    slot.release();
    throw e;
  }
}

/**
 * The directory and name through which to act on a fid's file (remove,
 * rename). The name the fid was reached by comes first: of a hard-linked
 * file, the client means the name it walked. When that name no longer leads
 * to the fid's node (another client renamed the file or replaced the name),
 * the Vfs's record of where the node was last seen is used, and the fid
 * follows it. Either name is checked by a lookup first, since acting on a
 * stale name would hit a different file: ESTALE when neither leads to it.
 */
export async function nameInParent(f: Fid, refs: NodeRefs, op: string): Promise<{ parent: NodeId; name: Buffer }> {
  if (f.parent === undefined) {
    throw protocolError(f.node === f.exp.vfs.root ? 'EBUSY' : 'EINVAL', op, 'the fid has no known name (attach root or reached by "..")');
  }
  const walked = nameBytes(f);
  if (await leadsTo(f, f.parent, walked)) return { parent: f.parent, name: walked };
  const where = await f.exp.vfs.whereIs(f.node).catch(() => undefined);
  if (where === undefined || !(await leadsTo(f, where.parent, where.name))) {
    throw protocolError('ESTALE', op, 'the file has no name leading to it any more');
  }
  followFile(f, refs, where.parent, where.name);
  return where;
}

/** Whether `name` in `parent` is the fid's node now; lookup errors other than "not there" propagate. */
async function leadsTo(f: Fid, parent: NodeId, name: Buffer): Promise<boolean> {
  let e: Entry;
  try {
    e = await f.exp.vfs.lookup(f.cred, parent, name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ESTALE' || code === 'ENOTDIR') return false;
    throw err;
  }
  f.exp.vfs.forget(e.id, 1);
  return e.id === f.node;
}

/** Makes a fid of `node` for the session (the caller has taken the node reference). */
export function newFid(from: Fid, node: NodeId, qid: Qid, parent: NodeId | undefined, name: string): Fid {
  return { exp: from.exp, node, qid, parent, name, cred: from.cred, orclose: false };
}

/**
 * No authentication: Tauth is refused and attach works with any afid.
 * ENOENT is the errno that diod's client library (npc_auth) takes for
 * "authentication not required"; Linux never sends Tauth.
 */
async function auth(): Promise<Reply> {
  throw protocolError('ENOENT', 'auth', 'no authentication', 'authentication not required');
}

async function attach(ctx: RequestContext, msg: Msg<'Tattach'>): Promise<Reply> {
  const s = ctx.session;
  // afid is ignored: there is no authentication, and attach(5) lets a server
  // that needs none accept NOFID or anything else.
  s.fids.checkFree(msg.fid, 'attach');
  const exp = s.exportFor(msg.aname);
  if (exp === undefined) throw protocolError('ENOENT', 'attach', `no export named "${msg.aname}"`, `unknown aname "${msg.aname}"`);
  const cred = attachCred(s.options, msg.uname, 'n_uname' in msg ? msg.n_uname : undefined);
  const root = exp.vfs.root;
  const qid = qidOf(await exp.vfs.getattr(root));
  s.fids.checkFree(msg.fid, 'attach');
  s.fids.install(msg.fid, { exp, node: s.refs.share(exp, root), qid, parent: undefined, name: '/', cred, orclose: false }, 'attach');
  return { type: 'Rattach', qid };
}

async function flush(ctx: RequestContext, msg: Msg<'Tflush'>): Promise<Reply> {
  const old = ctx.session.running(msg.oldtag);
  if (old !== undefined && msg.oldtag !== ctx.tag) {
    old.abort();
    await old.done;
  }
  return { type: 'Rflush' };
}

/**
 * walk(5). One deviation: walk(5) wants an unopened fid, but diod's tools
 * (diodls -l) walk from their open directory fid and diod allows it, so an
 * open fid may be walked to a NEW fid (which starts unopened); walking an
 * open fid onto itself is refused with EBUSY. "." stays in place ("" and
 * "." never reach the Vfs, which takes only real names).
 */
async function walk(ctx: RequestContext, msg: Msg<'Twalk'>): Promise<Reply> {
  const s = ctx.session;
  const f = msg.newfid === msg.fid ? plainFid(ctx, msg.fid, 'walk') : s.fids.get(msg.fid, 'walk');
  if (f.xattr !== undefined) throw protocolError('EBUSY', 'walk', `fid ${msg.fid} is an xattr fid`);
  if (msg.newfid !== msg.fid) s.fids.checkFree(msg.newfid, 'walk');
  // A clone is how the Linux client starts every open of a dentry it holds.
  if (msg.wname.length === 0) await followName(f, s.refs, 'walk');
  const { exp } = f;
  const vfs = exp.vfs;
  let cur = s.refs.share(exp, f.node);
  let parent = f.parent === undefined ? undefined : s.refs.share(exp, f.parent);
  let name = f.name;
  let qid = f.qid;
  const wqid: Qid[] = [];
  try {
    for (const wname of msg.wname) {
      if (wname.equals(DOT)) {
        wqid.push(qid);
        continue;
      }
      const up = wname.equals(DOTDOT);
      let e: Entry;
      try {
        e = up ? await vfs.parent(f.cred, cur) : await vfs.lookup(f.cred, cur, wname);
      } catch (err) {
        // walk(5): if the first element cannot be walked, Rerror; otherwise
        // Rwalk with the qids walked so far, and newfid is not affected.
        if (wqid.length === 0) throw err;
        break;
      }
      const next = s.refs.adopt(exp, e);
      if (parent !== undefined) s.refs.release(exp, parent);
      if (up) {
        s.refs.release(exp, cur);
        parent = undefined;
      } else {
        parent = cur;
      }
      cur = next;
      name = up ? '..' : wname.toString('latin1');
      qid = qidOf(e.attr);
      wqid.push(qid);
    }
  } catch (err) {
    s.refs.release(exp, cur);
    if (parent !== undefined) s.refs.release(exp, parent);
    throw err;
  }
  if (wqid.length < msg.wname.length) {
    s.refs.release(exp, cur);
    if (parent !== undefined) s.refs.release(exp, parent);
    return { type: 'Rwalk', wqid };
  }
  let old: Fid | undefined;
  try {
    old = s.fids.install(msg.newfid, newFid(f, cur, qid, parent, name), 'walk', msg.newfid === msg.fid ? f : undefined);
  } catch (err) {
    s.refs.release(exp, cur);
    if (parent !== undefined) s.refs.release(exp, parent);
    throw err;
  }
  if (old !== undefined) await releaseFid(old, s.refs);
  return { type: 'Rwalk', wqid };
}

async function read(ctx: RequestContext, msg: Msg<'Tread'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.get(msg.fid, 'read');
  const count = Math.min(msg.count, s.msize - DATA_REPLY_HEADER);
  if (f.xattr !== undefined) {
    if (f.xattr.kind !== 'read') throw protocolError('EBADF', 'read', 'xattr fid is for writing');
    const data = f.xattr.data;
    const at = msg.offset > BigInt(data.length) ? data.length : Number(msg.offset);
    return { type: 'Rread', data: data.subarray(at, Math.min(data.length, at + count)) };
  }
  const open = f.open;
  if (open === undefined) throw protocolError('EBADF', 'read', `fid ${msg.fid} is not open`);
  if (open.kind === 'dir') {
    if (ctx.dialect === '9P2000.L') throw protocolError('EISDIR', 'read', 'use Treaddir');
    return readDirStats(ctx, f, open, msg.offset, count);
  }
  if (open.kind !== 'file') throw protocolError('EINVAL', 'read', 'nothing to read');
  const early = await takeReadAhead(open, ctx.tag, msg.offset, count);
  if (early !== undefined) {
    afterRead(s, f, open, msg.offset, count, early.frame.length - DATA_REPLY_HEADER);
    return early;
  }
  const { buf, release } = s.dataBuffer(DATA_REPLY_HEADER + count);
  try {
    const slot = beginRread(buf, ctx.tag);
    const n = await f.exp.vfs.read(open.handle, msg.offset, slot.subarray(0, count));
    const reply: FrameReply = { frame: finishData(buf, n) };
    if (release !== undefined) reply.release = release;
    afterRead(s, f, open, msg.offset, count, n);
    return reply;
  } catch (e) {
    release?.();
    throw e;
  }
}

async function write(ctx: RequestContext, msg: Msg<'Twrite'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'write');
  const x = f.xattr;
  if (x !== undefined) {
    if (x.kind !== 'write') throw protocolError('EBADF', 'write', 'xattr fid is for reading');
    if (msg.offset + BigInt(msg.data.length) > BigInt(x.size)) throw protocolError('ERANGE', 'write', 'beyond the announced xattr size');
    const end = Number(msg.offset) + msg.data.length;
    if (end > x.value.length) x.value = grown(x.value, end, x.size);
    msg.data.copy(x.value, Number(msg.offset));
    x.written += msg.data.length;
    return { type: 'Rwrite', count: msg.data.length };
  }
  const open = f.open;
  if (open?.kind !== 'file') throw protocolError('EBADF', 'write', `fid ${msg.fid} is not an open file`);
  const count = await f.exp.vfs.write(open.handle, msg.offset, msg.data);
  return { type: 'Rwrite', count };
}

/** A copy of `buf` with room for `need` bytes: doubled, up to `max`, so a value sent in pieces is copied few times. */
function grown(buf: Buffer, need: number, max: number): Buffer {
  const next = Buffer.alloc(Math.min(max, Math.max(need, buf.length * 2)));
  buf.copy(next);
  return next;
}

/**
 * An xattr fid made by Txattrcreate takes effect at clunk (as Linux and
 * QEMU do it). Linux removes an attribute with xattrcreate of size 0 (its
 * removexattr is a set of NULL with XATTR_REPLACE), so size 0 without
 * XATTR_CREATE removes; QEMU does the same.
 */
async function commitXattr(f: Fid): Promise<void> {
  const x = f.xattr;
  if (x?.kind !== 'write') return;
  if (x.written !== x.size) throw protocolError('EINVAL', 'clunk', `xattr value of ${x.size} bytes got ${x.written}`);
  const vfs = f.exp.vfs;
  if (x.size === 0 && (x.flags & XATTR_CREATE) === 0) await vfs.removexattr(f.cred, f.node, x.name);
  // Overlapping writes may have counted the size without filling the buffer: the rest is zeros.
  else await vfs.setxattr(f.cred, f.node, x.name, x.value.length === x.size ? x.value : grown(x.value, x.size, x.size), x.flags);
}

/** Unlinks the file a fid names (a directory with rmdir). */
async function removeNamed(f: Fid, refs: NodeRefs): Promise<void> {
  const { parent, name } = await nameInParent(f, refs, 'remove');
  if (f.qid.type === QTDIR) await f.exp.vfs.rmdir(f.cred, parent, name);
  else await f.exp.vfs.unlink(f.cred, parent, name);
}

async function clunk(ctx: RequestContext, msg: Msg<'Tclunk'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.delete(msg.fid);
  if (f === undefined) throw protocolError('EBADF', 'clunk', `fid ${msg.fid} unknown`);
  try {
    await commitXattr(f);
    // open(5) ORCLOSE: "remove the file when the fid is clunked".
    if (f.orclose) await removeNamed(f, s.refs);
  } finally {
    await releaseFid(f, s.refs);
  }
  return { type: 'Rclunk' };
}

async function remove(ctx: RequestContext, msg: Msg<'Tremove'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.delete(msg.fid);
  if (f === undefined) throw protocolError('EBADF', 'remove', `fid ${msg.fid} unknown`);
  // remove(5): "The fid is clunked even if the remove fails."
  try {
    await removeNamed(f, s.refs);
  } finally {
    await releaseFid(f, s.refs);
  }
  return { type: 'Rremove' };
}

export const COMMON_HANDLERS: HandlerTable = {
  Tauth: auth,
  Tattach: attach,
  Tflush: flush,
  Twalk: walk,
  Tread: read,
  Twrite: write,
  Tclunk: clunk,
  Tremove: remove,
};
