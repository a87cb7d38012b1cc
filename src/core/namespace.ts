// mkdir, mknod, symlink, link, unlink, rmdir, rename: every change of a
// directory's names. Each runs with the directory descriptors pinned, acts
// on single names through them, tells the metadata store, and keeps live
// nodes pointing at their current names (a moved node keeps its NodeId; a
// removed or replaced one is detached and stays reachable by descriptor; a
// file whose last name went loses its identity, see NodeTable.removed).

import { vfsError } from '../errors.js';
import { mknodAt } from '../host/special.js';
import { renameAt, RENAME_EXCHANGE, RENAME_NOREPLACE } from '../host/rename.js';
import type { HostStat } from '../host/stat.js';
import type { VirtualAttr } from '../meta/store.js';
import type { Node } from '../nodes.js';
import { type Cred, type Entry, type NodeId, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, major, minor } from '../types.js';
import type { CoreContext, Stated } from './context.js';
import { newOwner } from './files.js';
import { undoCreate } from './undo.js';
import { requireAccess, requireMayDelete } from './permissions.js';

/**
 * After the host made `name`: take a reference, tell the store, answer with
 * fresh attributes. If any of that fails (no descriptor left, no space for
 * the record, ...), the new entry is taken away again (undoCreate).
 */
async function finishCreate(ctx: CoreContext, parent: Node, dirfd: number, name: Buffer, init: VirtualAttr, op: string): Promise<Entry> {
  let entry: Entry;
  try {
    entry = ctx.lookupIn(parent, dirfd, name);
  } catch (e) {
    await undoCreate(ctx, parent, dirfd, name, null, op);
    throw e;
  }
  const node = ctx.node(entry.id);
  try {
    return await ctx.nodes.withFd(node, async (fd) => {
      await ctx.store.created(ctx.entry(node, fd, ctx.host.fstat(fd)), init);
      return { id: node.id, attr: ctx.statFd(node, fd).attr };
    });
  } catch (e) {
    ctx.unref(entry.id);
    await undoCreate(ctx, parent, dirfd, name, node, op);
    throw e;
  }
}

function initFor(cred: Cred, dir: Stated, mode: number, rdev: bigint): VirtualAttr {
  const owner = newOwner(cred, dir.v.mode, dir.v.gid);
  // A directory made in a setgid directory is setgid too (mkdir(2)).
  const sgid = owner.setgid && (mode & S_IFMT) === S_IFDIR ? S_ISGID : 0;
  return { mode: mode | sgid, uid: owner.uid, gid: owner.gid, rdev };
}

export async function mkdir(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer, mode: number): Promise<Entry> {
  ctx.checkName(name, 'mkdir');
  const parent = ctx.node(parentId);
  return ctx.inDir(cred, parent, 3, 'mkdir', async (dirfd, dir) => {
    try {
      ctx.store.checkDirName?.(name, 'mkdir');
    } catch (e) {
      // An existing name is EEXIST first, as mkdir(2) answers.
      if (ctx.host.lstatAtMaybe(dirfd, name) !== null) throw vfsError('EEXIST', 'mkdir');
      throw e;
    }
    // What it must look like is worked out first: it reads the parent's record.
    const init = initFor(cred, dir, S_IFDIR | (mode & 0o7777), 0n);
    await ctx.host.mkdirAt(dirfd, name, mode & 0o7777);
    return finishCreate(ctx, parent, dirfd, name, init, 'mkdir');
  });
}

export async function mknod(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer, mode: number, rdev: bigint): Promise<Entry> {
  ctx.checkName(name, 'mknod');
  const type = (mode & S_IFMT) || S_IFREG;
  if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) throw vfsError('EINVAL', 'mknod');
  const isDevice = type === S_IFCHR || type === S_IFBLK;
  const parent = ctx.node(parentId);
  ctx.limits.checkDevice(type, 'mknod');
  return ctx.inDir(cred, parent, 3, 'mknod', async (dirfd, dir) => {
    const perm = mode & 0o7777;
    ctx.limits.checkMode(type | perm, ctx.limits.hostOwnerOf(cred.uid), 'mknod');
    const init = initFor(cred, dir, type | perm, isDevice ? rdev : 0n);
    if (type === S_IFREG || ctx.store.specialFiles === 'placeholder') {
      // A regular file, or the placeholder whose real type the store records.
      const io = await ctx.host.createAt(dirfd, name, 1, type === S_IFREG ? perm : 0o600);
      // Closed synchronously: no other request may run between the placeholder
      // appearing and the store recording its type (it would see a plain file).
      ctx.host.close(io);
    } else {
      await mknodAt(ctx.host, dirfd, name, type | perm, isDevice ? major(rdev) : 0, isDevice ? minor(rdev) : 0);
    }
    return finishCreate(ctx, parent, dirfd, name, init, 'mknod');
  });
}

export async function symlink(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer, target: Buffer): Promise<Entry> {
  ctx.checkName(name, 'symlink');
  if (target.length === 0) throw vfsError('ENOENT', 'symlink');
  if (target.length > 4095) throw vfsError('ENAMETOOLONG', 'symlink');
  if (target.includes(0)) throw vfsError('EINVAL', 'symlink');
  const parent = ctx.node(parentId);
  return ctx.inDir(cred, parent, 3, 'symlink', async (dirfd, dir) => {
    const init = initFor(cred, dir, S_IFLNK | 0o777, 0n);
    await ctx.host.symlinkAt(dirfd, name, target);
    return finishCreate(ctx, parent, dirfd, name, init, 'symlink');
  });
}

export async function link(ctx: CoreContext, cred: Cred, id: NodeId, parentId: NodeId, name: Buffer): Promise<Entry> {
  ctx.checkName(name, 'link');
  const node = ctx.node(id);
  if (node.hostType === S_IFDIR) throw vfsError('EPERM', 'link');
  if (node.detached) throw vfsError('ENOENT', 'link');
  const srcParent = ctx.node(node.parent);
  const parent = ctx.node(parentId);
  return ctx.inDir(cred, parent, 3, 'link', (dirfd) =>
    ctx.nodes.withFd(srcParent, async (spfd) => {
      // Node cannot link(2) from a descriptor, so the source is linked by its
      // name and checked to be this inode before and after.
      const src = ctx.host.lstatAt(spfd, node.name);
      if (src.dev !== node.dev || src.ino !== node.ino) throw vfsError('ESTALE', 'link');
      // The existing name, taken before the lookup below moves the node to the new one.
      const from = ctx.nodes.pathOf(node);
      await ctx.host.linkAt(spfd, node.name, dirfd, name);
      let entry: Entry | undefined;
      try {
        entry = ctx.lookupIn(parent, dirfd, name);
        if (entry.id !== node.id) throw vfsError('ESTALE', 'link');
        await ctx.nodes.withFd(node, (fd) => ctx.store.linked({ path: () => from, st: ctx.host.fstat(fd), fd }, [...ctx.nodes.pathOf(parent), name]));
        // The lookup above ran before the store recorded the new name (humfs: its record is written just now).
        return { id: entry.id, attr: ctx.stat(node).attr };
      } catch (e) {
        if (entry !== undefined) ctx.unref(entry.id);
        // The new name goes again (only if it is still a link of this file).
        await undoCreate(ctx, parent, dirfd, name, src, 'link');
        throw e;
      }
    }),
  );
}

/** `st` (from before a removal) was the only name of a regular file: its bytes go once it is closed. */
function lastFileName(st: HostStat): boolean {
  return (st.mode & S_IFMT) === S_IFREG && st.nlink <= 1;
}

/**
 * The size of a file whose name was just removed, through the descriptor its
 * node keeps (detach opened it): a write or truncate through an open file may
 * have changed it since the lstat, and a store that counts space (humfs)
 * keeps counting it until the file is closed. `before` when nothing holds it.
 */
function sizeNow(ctx: CoreContext, holder: Node | undefined, before: bigint): bigint {
  if (holder === undefined || holder.fd < 0) return before;
  try {
    return ctx.host.fstat(holder.fd).size;
  } catch {
    return before;
  }
}

/** The live node that `name` in `parent` is recorded as, if any. */
function liveAt(ctx: CoreContext, parent: Node, name: Buffer, st: HostStat): Node | undefined {
  const live = ctx.nodes.find(st);
  return live !== undefined && live.parent === parent.id && live.name.equals(name) ? live : undefined;
}

/** Resolves with the node the removed name led to when it is still known (other names, open handles, references), for change listeners. */
async function remove(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer, dirWanted: boolean): Promise<NodeId | undefined> {
  const op = dirWanted ? 'rmdir' : 'unlink';
  ctx.checkName(name, op);
  const parent = ctx.node(parentId);
  return ctx.inDir(cred, parent, 3, op, async (dirfd, dir) => {
    const st = ctx.host.lstatAt(dirfd, name);
    const v = ctx.virtual(ctx.childEntry(parent, name, dirfd, st));
    const isDir = (st.mode & S_IFMT) === S_IFDIR;
    if (isDir && !dirWanted) throw vfsError('EISDIR', op);
    if (!isDir && dirWanted) throw vfsError('ENOTDIR', op);
    if (ctx.checkPermissions) requireMayDelete(cred, dir.v, v, op);
    const live = liveAt(ctx, parent, name, st);
    if (live !== undefined) ctx.nodes.detach(live);
    try {
      if (dirWanted) await ctx.host.rmdirAt(dirfd, name);
      else await ctx.host.unlinkAt(dirfd, name);
    } catch (e) {
      if (live !== undefined) ctx.nodes.move(live, parent, name);
      throw e;
    }
    const holder = ctx.nodes.find(st);
    ctx.nodes.removed(st);
    await ctx.store.removed([...ctx.nodes.pathOf(parent), name], isDir ? st : { ...st, size: sizeNow(ctx, holder, st.size) });
    if (lastFileName(st) && (holder?.opens ?? 0) === 0) ctx.store.closedUnlinked?.(st);
    return holder?.id;
  });
}

export function unlink(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer): Promise<NodeId | undefined> {
  return remove(ctx, cred, parentId, name, false);
}

export function rmdir(ctx: CoreContext, cred: Cred, parentId: NodeId, name: Buffer): Promise<NodeId | undefined> {
  return remove(ctx, cred, parentId, name, true);
}

export async function rename(
  ctx: CoreContext,
  cred: Cred,
  parentId: NodeId,
  name: Buffer,
  newParentId: NodeId,
  newName: Buffer,
  flags: number,
): Promise<void> {
  ctx.checkName(name, 'rename');
  ctx.checkName(newName, 'rename');
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) !== 0 || flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
    throw vfsError('EINVAL', 'rename');
  }
  const parent = ctx.node(parentId);
  const newParent = ctx.node(newParentId);
  await ctx.inDir(cred, parent, 3, 'rename', (dirfd, dir) =>
    ctx.inDir(cred, newParent, 3, 'rename', async (newDirfd, newDir) => {
      const st = ctx.host.lstatAt(dirfd, name);
      const dst = ctx.host.lstatAtMaybe(newDirfd, newName);
      // A directory must be able to take its new name in the store.
      if ((st.mode & S_IFMT) === S_IFDIR) ctx.store.checkDirName?.(newName, 'rename');
      if (flags & RENAME_EXCHANGE && dst !== null && (dst.mode & S_IFMT) === S_IFDIR) ctx.store.checkDirName?.(name, 'rename');
      if (ctx.checkPermissions) {
        const v = ctx.virtual(ctx.childEntry(parent, name, dirfd, st));
        requireMayDelete(cred, dir.v, v, 'rename');
        if (dst !== null) requireMayDelete(cred, newDir.v, ctx.virtual(ctx.childEntry(newParent, newName, newDirfd, dst)), 'rename');
        // Moving a directory to another parent rewrites its "..": write permission on it.
        if ((st.mode & S_IFMT) === S_IFDIR && parent !== newParent) requireAccess(cred, v, 2, 'rename');
      }
      const same = dst !== null && dst.dev === st.dev && dst.ino === st.ino;
      const moved = ctx.nodes.find(st);
      const other = dst === null || same ? undefined : ctx.nodes.find(dst);
      const replaced = other !== undefined && !(flags & RENAME_EXCHANGE) ? liveAt(ctx, newParent, newName, dst as HostStat) : undefined;
      // Paths as they are before the rename (the moves below change them).
      const from = [...ctx.nodes.pathOf(parent), name];
      const to = [...ctx.nodes.pathOf(newParent), newName];
      if (replaced !== undefined) ctx.nodes.detach(replaced);
      try {
        await renameAt(ctx.host, dirfd, name, newDirfd, newName, flags);
      } catch (e) {
        if (replaced !== undefined) ctx.nodes.move(replaced, newParent, newName);
        throw e;
      }
      if (same) return;
      if (dst !== null && !(flags & RENAME_EXCHANGE)) ctx.nodes.removed(dst);
      if (moved !== undefined) ctx.nodes.move(moved, newParent, newName);
      if (other !== undefined && flags & RENAME_EXCHANGE) ctx.nodes.move(other, parent, name);
      await ctx.store.renamed(from, to, st, dst, flags);
      if (dst !== null && !(flags & RENAME_EXCHANGE) && lastFileName(dst) && (other?.opens ?? 0) === 0) ctx.store.closedUnlinked?.(dst);
    }),
  );
}
