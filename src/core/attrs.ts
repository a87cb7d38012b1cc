// lookup, parent, whereIs, getattr, setattr, access, readlink, statfs.
//
// Times: set with utimensat(2) from the native addon, exact to the
// nanosecond, 'now' as UTIME_NOW and the time not being set as UTIME_OMIT
// (one call: nothing to race with). Without the addon, Node's utimes:
// exact to the microsecond (truncated), and the other time written back
// from a stat (src/host/times.ts).

import { VfsError, vfsError } from '../errors.js';
import type { HostStat } from '../host/stat.js';
import type { Attr, Cred, Entry, HandleId, NodeId, SetAttr, StatFs } from '../types.js';
import type { CoreContext } from './context.js';
import { setidToClear } from './host-limits.js';
import { allowed, requireAccess, requireChown, requireOwner, requireTimes } from './permissions.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../types.js';

/** Synchronous, as getattr: the two calls of every walk answer without promise hops of their own. */
export function lookup(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer): Entry {
  ctx.checkName(name, 'lookup');
  const parent = ctx.node(parentId);
  return ctx.inDirSync(cred, parent, 1, 'lookup', (dirfd) => ctx.lookupIn(parent, dirfd, name));
}

export async function parentOf(ctx: CoreContext, cred: Cred, dirId: NodeId): Promise<Entry> {
  const dir = ctx.node(dirId);
  if (dir.hostType !== S_IFDIR) throw vfsError('ENOTDIR', 'parent');
  const parent = ctx.node(dir.parent);
  return ctx.nodes.withFd(parent, (fd) => {
    const s = ctx.statFd(parent, fd);
    if (ctx.checkPermissions && parent !== ctx.nodes.root) requireAccess(cred, s.v, 1, 'parent');
    parent.refs++;
    return { id: parent.id, attr: s.attr };
  });
}

export function whereIs(ctx: CoreContext, id: NodeId): { parent: NodeId; name: Buffer } {
  const node = ctx.node(id);
  if (node === ctx.nodes.root) throw vfsError('EINVAL', 'whereIs', 'the root has no name');
  if (node.detached && !node.hostLost) throw vfsError('ESTALE', 'whereIs', 'its name was removed');
  return { parent: node.parent, name: Buffer.from(node.name) };
}

export function getattr(ctx: CoreContext, id: NodeId, handle?: HandleId): Attr {
  const node = ctx.node(id);
  if (handle !== undefined) {
    const h = ctx.handles.any(handle, id);
    return ctx.statFd(node, h.fd).attr;
  }
  return ctx.stat(node).attr;
}

/**
 * getattr of a node the table states by name (nodes.ts lstatOf: one lstat
 * in its parent, checked to be the same inode); undefined when the name
 * leads elsewhere or nowhere now, or the node is stated through a
 * descriptor (a directory, one removed through the Vfs).
 */
export function getattrByName(ctx: CoreContext, id: NodeId): Attr | undefined {
  const node = ctx.node(id);
  let st: HostStat | undefined;
  try {
    st = ctx.nodes.lstatOf(node);
  } catch (e) {
    if (e instanceof VfsError && e.code === 'ESTALE') return undefined;
    throw e;
  }
  return st === undefined ? undefined : ctx.stated(node, st).attr;
}

/**
 * access(2) is answered by the POSIX rules against the (virtual) owner and
 * mode whether or not checkPermissions is on: it is the question a client
 * asks explicitly, so there is nothing to leave to the client.
 */
export async function access(ctx: CoreContext, cred: Cred, id: NodeId, mask: number): Promise<void> {
  const node = ctx.node(id);
  const s = ctx.stat(node);
  if (!allowed(cred, s.v, mask)) throw vfsError('EACCES', 'access');
}

export async function readlink(ctx: CoreContext, id: NodeId): Promise<Buffer> {
  const node = ctx.node(id);
  if (node.hostType !== S_IFLNK) throw vfsError('EINVAL', 'readlink');
  // /proc/self/fd/<fd> of a symlink's descriptor reads as the proc link, not
  // the target, so the target is read by name in the parent and the name is
  // checked to still be this inode.
  if (node.detached) throw vfsError('ESTALE', 'readlink');
  const parent = ctx.node(node.parent);
  return ctx.nodes.withFd(parent, (pfd) => {
    const st = ctx.host.lstatAt(pfd, node.name);
    if (st.dev !== node.dev || st.ino !== node.ino) throw vfsError('ESTALE', 'readlink');
    return ctx.host.readlinkAt(pfd, node.name);
  });
}

export async function statfs(ctx: CoreContext, id: NodeId): Promise<StatFs> {
  const node = ctx.node(id);
  return ctx.nodes.withFd(node, async (fd) => {
    const s = await ctx.host.statfs(fd);
    const st = ctx.host.fstat(fd);
    // Node reports f_bsize (which is also the block unit on Linux local
    // filesystems) and neither f_namelen nor f_fsid: NAME_MAX and the device
    // number stand in for them.
    const host: StatFs = {
      bsize: Number(s.bsize),
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      namelen: 255,
      type: Number(s.type),
      fsid: st.dev,
    };
    return ctx.store.statfs(host);
  });
}

export async function setattr(ctx: CoreContext, cred: Cred, id: NodeId, set: SetAttr, handle?: HandleId): Promise<Attr> {
  const node = ctx.node(id);
  const h = handle === undefined ? undefined : ctx.handles.file(handle, id);
  if (h !== undefined && set.size !== undefined) h.written = true;
  const run = (fn: () => Promise<Attr>): Promise<Attr> => (h === undefined ? fn() : ctx.handles.use(h, fn));
  return run(() => ctx.nodes.withFd(node, async (pathFd) => {
    const fd = h?.fd ?? pathFd;
    const before = ctx.statFd(node, fd);
    const type = before.v.mode & S_IFMT;
    if (ctx.checkPermissions) checkSetattr(cred, before.v, set, h !== undefined && (h.flags & 3) !== 0);
    if (set.mode !== undefined) ctx.limits.checkMode(type | (set.mode & 0o7777), set.uid ?? before.v.uid, 'chmod');
    // A truncate by anyone but root clears setuid/setgid, as Linux does;
    // the server acts with its own ids, so it clears them itself.
    const clear = set.size !== undefined && set.mode === undefined && cred.uid !== 0 ? setidToClear(before.v.mode, { cred, gid: before.v.gid }) : 0;
    if (set.size !== undefined) {
      if (type === S_IFDIR) throw vfsError('EISDIR', 'truncate');
      if (type !== S_IFREG || node.hostType !== S_IFREG) throw vfsError('EINVAL', 'truncate');
      const size = set.size;
      const cut = () => (h !== undefined && (h.flags & 3) !== 0 ? ctx.host.ftruncate(h.fd, size) : ctx.host.truncate(fd, size));
      if (ctx.store.resize !== undefined) await ctx.store.resize(fd, () => size, cut);
      else await cut();
    }
    if (set.mode !== undefined || set.uid !== undefined || set.gid !== undefined || clear !== 0) {
      const own: { mode?: number; uid?: number; gid?: number } = {};
      if (set.mode !== undefined) {
        if (node.hostType === S_IFLNK) throw vfsError('ENOTSUP', 'chmod');
        own.mode = set.mode & 0o7777;
      } else if (clear !== 0) {
        own.mode = before.v.mode & 0o7777 & ~clear;
      }
      if (set.uid !== undefined) own.uid = set.uid;
      if (set.gid !== undefined) own.gid = set.gid;
      await ctx.store.setattr(ctx.entry(node, fd, before.st), own);
    }
    if (set.atime !== undefined || set.mtime !== undefined) ctx.host.utimens(fd, set.atime ?? 'omit', set.mtime ?? 'omit');
    return ctx.statFd(node, fd).attr;
  }));
}

function checkSetattr(cred: Cred, a: { mode: number; uid: number; gid: number }, set: SetAttr, writableHandle: boolean): void {
  if (set.mode !== undefined) requireOwner(cred, a, 'chmod');
  if (set.uid !== undefined || set.gid !== undefined) requireChown(cred, a, set.uid, set.gid, 'chown');
  if (set.size !== undefined && !writableHandle) requireAccess(cred, a, 2, 'truncate');
  if (set.atime !== undefined || set.mtime !== undefined) {
    const onlyNow = (set.atime === undefined || set.atime === 'now') && (set.mtime === undefined || set.mtime === 'now');
    requireTimes(cred, a, onlyNow, 'utimes');
  }
}
