// CoreVfs: the Vfs contract over a confined host tree. This file wires the
// parts together; the operations live in src/core/*.ts, host access in
// src/host/, and what entries look like in the MetadataStore.

import { CoreContext } from './core/context.js';
import { Gate } from './core/gate.js';
import * as attrs from './core/attrs.js';
import * as dirs from './core/dirs.js';
import * as files from './core/files.js';
import * as ns from './core/namespace.js';
import * as xattrs from './core/xattrs.js';
import { DirListings } from './dir-listings.js';
import { ChangeFeed, type ChangeListener, type VfsChange } from './changes.js';
import { fromNodeError } from './errors.js';
import { HandleTable } from './handles.js';
import { HostLimits, type HostLimitsOptions } from './core/host-limits.js';
import { Host } from './host/host.js';
import { HostXattr } from './host/xattr.js';
import { LockTable } from './locks.js';
import type { Logger } from './log.js';
import type { MetadataStore } from './meta/store.js';
import { IDLE_DIRS, NodeTable } from './nodes.js';
import { HostWatcher } from './watch/host-watcher.js';
import { copyByReadWrite } from './copy-loop.js';
import { O_TRUNC, RENAME_EXCHANGE, type Attr, type Cred, type DirEntry, type Entry, type HandleId, type NodeId, type SetAttr, type StatFs } from './types.js';
import type { AccessModel, LockConflict, LockQuota, LockRange, Vfs } from './vfs.js';
import { openThenStat } from './vfs.js';

export interface CoreOptions {
  /** Host directory served (in humfs mode, EXPORT/data). */
  root: string;
  /** Makes the store from the host access object (it may reuse it for its own I/O). */
  store: (host: Host) => MetadataStore;
  maxCachedFds: number;
  maxRememberedNodes: number;
  /** `user`: check permissions for each caller (ExportOptions.access). */
  access: AccessModel;
  logger: Logger;
  /** What clients may make on the host (hostfs: nosuid, nodev); none when absent. */
  limits?: HostLimitsOptions;
  /** How many mknod(1) children run at once (see ExportOptions.maxMknodProcesses). */
  maxMknodProcesses?: number;
  /** Watch the host tree (ExportOptions.watch, maxWatches); absent: not watched. */
  watch?: { maxWatches: number } | undefined;
}

export class CoreVfs implements Vfs {
  readonly root: NodeId;
  readonly accessModel: AccessModel;
  private readonly ctx: CoreContext;
  /** Present when the store's changes must not interleave (humfs): see core/gate.ts. */
  private readonly gate: Gate | undefined;
  private closed = false;
  private readonly changes: ChangeFeed;
  /** Present when the host tree is watched (src/watch/). */
  readonly watcher: HostWatcher | undefined;

  constructor(opts: CoreOptions) {
    const host = new Host(opts.logger, opts.maxMknodProcesses);
    const rootFd = host.openRoot(opts.root);
    let nodes: NodeTable;
    try {
      if ((host.fstat(rootFd).mode & 0o170000) !== 0o040000) throw fromNodeError({ code: 'ENOTDIR' }, 'open export', opts.root);
      nodes = new NodeTable(host, rootFd, opts.maxCachedFds, opts.maxRememberedNodes, IDLE_DIRS);
    } catch (e) {
      host.close(rootFd);
      throw e;
    }
    this.ctx = new CoreContext(
      host,
      new HostXattr(opts.logger),
      opts.store(host),
      nodes,
      new HandleTable(),
      new LockTable(),
      new DirListings(),
      opts.access === 'user',
      opts.logger,
      opts.limits === undefined ? HostLimits.none(opts.logger) : new HostLimits(opts.limits, opts.logger),
    );
    this.root = nodes.root.id;
    this.accessModel = opts.access;
    this.changes = new ChangeFeed(opts.logger);
    this.gate = this.ctx.store.ordered ? new Gate() : undefined;
    this.watcher = opts.watch === undefined ? undefined : new HostWatcher(this.ctx, this.changes, { maxWatches: opts.watch.maxWatches, exclusive: (fn) => this.run('watch', 'exclusive', fn) });
  }

  hostChangesSeen(id: NodeId): boolean {
    return this.watcher?.covers(id) ?? false;
  }

  /**
   * For tests and measurements: nodes in use (the root, and every node a
   * reference, handle, call or child in use holds), nodes kept without use
   * (idle directories and the directories above them: nodes.ts), cached
   * descriptors and handles.
   */
  get stats(): { nodes: number; idle: number; descriptors: number; handles: number } {
    const nodes = this.ctx.nodes;
    const idle = nodes.unused;
    return { nodes: nodes.size - idle, idle, descriptors: nodes.openDescriptors, handles: this.ctx.handles.size };
  }

  /** Byte-range lock ranges held (all holders). */
  get lockCount(): number {
    return this.ctx.locks.size;
  }

  /** Blocking lock requests (setlkw) waiting now. */
  get lockWaiters(): number {
    return this.ctx.locks.waiters.waiting;
  }

  /** Shared directory listings (dir-listings.ts): held, names in them, builds so far. */
  get listingStats(): { dirs: number; listings: number; names: number; builds: number } {
    return this.ctx.listings.stats;
  }

  onChange(listener: ChangeListener): () => void {
    return this.changes.on(listener);
  }

  /** Announces what `p` changed once it has (changes of a failed call are not announced). */
  private announce<T>(p: Promise<T>, what: (r: T) => VfsChange[]): Promise<T> {
    return p.then((r) => {
      if (this.changes.size > 0) for (const c of what(r)) this.changes.emit(c);
      return r;
    });
  }

  /** `p` adds, removes or renames names in `dirs`: their shared listings are checked again next time. */
  private changing<T>(p: Promise<T>, ...dirs: NodeId[]): Promise<T> {
    return p.finally(() => {
      for (const d of dirs) this.ctx.listings.changed(d);
    });
  }

  /**
   * Every call goes through here: only VfsErrors leave, nothing runs after
   * close, and with a gate (humfs) a change runs alone ('exclusive') while
   * calls that read records ('shared') wait for it; 'free' calls (I/O on
   * handles, locks) never wait. A synchronous operation (lookup, getattr)
   * is answered with one resolved promise rather than an async frame
   * around it.
   */
  private run<T>(op: string, order: 'shared' | 'exclusive' | 'free', fn: () => Promise<T> | T): Promise<T> {
    const guarded = (): Promise<T> | T => {
      if (this.closed) throw fromNodeError({ code: 'ESTALE' }, op);
      return fn();
    };
    try {
      const gate = this.gate;
      const r = gate === undefined || order === 'free' ? guarded() : order === 'shared' ? gate.shared(guarded) : gate.exclusive(guarded);
      if (!(r instanceof Promise)) return Promise.resolve(r);
      return r.catch((e: unknown) => {
        throw fromNodeError(e, op, undefined, this.ctx.log);
      });
    } catch (e) {
      return Promise.reject(fromNodeError(e, op, undefined, this.ctx.log));
    }
  }

  lookup(cred: Cred, parent: NodeId, name: Buffer): Promise<Entry> {
    return this.run('lookup', 'shared', () => attrs.lookup(this.ctx, cred, parent, name));
  }
  parent(cred: Cred, dir: NodeId): Promise<Entry> {
    return this.run('parent', 'shared', () => attrs.parentOf(this.ctx, cred, dir));
  }
  whereIs(id: NodeId): Promise<{ parent: NodeId; name: Buffer }> {
    return this.run('whereIs', 'free', () => attrs.whereIs(this.ctx, id));
  }
  forget(id: NodeId, count: number): void {
    if (!this.closed) this.ctx.nodes.forget(id, count);
  }
  getattr(id: NodeId, handle?: HandleId): Promise<Attr> {
    return this.run('getattr', 'shared', () => attrs.getattr(this.ctx, id, handle));
  }
  getattrByName(id: NodeId): Promise<Attr | undefined> {
    return this.run('getattr', 'shared', () => attrs.getattrByName(this.ctx, id));
  }
  setattr(cred: Cred, id: NodeId, set: SetAttr, handle?: HandleId): Promise<Attr> {
    const kind = set.size !== undefined ? 'data' : 'attr';
    return this.announce(this.run('setattr', 'exclusive', () => attrs.setattr(this.ctx, cred, id, set, handle)), () => [{ kind, node: id }]);
  }
  access(cred: Cred, id: NodeId, mask: number): Promise<void> {
    return this.run('access', 'shared', () => attrs.access(this.ctx, cred, id, mask));
  }
  open(cred: Cred, id: NodeId, flags: number): Promise<HandleId> {
    // O_TRUNC may also clear setuid/setgid in the store: a change.
    const opened = this.run('open', flags & O_TRUNC ? 'exclusive' : 'shared', () => files.open(this.ctx, cred, id, flags));
    return flags & O_TRUNC ? this.announce(opened, () => [{ kind: 'data', node: id }]).then(async (h) => (await this.truncated(h), h)) : opened;
  }
  openWithAttr(cred: Cred, id: NodeId, flags: number): Promise<{ handle: HandleId; attr: Attr }> {
    // O_TRUNC changes the file after the open's stat: asked again then.
    if (flags & O_TRUNC) return openThenStat(this, cred, id, flags);
    return this.run('open', 'shared', () => files.openStated(this.ctx, cred, id, flags));
  }
  /**
   * After an O_TRUNC open: by anyone but root, a truncate clears
   * setuid/setgid (announced as a write's clear is). True when it did; on
   * failure the handle is closed.
   */
  private async truncated(handle: HandleId): Promise<boolean> {
    if (!files.writeClearsSetid(this.ctx, handle, 1)) return false;
    try {
      return await this.clearSetid('open', handle);
    } catch (e) {
      await this.release(handle);
      throw e;
    }
  }
  create(cred: Cred, parent: NodeId, name: Buffer, flags: number, mode: number): Promise<{ entry: Entry; handle: HandleId }> {
    const made = this.changing(this.run('create', 'exclusive', () => files.create(this.ctx, cred, parent, name, flags, mode)), parent);
    // An existing file is opened instead (then truncated with O_TRUNC): announced both ways, as it cannot be told here.
    const done = this.announce(made, (r) => [added(parent, name), ...(flags & O_TRUNC ? [{ kind: 'data' as const, node: r.entry.id }] : [])]);
    if (!(flags & O_TRUNC)) return done;
    return done.then(async (r) => ((await this.truncated(r.handle)) ? { entry: { id: r.entry.id, attr: await this.getattr(r.entry.id, r.handle) }, handle: r.handle } : r));
  }
  read(handle: HandleId, offset: bigint, into: Buffer): Promise<number> {
    return this.run('read', 'free', () => files.read(this.ctx, handle, offset, into));
  }
  write(handle: HandleId, offset: bigint, data: Buffer): Promise<number> {
    // Clearing setuid/setgid first is a change of the record (humfs): it
    // runs as one, before the write, as Linux clears them before writing.
    const node = this.ctx.handles.peekFile(handle)?.node.id;
    const put = (): Promise<number> => {
      const wrote = this.run('write', 'free', () => files.write(this.ctx, handle, offset, data));
      return node === undefined ? wrote : this.announce(wrote, (n) => (n > 0 ? [{ kind: 'data', node }] : []));
    };
    return files.writeClearsSetid(this.ctx, handle, data.length) ? this.clearSetid('write', handle).then(put) : put();
  }
  fallocate(handle: HandleId, mode: number, offset: bigint, length: bigint): Promise<void> {
    // The same rules as a write: setuid/setgid cleared first, the change announced.
    const node = this.ctx.handles.peekFile(handle)?.node.id;
    const put = (): Promise<void> => {
      const done = this.run('fallocate', 'free', () => files.fallocate(this.ctx, handle, mode, offset, length));
      return node === undefined ? done : this.announce(done, () => [{ kind: 'data', node }]);
    };
    return files.writeClearsSetid(this.ctx, handle, 1) ? this.clearSetid('fallocate', handle).then(put) : put();
  }
  /**
   * Clears setuid/setgid before a change of contents by a non-root caller,
   * announced as an `implied` attr change: the caller's own cache (a FUSE
   * kernel) did not ask for it and must hear of it too.
   */
  private clearSetid(op: string, handle: HandleId): Promise<boolean> {
    const node = this.ctx.handles.peekFile(handle)?.node.id;
    const cleared = this.run(op, 'exclusive', () => files.clearSetidOf(this.ctx, handle));
    return this.announce(cleared, (did) => (did && node !== undefined ? [{ kind: 'attr', node, implied: true }] : []));
  }
  async copyRange(inHandle: HandleId, inOffset: bigint, outHandle: HandleId, outOffset: bigint, length: bigint): Promise<bigint> {
    return copyByReadWrite(this, inHandle, inOffset, outHandle, outOffset, length);
  }
  fsync(handle: HandleId, datasync: boolean): Promise<void> {
    return this.run('fsync', 'free', () => files.fsync(this.ctx, handle, datasync));
  }
  seek(handle: HandleId, offset: bigint, whence: 'data' | 'hole'): Promise<bigint> {
    return this.run('seek', 'free', () => files.seek(this.ctx, handle, offset, whence));
  }
  hostDescriptor(handle: HandleId): number | null {
    return this.closed ? null : files.hostDescriptor(this.ctx, handle);
  }
  hostWritten(handle: HandleId): void {
    const h = this.ctx.handles.peekFile(handle);
    if (h === undefined) return;
    h.written = true;
    if (this.changes.size > 0) this.changes.emit({ kind: 'data', node: h.node.id });
  }
  release(handle: HandleId): Promise<void> {
    return this.run('release', 'free', () => files.release(this.ctx, handle));
  }
  opendir(cred: Cred, id: NodeId): Promise<HandleId> {
    return this.run('opendir', 'shared', () => dirs.opendir(this.ctx, cred, id));
  }
  readdir(handle: HandleId, cookie: bigint, max: number): Promise<DirEntry[]> {
    return this.run('readdir', 'shared', () => dirs.readdir(this.ctx, handle, cookie, max));
  }
  releasedir(handle: HandleId): Promise<void> {
    return this.run('releasedir', 'free', () => dirs.releasedir(this.ctx, handle));
  }
  mkdir(cred: Cred, parent: NodeId, name: Buffer, mode: number): Promise<Entry> {
    return this.announce(this.changing(this.run('mkdir', 'exclusive', () => ns.mkdir(this.ctx, cred, parent, name, mode)), parent), () => [added(parent, name)]);
  }
  mknod(cred: Cred, parent: NodeId, name: Buffer, mode: number, rdev: bigint): Promise<Entry> {
    return this.announce(this.changing(this.run('mknod', 'exclusive', () => ns.mknod(this.ctx, cred, parent, name, mode, rdev)), parent), () => [added(parent, name)]);
  }
  symlink(cred: Cred, parent: NodeId, name: Buffer, target: Buffer): Promise<Entry> {
    return this.announce(this.changing(this.run('symlink', 'exclusive', () => ns.symlink(this.ctx, cred, parent, name, target)), parent), () => [added(parent, name)]);
  }
  readlink(id: NodeId): Promise<Buffer> {
    return this.run('readlink', 'shared', () => attrs.readlink(this.ctx, id));
  }
  link(cred: Cred, id: NodeId, parent: NodeId, name: Buffer): Promise<Entry> {
    const linked = this.changing(this.run('link', 'exclusive', () => ns.link(this.ctx, cred, id, parent, name)), parent);
    return this.announce(linked, () => [added(parent, name), { kind: 'attr', node: id }]);
  }
  rename(cred: Cred, parent: NodeId, name: Buffer, newParent: NodeId, newName: Buffer, flags: number): Promise<void> {
    const moved = this.changing(this.run('rename', 'exclusive', () => ns.rename(this.ctx, cred, parent, name, newParent, newName, flags)), parent, newParent);
    // The new name's old entry (if any) goes; with RENAME_EXCHANGE the old name comes back on the other node.
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    return this.announce(moved, () => [removed(parent, name), removed(newParent, newName), added(newParent, newName), ...(exchange ? [added(parent, name)] : [])]);
  }
  unlink(cred: Cred, parent: NodeId, name: Buffer): Promise<void> {
    // The node the name led to lost a link (its nlink and ctime changed) when it lives on.
    const gone = this.changing(this.run('unlink', 'exclusive', () => ns.unlink(this.ctx, cred, parent, name)), parent);
    return this.announce(gone, (id) => [removed(parent, name), ...(id === undefined ? [] : [{ kind: 'attr' as const, node: id }])]).then(() => undefined);
  }
  rmdir(cred: Cred, parent: NodeId, name: Buffer): Promise<void> {
    // The node the name led to lost a link (its nlink and ctime changed) when it lives on.
    const gone = this.changing(this.run('rmdir', 'exclusive', () => ns.rmdir(this.ctx, cred, parent, name)), parent);
    return this.announce(gone, (id) => [removed(parent, name), ...(id === undefined ? [] : [{ kind: 'attr' as const, node: id }])]).then(() => undefined);
  }
  statfs(id: NodeId): Promise<StatFs> {
    return this.run('statfs', 'shared', () => attrs.statfs(this.ctx, id));
  }
  getxattr(cred: Cred, id: NodeId, name: string): Promise<Buffer> {
    return this.run('getxattr', 'shared', () => xattrs.getxattr(this.ctx, cred, id, name));
  }
  setxattr(cred: Cred, id: NodeId, name: string, value: Buffer, flags: number): Promise<void> {
    return this.announce(this.run('setxattr', 'shared', () => xattrs.setxattr(this.ctx, cred, id, name, value, flags)), () => [{ kind: 'attr', node: id }]);
  }
  listxattr(cred: Cred, id: NodeId): Promise<string[]> {
    return this.run('listxattr', 'shared', () => xattrs.listxattr(this.ctx, cred, id));
  }
  removexattr(cred: Cred, id: NodeId, name: string): Promise<void> {
    return this.announce(this.run('removexattr', 'shared', () => xattrs.removexattr(this.ctx, cred, id, name)), () => [{ kind: 'attr', node: id }]);
  }
  setlk(handle: HandleId, owner: string, lock: LockRange, quota?: LockQuota): Promise<boolean> {
    return this.run('setlk', 'free', () => files.setlk(this.ctx, handle, owner, lock, quota));
  }
  setlkw(handle: HandleId, owner: string, lock: LockRange, signal: AbortSignal, quota?: LockQuota): Promise<boolean> {
    return this.run('setlkw', 'free', () => files.setlkw(this.ctx, handle, owner, lock, signal, quota));
  }
  getlk(handle: HandleId, owner: string, lock: LockRange): Promise<LockConflict | null> {
    return this.run('getlk', 'free', () => files.getlk(this.ctx, handle, owner, lock));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    for (const h of this.ctx.handles.all()) {
      this.ctx.handles.remove(h.id);
      this.ctx.locks.releaseHandle(h.id);
      if (h.kind === 'dir') this.ctx.listings.close(h.node.id);
      await this.ctx.handles.drained(h);
      this.ctx.host.close(h.fd);
    }
    this.ctx.nodes.closeAll();
    await this.ctx.store.close?.();
  }
}

function added(node: NodeId, name: Buffer): VfsChange {
  return { kind: 'entry', node, name, change: 'added' };
}

function removed(node: NodeId, name: Buffer): VfsChange {
  return { kind: 'entry', node, name, change: 'removed' };
}
