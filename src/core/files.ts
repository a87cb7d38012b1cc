// open, create, read, write, fsync, release and byte-range locks.

import { vfsError } from '../errors.js';
import type { Attr, Cred, Entry, HandleId, NodeId } from '../types.js';
import type { LockConflict, LockQuota, LockRange } from '../vfs.js';
import type { CoreContext, Stated } from './context.js';
import type { FileHandle } from '../handles.js';
import type { Node } from '../nodes.js';
import type { HostStat } from '../host/stat.js';
import { setidToClear } from './host-limits.js';
import { undoCreate } from './undo.js';
import { fallocateArgs, fallocateFd, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../host/fallocate.js';
import { requireAccess } from './permissions.js';
import { SEEK_DATA, SEEK_HOLE } from '../host/times.js';
import { O_ACCMODE, O_APPEND, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL, O_EXEC_OPEN, O_SYNC, O_TRUNC, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID } from '../types.js';

/**
 * access(2) bits an open needs: read and/or write, and write for O_TRUNC;
 * an open for execution (__FMODE_EXEC, read-only) needs execute, not read,
 * as execve(2) does.
 */
function openMask(flags: number): number {
  const acc = flags & O_ACCMODE;
  let mask = acc === 0 ? (flags & O_EXEC_OPEN ? 1 : 4) : acc === 1 ? 2 : 6;
  if (flags & O_TRUNC) mask |= 2;
  return mask;
}

/**
 * Opens without O_TRUNC are answered synchronously (one open(2) of an
 * inode already resolved: no thread-pool round trip, no promise per
 * layer); O_TRUNC may free blocks and tell the store, so it stays async.
 */
export function open(ctx: CoreContext, cred: Cred, id: NodeId, flags: number): HandleId | Promise<HandleId> {
  if (!(flags & O_TRUNC)) return openStated(ctx, cred, id, flags).handle;
  const node = ctx.node(id);
  return ctx.nodes.withFd(node, async (fd) => {
    checkOpen(ctx, cred, node, ctx.statFd(node, fd), flags);
    // O_TRUNC empties the file: a store that accounts space hears of it.
    const reopen = () => ctx.host.reopen(fd, flags);
    const io = ctx.store.resize !== undefined ? await ctx.store.resize(fd, () => 0n, reopen) : await reopen();
    // The setuid/setgid an O_TRUNC by anyone but root clears are the caller's (Core.open) to clear.
    return ctx.handles.addFile(node, io, flags, cred).id;
  });
}

/**
 * An open without O_TRUNC, with the attributes its stat found: by name when
 * the table can (one open and stat of the file), else by reopening the
 * node's descriptor.
 */
export function openStated(ctx: CoreContext, cred: Cred, id: NodeId, flags: number): { handle: HandleId; attr: Attr } {
  const node = ctx.node(id);
  const byName = ctx.nodes.openByName(node, flags);
  if (byName !== undefined) {
    let s: Stated;
    try {
      s = ctx.stated(node, byName.st);
      checkOpen(ctx, cred, node, s, flags);
    } catch (e) {
      ctx.host.close(byName.fd);
      throw e;
    }
    return { handle: ctx.handles.addFile(node, byName.fd, flags, cred).id, attr: s.attr };
  }
  return ctx.nodes.withFdSync(node, (fd) => {
    const s = ctx.statFd(node, fd);
    const st = checkOpen(ctx, cred, node, s, flags);
    return { handle: ctx.handles.addFile(node, ctx.host.reopenSync(fd, flags, st), flags, cred).id, attr: s.attr };
  });
}

/** What may not be opened at all, and permissions, from the node's stat `s`; returns its host stat. */
function checkOpen(ctx: CoreContext, cred: Cred, node: Node, s: Stated, flags: number): HostStat {
  const type = s.v.mode & S_IFMT;
  if (type === S_IFDIR) throw vfsError('EISDIR', 'open');
  if (flags & O_DIRECTORY) throw vfsError('ENOTDIR', 'open');
  if (type === S_IFLNK) throw vfsError('ELOOP', 'open');
  // Devices, FIFOs and sockets (real, or humfs placeholders) are never opened.
  if (type !== S_IFREG || node.hostType !== S_IFREG) throw vfsError('ENXIO', 'open');
  if (ctx.checkPermissions) requireAccess(cred, s.v, openMask(flags), 'open');
  return s.st;
}

/**
 * Whether a change of the contents through `h` may have setuid/setgid to
 * clear: its opener is not root and its node had them when last stated.
 * Cheap, so every write asks.
 */
function mustClearSetid(h: FileHandle): boolean {
  return h.node.setid === true && h.cred.uid !== 0;
}

/** Whether a write of `length` bytes through `handle` must first clear setuid/setgid (false for bad handles: the write reports them). */
export function writeClearsSetid(ctx: CoreContext, handle: HandleId, length: number): boolean {
  const h = ctx.handles.peekFile(handle);
  return h !== undefined && length > 0 && (h.flags & O_ACCMODE) !== 0 && mustClearSetid(h);
}

/**
 * Clears setuid and setgid (setidToClear) of the file `handle` is open
 * on, as Linux does before a write by a caller without CAP_FSETID:
 * the server writes with its own ids, so the host would not. A file whose
 * name was removed through the Vfs has no record a humfs store can change:
 * it is left as it is, with a warning.
 */
export async function clearSetidOf(ctx: CoreContext, handle: HandleId): Promise<boolean> {
  return clearSetid(ctx, ctx.handles.file(handle));
}

/** True when bits were cleared. */
async function clearSetid(ctx: CoreContext, h: FileHandle): Promise<boolean> {
  return ctx.handles.use(h, async (fd) => {
    const s = ctx.statFd(h.node, fd);
    const clear = setidToClear(s.v.mode, { cred: h.cred, gid: s.v.gid });
    if (clear === 0) return false;
    try {
      await ctx.store.setattr(ctx.entry(h.node, fd, s.st), { mode: s.v.mode & 0o7777 & ~clear });
    } catch (e) {
      if (!h.node.detached) throw e;
      ctx.log.warn(`write: setuid/setgid left on a file whose name was removed: ${String(e)}`);
      return false;
    }
    h.node.setid = false;
    return true;
  });
}

/** Owner and group of a new entry: the caller's, or the setgid directory's group. */
export function newOwner(cred: Cred, dirMode: number, dirGid: number): { uid: number; gid: number; setgid: boolean } {
  const setgid = (dirMode & S_ISGID) !== 0;
  return { uid: cred.uid, gid: setgid ? dirGid : cred.gid, setgid };
}

export async function create(
  ctx: CoreContext,
  cred: Cred,
  parentId: NodeId,
  name: Buffer,
  flags: number,
  mode: number,
): Promise<{ entry: Entry; handle: HandleId }> {
  ctx.checkName(name, 'create');
  const parent = ctx.node(parentId);
  const made = await ctx.inDir(cred, parent, 1, 'create', async (dirfd, dir) => {
    // An existing name is opened (open(2) needs only search permission on
    // the directory then); creating needs write permission too.
    if (!(flags & O_EXCL) && ctx.host.lstatAtMaybe(dirfd, name) !== null) return null;
    if (ctx.checkPermissions) requireAccess(cred, dir.v, 3, 'create');
    ctx.limits.checkMode(S_IFREG | (mode & 0o7777), ctx.limits.hostOwnerOf(cred.uid), 'create');
    // The new file's owner is worked out before it exists (it reads the directory's record).
    const owner = newOwner(cred, dir.v.mode, dir.v.gid);
    let io: number;
    try {
      io = await ctx.host.createAt(dirfd, name, flags, mode);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST' || (flags & O_EXCL)) throw e;
      return null;
    }
    let ref: NodeId | undefined;
    let made: { dev: bigint; ino: bigint } | null = null;
    try {
      const st = ctx.host.fstat(io);
      made = st;
      await ctx.store.created(ctx.childEntry(parent, name, io, st), { mode: S_IFREG | (mode & 0o7777), uid: owner.uid, gid: owner.gid, rdev: 0n });
      const entry = ctx.lookupIn(parent, dirfd, name);
      ref = entry.id;
      const node = ctx.node(entry.id);
      // Another request may have replaced or removed the name meanwhile.
      if (node.dev !== st.dev || node.ino !== st.ino) throw vfsError('ESTALE', 'create');
      const attr = ctx.statFd(node, io).attr;
      if (flags & O_TRUNC) flags &= ~O_TRUNC;
      // Last: from here on the handle owns the descriptor.
      const handle = ctx.handles.addFile(node, io, flags, cred).id;
      return { entry: { id: entry.id, attr }, handle };
    } catch (e) {
      if (ref !== undefined) ctx.unref(ref);
      await ctx.host.closeAsync(io);
      // The file was made by this call (O_EXCL, or the name was free): take it back.
      if (made !== null) await undoCreate(ctx, parent, dirfd, name, made, 'create');
      throw e;
    }
  });
  if (made !== null) return made;
  // The name exists and O_EXCL was not asked: open it as open(2) would.
  const entry = await ctx.inDir(cred, parent, 1, 'create', (dirfd) => ctx.lookupIn(parent, dirfd, name));
  try {
    const handle = await open(ctx, cred, entry.id, flags);
    return { entry: { id: entry.id, attr: await fresh(ctx, entry.id, handle) }, handle };
  } catch (e) {
    ctx.unref(entry.id);
    throw e;
  }
}

async function fresh(ctx: CoreContext, id: NodeId, handle: HandleId): Promise<import('../types.js').Attr> {
  const h = ctx.handles.file(handle, id);
  return ctx.statFd(h.node, h.fd).attr;
}

/**
 * Reads up to this size run on the calling thread: from the page cache a
 * pread(2) of 64 KiB takes microseconds, a thread-pool round trip two
 * thread wake-ups (which, on a busy machine, cost far more than the copy).
 * A read that must wait for the disk then holds up the other requests
 * for that time; larger reads, which are worth reading ahead, stay async.
 */
export const SYNC_READ_MAX = 64 * 1024;

export function read(ctx: CoreContext, handle: HandleId, offset: bigint, into: Buffer): number | Promise<number> {
  const h = ctx.handles.file(handle);
  if ((h.flags & O_ACCMODE) === 1) throw vfsError('EBADF', 'read');
  if (into.length === 0) return 0;
  // Sync: nothing else runs while the descriptor is in use, so no busy count is needed.
  if (into.length <= SYNC_READ_MAX) return ctx.host.readSync(h.fd, into, offset);
  return ctx.handles.use(h, (fd) => ctx.host.read(fd, into, offset));
}

/**
 * Writes up to this size run on the calling thread too, as reads do
 * (SYNC_READ_MAX): a pwrite(2) into the page cache takes microseconds.
 * Not for descriptors that wait for the disk on every write (O_SYNC,
 * O_DSYNC, O_DIRECT), nor for stores that account space (humfs).
 */
export const SYNC_WRITE_MAX = 64 * 1024;
const WAITS_FOR_DISK = O_SYNC | O_DSYNC | O_DIRECT;

export function write(ctx: CoreContext, handle: HandleId, offset: bigint, data: Buffer): number | Promise<number> {
  const h = ctx.handles.file(handle);
  if ((h.flags & O_ACCMODE) === 0) throw vfsError('EBADF', 'write');
  if (data.length === 0) return 0;
  h.written = true;
  // An O_APPEND descriptor makes pwrite(2) append on Linux, whatever the offset.
  const put = () => ctx.host.write(h.fd, data, offset);
  if (ctx.store.resize === undefined) {
    // Sync: nothing else runs while the descriptor is in use, so no busy count is needed.
    if (data.length <= SYNC_WRITE_MAX && (h.flags & WAITS_FOR_DISK) === 0) return ctx.host.writeSync(h.fd, data, offset);
    return ctx.handles.use(h, put);
  }
  const len = BigInt(data.length);
  const end = offset + len;
  const resize = ctx.store.resize.bind(ctx.store);
  return ctx.handles.use(h, (fd) => resize(fd, (size) => (h.flags & O_APPEND ? size + len : end > size ? end : size), put));
}

export async function fsync(ctx: CoreContext, handle: HandleId, datasync: boolean): Promise<void> {
  const h = ctx.handles.file(handle);
  await ctx.handles.use(h, (fd) => ctx.host.fsync(fd, datasync));
}

/** See Vfs.seek. */
export async function seek(ctx: CoreContext, handle: HandleId, offset: bigint, whence: 'data' | 'hole'): Promise<bigint> {
  const h = ctx.handles.file(handle);
  return ctx.handles.use(h, (fd) => ctx.host.seek(fd, offset, whence === 'data' ? SEEK_DATA : SEEK_HOLE));
}

/** See Vfs.hostDescriptor. */
export function hostDescriptor(ctx: CoreContext, handle: HandleId): number | null {
  const h = ctx.handles.peekFile(handle);
  // Decided per file, not per handle: a kernel that passes one handle of a file through wants every other one to.
  if (h === undefined || ctx.store.resize !== undefined || h.node.setid === true) return null;
  return h.fd;
}

export async function release(ctx: CoreContext, handle: HandleId): Promise<void> {
  const h = ctx.handles.file(handle);
  ctx.handles.remove(handle);
  ctx.locks.releaseHandle(handle);
  await ctx.handles.drained(h);
  // The last open file of a file with no name left: the host frees it on this close.
  const st = ctx.store.closedUnlinked !== undefined && h.node.opens === 0 ? ctx.host.fstat(h.fd) : null;
  // A descriptor nothing was written through has nothing to write back on close: closed at once
  // (an empty file made by a create, a read-only open), without a thread-pool round trip.
  if ((h.flags & O_ACCMODE) === 0 || !h.written) ctx.host.close(h.fd);
  else await ctx.host.closeAsync(h.fd);
  if (st !== null && st.nlink === 0 && h.node.opens === 0) ctx.store.closedUnlinked?.(st);
  ctx.nodes.maybeDrop(h.node);
}

function checkLock(lock: LockRange): void {
  if (lock.start < 0n || lock.length < 0n) throw vfsError('EINVAL', 'lock');
  if (lock.type !== 'read' && lock.type !== 'write' && lock.type !== 'unlock') throw vfsError('EINVAL', 'lock');
}

export async function setlk(ctx: CoreContext, handle: HandleId, owner: string, lock: LockRange, quota?: LockQuota): Promise<boolean> {
  const h = ctx.handles.file(handle);
  checkLock(lock);
  // fcntl(2): a read lock needs a readable descriptor, a write lock a writable one.
  const acc = h.flags & O_ACCMODE;
  if (lock.type === 'read' && acc === 1 && lock.flock !== true) throw vfsError('EBADF', 'setlk');
  if (lock.type === 'write' && acc === 0 && lock.flock !== true) throw vfsError('EBADF', 'setlk');
  if (quota !== undefined && (!Number.isInteger(quota.max) || quota.max < 0)) throw vfsError('EINVAL', 'setlk', 'bad lock quota');
  return ctx.locks.set(h.node.id, owner, handle, lock, quota);
}

export async function getlk(ctx: CoreContext, handle: HandleId, owner: string, lock: LockRange): Promise<LockConflict | null> {
  const h = ctx.handles.file(handle);
  checkLock(lock);
  return ctx.locks.test(h.node.id, owner, lock);
}

/**
 * setlk that waits (F_SETLKW): tries again each time a range may have been
 * freed, through any handle of this Vfs. True when granted, false when
 * `signal` aborted first; errors as setlk (EBADF once the handle is released).
 */
export async function setlkw(
  ctx: CoreContext,
  handle: HandleId,
  owner: string,
  lock: LockRange,
  signal: AbortSignal,
  quota?: LockQuota,
): Promise<boolean> {
  for (;;) {
    // Registered before the try, so a release in between is not missed.
    const w = ctx.locks.waiters.waiter(signal);
    let granted: boolean;
    try {
      granted = await setlk(ctx, handle, owner, lock, quota);
    } catch (e) {
      w.cancel();
      throw e;
    }
    if (granted || signal.aborted) {
      w.cancel();
      return granted;
    }
    await w.woken;
    if (signal.aborted) return false;
  }
}

/**
 * fallocate(2) through `handle` (mode: FALLOC_FL_* bits), as a write for
 * what it needs: a writable handle. Growing the file (mode 0 or
 * INSERT_RANGE) and shrinking it (COLLAPSE_RANGE) go through the store's
 * space accounting as a write would.
 */
export async function fallocate(ctx: CoreContext, handle: HandleId, mode: number, offset: bigint, length: bigint): Promise<void> {
  const h = ctx.handles.file(handle);
  if ((h.flags & O_ACCMODE) === 0) throw vfsError('EBADF', 'fallocate');
  if (offset < 0n || length <= 0n) throw vfsError('EINVAL', 'fallocate');
  // Reject unknown bits before any child is started.
  fallocateArgs(mode, offset, length);
  h.written = true;
  const run = (fd: number) => fallocateFd(ctx.host, fd, mode, offset, length);
  const resize = ctx.store.resize?.bind(ctx.store);
  if (resize === undefined) return ctx.handles.use(h, run);
  const newSize = (size: bigint): bigint => {
    if (mode & FALLOC_FL_INSERT_RANGE) return size + length;
    if (mode & FALLOC_FL_COLLAPSE_RANGE) return size - length;
    if (mode & (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return size;
    return offset + length > size ? offset + length : size;
  };
  return ctx.handles.use(h, (fd) => resize(fd, newSize, () => run(fd)));
}
