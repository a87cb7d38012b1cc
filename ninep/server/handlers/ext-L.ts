// 9P2000.L: the Linux-VFS-shaped messages (include/net/9p/9p.h; diod's
// protocol.md documents the same). Flags and modes are Linux values; every
// failure is an Rlerror with a Linux errno (replies.ts).

import {
  DATA_REPLY_HEADER,
  P9_DOTL_AT_REMOVEDIR,
  P9_GETATTR_BASIC,
  P9_GETATTR_BTIME,
  P9_GETATTR_GEN,
  P9_SETATTR_ATIME,
  P9_SETATTR_ATIME_SET,
  P9_SETATTR_GID,
  P9_SETATTR_MODE,
  P9_SETATTR_MTIME,
  P9_SETATTR_MTIME_SET,
  P9_SETATTR_SIZE,
  P9_SETATTR_UID,
  QTDIR,
  beginRreaddir,
  dotlToLinuxFlags,
  finishData,
  packDirents,
  type Dirent,
} from '../../codec/index.js';
import { NS_PER_SEC, O_ACCMODE, O_CREAT, O_EXCL, O_RDONLY, makedev, splitNs, type Attr, type SetAttr } from '../../../src/types.js';
import { withGid } from '../creds.js';
import { changeFid, followFile, handleOf, releaseFid, releaseOpen, type Fid, type OpenState } from '../fids.js';
import { qidOf, qidTypeOfDtype } from '../qid.js';
import { protocolError } from '../replies.js';
import { dirFid, nameInParent, newFid, plainFid, withOpenSlot, XATTR_SIZE_MAX } from './common.js';
import { attrFollowingName, followName } from './follow-name.js';
import { LOCK_HANDLERS } from './locks.js';
import type { FrameReply, HandlerTable, Msg, Reply, RequestContext } from './types.js';

async function statfs(ctx: RequestContext, msg: Msg<'Tstatfs'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'statfs');
  const st = await f.exp.vfs.statfs(f.node);
  return {
    type: 'Rstatfs',
    fs_type: st.type >>> 0,
    bsize: st.bsize,
    blocks: st.blocks,
    bfree: st.bfree,
    bavail: st.bavail,
    files: st.files,
    ffree: st.ffree,
    fsid: st.fsid,
    namelen: st.namelen,
  };
}

async function lopen(ctx: RequestContext, msg: Msg<'Tlopen'>): Promise<Reply> {
  const f = plainFid(ctx, msg.fid, 'lopen');
  const vfs = f.exp.vfs;
  const ledger = ctx.session.refs.ledger(f.exp);
  const flags = dotlToLinuxFlags(msg.flags) & ~(O_CREAT | O_EXCL);
  const dir = f.qid.type === QTDIR;
  if (dir && (flags & O_ACCMODE) !== O_RDONLY) throw protocolError('EISDIR', 'lopen', 'directories open for reading only');
  // A file's open answers its attributes too (the qid); a directory's is asked after.
  let attr: Attr | undefined;
  f.open = await changeFid(
    f,
    'lopen',
    () =>
      withOpenSlot(ctx, 'lopen', async (slot): Promise<OpenState> => {
        if (dir) return { kind: 'dir', handle: await ledger.opendir(f.cred, f.node), slot };
        const got = await ledger.openWithAttr(f.cred, f.node, flags);
        attr = got.attr;
        return { kind: 'file', handle: got.handle, flags, slot };
      }),
    (open) => releaseOpen(ledger, open),
  );
  f.qid = qidOf(attr ?? (await vfs.getattr(f.node, handleOf(f))));
  return { type: 'Rlopen', qid: f.qid, iounit: ctx.session.iounit };
}

async function lcreate(ctx: RequestContext, msg: Msg<'Tlcreate'>): Promise<Reply> {
  const s = ctx.session;
  const f = dirFid(ctx, msg.fid, 'lcreate');
  const flags = dotlToLinuxFlags(msg.flags) | O_CREAT;
  const ledger = s.refs.ledger(f.exp);
  const { entry, handle, slot } = await changeFid(
    f,
    'lcreate',
    () =>
      withOpenSlot(ctx, 'lcreate', async (slot) => {
        const made = await f.exp.vfs.create(withGid(f.cred, msg.gid, s.options), f.node, msg.name, flags, msg.mode & 0o7777);
        ledger.opened(made.handle, 'file');
        return { ...made, slot };
      }),
    async (made) => {
      await releaseOpen(ledger, { kind: 'file', handle: made.handle, flags, slot: made.slot });
      f.exp.vfs.forget(made.entry.id, 1);
    },
  );
  // The fid now stands for the new, open file; the directory becomes its parent.
  const node = s.refs.adopt(f.exp, entry);
  if (f.parent !== undefined) s.refs.release(f.exp, f.parent);
  f.parent = f.node;
  f.node = node;
  f.name = msg.name.toString('latin1');
  f.qid = qidOf(entry.attr);
  f.open = { kind: 'file', handle, flags, slot };
  return { type: 'Rlcreate', qid: f.qid, iounit: s.iounit };
}

async function symlink(ctx: RequestContext, msg: Msg<'Tsymlink'>): Promise<Reply> {
  const f = dirFid(ctx, msg.fid, 'symlink');
  const e = await f.exp.vfs.symlink(withGid(f.cred, msg.gid, ctx.session.options), f.node, msg.name, msg.symtgt);
  f.exp.vfs.forget(e.id, 1);
  return { type: 'Rsymlink', qid: qidOf(e.attr) };
}

async function mknod(ctx: RequestContext, msg: Msg<'Tmknod'>): Promise<Reply> {
  const f = dirFid(ctx, msg.dfid, 'mknod');
  const e = await f.exp.vfs.mknod(withGid(f.cred, msg.gid, ctx.session.options), f.node, msg.name, msg.mode, makedev(msg.major, msg.minor));
  f.exp.vfs.forget(e.id, 1);
  return { type: 'Rmknod', qid: qidOf(e.attr) };
}

async function mkdir(ctx: RequestContext, msg: Msg<'Tmkdir'>): Promise<Reply> {
  const f = dirFid(ctx, msg.dfid, 'mkdir');
  const e = await f.exp.vfs.mkdir(withGid(f.cred, msg.gid, ctx.session.options), f.node, msg.name, msg.mode & 0o7777);
  f.exp.vfs.forget(e.id, 1);
  return { type: 'Rmkdir', qid: qidOf(e.attr) };
}

async function rename(ctx: RequestContext, msg: Msg<'Trename'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.get(msg.fid, 'rename');
  const d = dirFid(ctx, msg.dfid, 'rename');
  if (d.exp !== f.exp) throw protocolError('EXDEV', 'rename', 'across exports');
  const { parent, name } = await nameInParent(f, s.refs, 'rename');
  await f.exp.vfs.rename(f.cred, parent, name, d.node, msg.name, 0);
  followFile(f, s.refs, d.node, msg.name);
  return { type: 'Rrename' };
}

async function renameat(ctx: RequestContext, msg: Msg<'Trenameat'>): Promise<Reply> {
  const from = dirFid(ctx, msg.olddirfid, 'renameat');
  const to = dirFid(ctx, msg.newdirfid, 'renameat');
  if (from.exp !== to.exp) throw protocolError('EXDEV', 'renameat', 'across exports');
  await from.exp.vfs.rename(from.cred, from.node, msg.oldname, to.node, msg.newname, 0);
  return { type: 'Rrenameat' };
}

async function unlinkat(ctx: RequestContext, msg: Msg<'Tunlinkat'>): Promise<Reply> {
  const d = dirFid(ctx, msg.dirfd, 'unlinkat');
  if (msg.flags & P9_DOTL_AT_REMOVEDIR) await d.exp.vfs.rmdir(d.cred, d.node, msg.name);
  else await d.exp.vfs.unlink(d.cred, d.node, msg.name);
  return { type: 'Runlinkat' };
}

async function readlink(ctx: RequestContext, msg: Msg<'Treadlink'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'readlink');
  return { type: 'Rreadlink', target: await f.exp.vfs.readlink(f.node) };
}

/**
 * Rgetattr: the server may fill more than asked (diod protocol.md: "valid
 * ... may include more than requested"), so every field we have is sent:
 * the basic set, gen, and btime when the host knows it. data_version is
 * not tracked and never marked valid.
 */
async function getattr(ctx: RequestContext, msg: Msg<'Tgetattr'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'getattr');
  const a = await attrFollowingName(f, ctx.session.refs, 'getattr');
  const [atime_sec, atime_nsec] = splitNs(a.atime);
  const [mtime_sec, mtime_nsec] = splitNs(a.mtime);
  const [ctime_sec, ctime_nsec] = splitNs(a.ctime);
  const [btime_sec, btime_nsec] = splitNs(a.btime);
  const valid = P9_GETATTR_BASIC | P9_GETATTR_GEN | (a.btime > 0n ? P9_GETATTR_BTIME : 0n);
  f.qid = qidOf(a);
  return {
    type: 'Rgetattr',
    valid,
    qid: f.qid,
    mode: a.mode,
    uid: a.uid,
    gid: a.gid,
    nlink: BigInt(a.nlink),
    rdev: a.rdev,
    size: a.size,
    blksize: BigInt(a.blksize),
    blocks: a.blocks,
    atime_sec,
    atime_nsec,
    mtime_sec,
    mtime_nsec,
    ctime_sec,
    ctime_nsec,
    btime_sec,
    btime_nsec,
    gen: BigInt(a.gen >>> 0),
    data_version: 0n,
  };
}

/**
 * Tsetattr valid bits (Linux fs/9p/vfs_inode_dotl.c): ATIME/MTIME alone mean
 * "set to now"; with ATIME_SET/MTIME_SET the given time is used. CTIME is
 * set by the host as a side effect of any change and cannot be given.
 */
async function setattr(ctx: RequestContext, msg: Msg<'Tsetattr'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'setattr');
  await followName(f, ctx.session.refs, 'setattr');
  const v = msg.valid;
  const set: SetAttr = {};
  if (v & P9_SETATTR_MODE) set.mode = msg.mode & 0o7777;
  if (v & P9_SETATTR_UID) set.uid = msg.uid;
  if (v & P9_SETATTR_GID) set.gid = msg.gid;
  if (v & P9_SETATTR_SIZE) set.size = msg.size;
  if (v & P9_SETATTR_ATIME) set.atime = v & P9_SETATTR_ATIME_SET ? msg.atime_sec * NS_PER_SEC + msg.atime_nsec : 'now';
  if (v & P9_SETATTR_MTIME) set.mtime = v & P9_SETATTR_MTIME_SET ? msg.mtime_sec * NS_PER_SEC + msg.mtime_nsec : 'now';
  if (Object.keys(set).length > 0) await f.exp.vfs.setattr(f.cred, f.node, set, handleOf(f));
  return { type: 'Rsetattr' };
}

/** Txattrwalk: newfid reads the value of `name`, or the NUL-separated list of names when `name` is empty. */
async function xattrwalk(ctx: RequestContext, msg: Msg<'Txattrwalk'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.get(msg.fid, 'xattrwalk');
  if (msg.newfid !== msg.fid) s.fids.checkFree(msg.newfid, 'xattrwalk');
  const vfs = f.exp.vfs;
  let data: Buffer;
  if (msg.name === '') {
    const names = await vfs.listxattr(f.cred, f.node);
    data = Buffer.from(names.map((n) => `${n}\0`).join(''), 'utf8');
  } else {
    data = await vfs.getxattr(f.cred, f.node, msg.name);
  }
  // The value is read already; past the limit it is dropped at once.
  const hold = s.xattrHold(data.length, 'xattrwalk');
  const x: Fid = newFid(f, s.refs.share(f.exp, f.node), f.qid, undefined, f.name);
  x.xattr = { kind: 'read', data, hold };
  let old: Fid | undefined;
  try {
    old = s.fids.install(msg.newfid, x, 'xattrwalk', msg.newfid === msg.fid ? f : undefined);
  } catch (err) {
    hold.release();
    s.refs.release(f.exp, x.node);
    throw err;
  }
  if (old !== undefined) await releaseFid(old, s.refs);
  return { type: 'Rxattrwalk', size: BigInt(data.length) };
}

/** Txattrcreate: the fid becomes a write-only xattr fid; the value arrives by Twrite and is set at clunk. */
async function xattrcreate(ctx: RequestContext, msg: Msg<'Txattrcreate'>): Promise<Reply> {
  const f = plainFid(ctx, msg.fid, 'xattrcreate');
  if (msg.attr_size > BigInt(XATTR_SIZE_MAX)) throw protocolError('E2BIG', 'xattrcreate', `${msg.attr_size} bytes`);
  const size = Number(msg.attr_size);
  // The announced size is counted now; memory is taken only as Twrite brings data.
  const hold = ctx.session.xattrHold(size, 'xattrcreate');
  f.xattr = { kind: 'write', name: msg.name, size, flags: msg.flags, value: Buffer.alloc(0), written: 0, hold };
  return { type: 'Rxattrcreate' };
}

/**
 * Treaddir: entries after the VFS cookie `offset`, packed until the next
 * one would pass `count`; what did not fit is read again next time from
 * the last cookie sent.
 */
async function readdir(ctx: RequestContext, msg: Msg<'Treaddir'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.get(msg.fid, 'readdir');
  if (f.open?.kind !== 'dir') throw protocolError('EBADF', 'readdir', `fid ${msg.fid} is not an open directory`);
  const handle = f.open.handle;
  const count = Math.min(msg.count, s.msize - DATA_REPLY_HEADER);
  const { buf, release } = s.dataBuffer(DATA_REPLY_HEADER + count);
  try {
    const slot = beginRreaddir(buf, ctx.tag).subarray(0, count);
    let used = 0;
    let cookie = msg.offset;
    // An entry is 24 bytes + its name: ask for about what fits (each entry
    // costs the store an lstat), and for more while room is left.
    // At least one try: a count too small for any entry must answer EINVAL.
    while (used === 0 || count - used >= 25) {
      const want = Math.ceil((count - used) / 48) + 1;
      const batch = await f.exp.vfs.readdir(handle, cookie, want);
      if (batch.length === 0) break;
      const dirents: Dirent[] = batch.map((e) => ({
        qid: { type: qidTypeOfDtype(e.type), version: 0, path: e.ino },
        offset: e.cookie,
        type: e.type,
        name: e.name,
      }));
      const packed = packDirents(slot.subarray(used), dirents);
      // getdents(2): EINVAL when the buffer cannot hold the next entry (an
      // empty reply would read as the end of the directory).
      if (packed.entries === 0 && used === 0) throw protocolError('EINVAL', 'readdir', `count ${count} cannot hold the next entry`);
      used += packed.bytes;
      if (packed.entries === 0) break;
      cookie = (batch[packed.entries - 1] as { cookie: bigint }).cookie;
      if (packed.entries < batch.length) break;
    }
    const reply: FrameReply = { frame: finishData(buf, used) };
    if (release !== undefined) reply.release = release;
    return reply;
  } catch (e) {
    release?.();
    throw e;
  }
}

async function fsync(ctx: RequestContext, msg: Msg<'Tfsync'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'fsync');
  if (f.open?.kind === 'file') await f.exp.vfs.fsync(f.open.handle, msg.datasync !== 0);
  else if (f.open === undefined) throw protocolError('EBADF', 'fsync', `fid ${msg.fid} is not open`);
  return { type: 'Rfsync' };
}

async function link(ctx: RequestContext, msg: Msg<'Tlink'>): Promise<Reply> {
  const d = dirFid(ctx, msg.dfid, 'link');
  const f = ctx.session.fids.get(msg.fid, 'link');
  if (d.exp !== f.exp) throw protocolError('EXDEV', 'link', 'across exports');
  const e = await d.exp.vfs.link(d.cred, f.node, d.node, msg.name);
  d.exp.vfs.forget(e.id, 1);
  return { type: 'Rlink' };
}

export const L_HANDLERS: HandlerTable = {
  Tstatfs: statfs,
  Tlopen: lopen,
  Tlcreate: lcreate,
  Tsymlink: symlink,
  Tmknod: mknod,
  Tmkdir: mkdir,
  Trename: rename,
  Trenameat: renameat,
  Tunlinkat: unlinkat,
  Treadlink: readlink,
  Tgetattr: getattr,
  Tsetattr: setattr,
  Txattrwalk: xattrwalk,
  Txattrcreate: xattrcreate,
  Treaddir: readdir,
  Tfsync: fsync,
  Tlink: link,
  ...LOCK_HANDLERS,
};
