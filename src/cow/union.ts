// UnionVfs: a copy-on-write export. The guest sees a read-only base Vfs
// with a layer Vfs's changes on top, as overlayfs merges a lower and an
// upper directory (and in its on-disk format, layout.ts).
//
// Why two Vfs rather than one core over two host trees: each side keeps
// everything the core already does right (confined host access, humfs
// records, permissions, locks, descriptors, node identity), the base can
// only be reached through ReadOnlyVfs (nothing here can write it, by
// construction), and the union adds only what is its own: the node map
// (nodes.ts), copy-up (copy-up.ts), whiteouts and opaque marks
// (src/host/cow-trees.ts), merged listings (listing.ts) and name changes
// (names.ts). Changes to names run one at a time (they read and then
// change both sides); reads, lookups and I/O on handles run freely.
//
// A handle opened for reading before the file is copied up moves to the
// copy at its next read (as overlayfs reopens its real file), unless it
// holds byte-range locks: those live on the base's handle, and locks taken
// through it and through a handle on the copy do not see each other.

import { ChangeFeed, type ChangeListener, type VfsChange } from '../changes.js';
import { allowed } from '../core/permissions.js';
import { fromNodeError, vfsError } from '../errors.js';
import { DOT_COOKIE, DOTDOT_COOKIE, resumeIndex } from '../readdir-cookies.js';
import {
  DT_DIR,
  O_ACCMODE,
  O_CREAT,
  O_EXCL,
  O_TRUNC,
  RENAME_EXCHANGE,
  S_IFCHR,
  S_IFMT,
  W_OK,
  type Attr,
  type Cred,
  type DirEntry,
  type Entry,
  type HandleId,
  type NodeId,
  type SetAttr,
  type StatFs,
} from '../types.js';
import type { AccessModel, LockConflict, LockQuota, LockRange, Vfs } from '../vfs.js';
import { ROOT, type UnionContext } from './context.js';
import { copyUp } from './copy-up.js';
import { mergedListing, type MergedListing } from './listing.js';
import * as names from './names.js';
import type { UNode } from './nodes.js';
import { isHiddenXattr } from './xattr-names.js';
import { copyByReadWrite } from '../copy-loop.js';

type FileHandle = {
  kind: 'file';
  node: UNode;
  side: 'base' | 'layer';
  inner: HandleId;
  /** The open's flags, to open the copy with when the node is copied up under a base handle. */
  flags: number;
  /** It stays on its side: byte-range locks were taken through it, or the copy could not be opened. */
  pinned: boolean;
  /** A move to the copy under way. */
  moving: Promise<void> | null;
  /** Base handles it moved away from, released with it (a read may still be using one). */
  retired: HandleId[];
};
type DirHandle = { kind: 'dir'; node: UNode; listing: MergedListing | null };

export class UnionVfs implements Vfs {
  readonly root: NodeId;
  readonly accessModel: AccessModel;
  private readonly handles = new Map<HandleId, FileHandle | DirHandle>();
  private nextHandle = 1;
  private readonly changes: ChangeFeed;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ctx: UnionContext,
    /** Gives the layer back (layer-lock.ts) when the union closes. */
    private readonly unlock: () => void = () => {},
  ) {
    this.root = ctx.nodes.root.id;
    this.accessModel = ctx.layer.accessModel;
    this.changes = new ChangeFeed(ctx.log);
  }

  /** Live union nodes, for tests. */
  get stats(): { nodes: number; handles: number } {
    return { nodes: this.ctx.nodes.size, handles: this.handles.size };
  }

  onChange(listener: ChangeListener): () => void {
    return this.changes.on(listener);
  }

  /** Every call: only VfsErrors leave, nothing runs after close; `serial` calls run one at a time. */
  private run<T>(op: string, fn: () => Promise<T> | T, serial = false): Promise<T> {
    const guarded = async (): Promise<T> => {
      if (this.closed) throw vfsError('ESTALE', op);
      return fn();
    };
    let p: Promise<T>;
    if (serial) {
      p = this.queue.then(guarded, guarded);
      this.queue = p.catch(() => undefined);
    } else {
      p = guarded();
    }
    return p.catch((e: unknown) => {
      throw fromNodeError(e, op, undefined, this.ctx.log);
    });
  }

  private announce(...cs: VfsChange[]): void {
    if (this.changes.size > 0) for (const c of cs) this.changes.emit(c);
  }

  private file(handle: HandleId): FileHandle {
    const h = this.handles.get(handle);
    if (h === undefined || h.kind !== 'file') throw vfsError('EBADF', 'handle');
    return h;
  }

  /** File handle `handle`, moved to the node's copy first when it was opened on the base before a copy-up. */
  private async current(handle: HandleId): Promise<FileHandle> {
    const h = this.file(handle);
    while (h.side === 'base' && h.node.layer !== null && !h.pinned) {
      h.moving ??= this.moveToCopy(h).finally(() => {
        h.moving = null;
      });
      await h.moving;
    }
    return h;
  }

  private async moveToCopy(h: FileHandle): Promise<void> {
    try {
      const inner = await this.ctx.layer.open(ROOT, h.node.layer as NodeId, h.flags & ~(O_TRUNC | O_CREAT | O_EXCL));
      h.retired.push(h.inner);
      h.side = 'layer';
      h.inner = inner;
    } catch (e) {
      this.ctx.log.debug(`cow: a base handle stays on the base: ${(e as Error).message}`);
      h.pinned = true;
    }
  }

  private dirHandle(handle: HandleId): DirHandle {
    const h = this.handles.get(handle);
    if (h === undefined || h.kind !== 'dir') throw vfsError('EBADF', 'handle');
    return h;
  }

  private addHandle(h: FileHandle | DirHandle): HandleId {
    const id = this.nextHandle++;
    this.handles.set(id, h);
    this.ctx.nodes.pin(h.node);
    return id;
  }

  private innerOf(h: FileHandle): { vfs: Vfs; node: NodeId } {
    return h.side === 'layer' ? { vfs: this.ctx.layer, node: h.node.layer as NodeId } : { vfs: this.ctx.base, node: h.node.base as NodeId };
  }

  lookup(cred: Cred, parent: NodeId, name: Buffer): Promise<Entry> {
    return this.run('lookup', async () => {
      const n = await this.ctx.resolve(cred, this.ctx.node(parent), name);
      try {
        return await this.ctx.entry(n);
      } catch (e) {
        this.ctx.put(n);
        throw e;
      }
    });
  }

  parent(cred: Cred, dir: NodeId): Promise<Entry> {
    return this.run('parent', async () => {
      const n = this.ctx.node(dir);
      if (!n.dir) throw vfsError('ENOTDIR', 'parent');
      const p = n.parent ?? n;
      this.ctx.nodes.ref(p);
      return this.ctx.entry(p);
    });
  }

  whereIs(id: NodeId): Promise<{ parent: NodeId; name: Buffer }> {
    return this.run('whereIs', () => {
      const n = this.ctx.node(id);
      if (n.parent === null) throw vfsError('EINVAL', 'whereIs');
      if (n.removed) throw vfsError('ESTALE', 'whereIs');
      return { parent: n.parent.id, name: n.name };
    });
  }

  forget(id: NodeId, count: number): void {
    if (this.closed) return;
    try {
      this.ctx.nodes.forget(this.ctx.node(id), count);
    } catch {
      // Forgetting an unknown node is a front end's slip, never a failure.
    }
  }

  getattr(id: NodeId, handle?: HandleId): Promise<Attr> {
    return this.run('getattr', async () => {
      const n = this.ctx.node(id);
      const any = handle === undefined ? undefined : this.handles.get(handle);
      if (handle !== undefined && any === undefined) throw vfsError('EBADF', 'getattr');
      if (any === undefined || any.kind === 'dir') return this.ctx.attr(n);
      const h = await this.current(handle as HandleId);
      const inner = this.innerOf(h);
      return { ...(await inner.vfs.getattr(inner.node, h.inner)), ino: n.id };
    });
  }

  setattr(cred: Cred, id: NodeId, set: SetAttr, handle?: HandleId): Promise<Attr> {
    return this.run(
      'setattr',
      async () => {
        const n = this.ctx.node(id);
        const h = handle === undefined ? undefined : this.file(handle);
        await copyUp(this.ctx, n);
        const a = await this.ctx.layer.setattr(cred, n.layer as NodeId, set, h?.side === 'layer' ? h.inner : undefined);
        this.announce({ kind: set.size !== undefined ? 'data' : 'attr', node: id });
        return { ...a, ino: n.id };
      },
      true,
    );
  }

  access(cred: Cred, id: NodeId, mask: number): Promise<void> {
    return this.run('access', async () => {
      const n = this.ctx.node(id);
      if (n.layer !== null) return this.ctx.layer.access(cred, n.layer, mask);
      // The base is read-only to us, not to the view: write access is the file's own rule.
      await this.ctx.base.access(cred, n.base as NodeId, mask & ~W_OK);
      if (mask & W_OK && !allowed(cred, await this.ctx.base.getattr(n.base as NodeId), W_OK)) throw vfsError('EACCES', 'access');
    });
  }

  open(cred: Cred, id: NodeId, flags: number): Promise<HandleId> {
    const writes = (flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0;
    return this.run(
      'open',
      async () => {
        const n = this.ctx.node(id);
        if (writes && n.layer === null && !n.dir) {
          if (this.accessModel === 'user' && !allowed(cred, await this.ctx.base.getattr(n.base as NodeId), W_OK)) throw vfsError('EACCES', 'open');
          await copyUp(this.ctx, n);
        }
        const side = n.layer !== null ? 'layer' : 'base';
        const inner = await (side === 'layer' ? this.ctx.layer.open(cred, n.layer as NodeId, flags) : this.ctx.base.open(cred, n.base as NodeId, flags));
        if (flags & O_TRUNC) this.announce({ kind: 'data', node: id });
        return this.addHandle(fileHandle(n, side, inner, flags));
      },
      writes,
    );
  }

  create(cred: Cred, parent: NodeId, name: Buffer, flags: number, mode: number): Promise<{ entry: Entry; handle: HandleId }> {
    return this.run(
      'create',
      async () => {
        const dir = this.ctx.node(parent);
        const existing = await names.find(this.ctx, cred, dir, name);
        if (existing !== null) {
          try {
            if (flags & O_EXCL) throw vfsError('EEXIST', 'create');
            if (existing.dir) throw vfsError('EISDIR', 'create');
            if (existing.layer === null && (flags & O_ACCMODE || flags & O_TRUNC)) await copyUp(this.ctx, existing);
            const side = existing.layer !== null ? 'layer' : 'base';
            const inner = await (side === 'layer' ? this.ctx.layer.open(cred, existing.layer as NodeId, flags) : this.ctx.base.open(cred, existing.base as NodeId, flags));
            if (flags & O_TRUNC) this.announce({ kind: 'data', node: existing.id });
            return { entry: await this.ctx.entry(existing), handle: this.addHandle(fileHandle(existing, side, inner, flags)) };
          } catch (e) {
            this.ctx.put(existing);
            throw e;
          }
        }
        let inner: HandleId = 0;
        const n = await names.makeNode(this.ctx, dir, name, async (layerDir, at) => {
          const made = await this.ctx.layer.create(cred, layerDir, at, flags, mode);
          inner = made.handle;
          return made.entry;
        });
        this.announce(added(parent, name));
        return { entry: await this.ctx.entry(n), handle: this.addHandle(fileHandle(n, 'layer', inner, flags)) };
      },
      true,
    );
  }

  read(handle: HandleId, offset: bigint, into: Buffer): Promise<number> {
    return this.run('read', async () => {
      const h = await this.current(handle);
      return (h.side === 'layer' ? this.ctx.layer : this.ctx.base).read(h.inner, offset, into);
    });
  }

  seek(handle: HandleId, offset: bigint, whence: 'data' | 'hole'): Promise<bigint> {
    return this.run('seek', async () => {
      const h = await this.current(handle);
      return (h.side === 'layer' ? this.ctx.layer : this.ctx.base).seek(h.inner, offset, whence);
    });
  }

  write(handle: HandleId, offset: bigint, data: Buffer): Promise<number> {
    return this.run('write', async () => {
      const h = this.file(handle);
      const n = await (h.side === 'layer' ? this.ctx.layer : this.ctx.base).write(h.inner, offset, data);
      if (n > 0) this.announce({ kind: 'data', node: h.node.id });
      return n;
    });
  }

  fsync(handle: HandleId, datasync: boolean): Promise<void> {
    return this.run('fsync', async () => {
      const h = await this.current(handle);
      return (h.side === 'layer' ? this.ctx.layer : this.ctx.base).fsync(h.inner, datasync);
    });
  }

  fallocate(handle: HandleId, mode: number, offset: bigint, length: bigint): Promise<void> {
    return this.run('fallocate', async () => {
      const h = this.file(handle);
      await (h.side === 'layer' ? this.ctx.layer : this.ctx.base).fallocate(h.inner, mode, offset, length);
      this.announce({ kind: 'data', node: h.node.id });
    });
  }

  async copyRange(inHandle: HandleId, inOffset: bigint, outHandle: HandleId, outOffset: bigint, length: bigint): Promise<bigint> {
    const a = this.handles.get(inHandle)?.kind === 'file' ? await this.current(inHandle).catch(() => undefined) : undefined;
    const b = this.handles.get(outHandle);
    if (a !== undefined && b?.kind === 'file' && a.side === b.side) {
      const vfs = a.side === 'layer' ? this.ctx.layer : this.ctx.base;
      return this.run('copy_file_range', async () => {
        const n = await vfs.copyRange(a.inner, inOffset, b.inner, outOffset, length);
        if (n > 0n) this.announce({ kind: 'data', node: b.node.id });
        return n;
      });
    }
    return copyByReadWrite(this, inHandle, inOffset, outHandle, outOffset, length);
  }

  hostDescriptor(handle: HandleId): number | null {
    const h = this.handles.get(handle);
    if (this.closed || h === undefined || h.kind !== 'file') return null;
    // Never the base's file: a copy-up makes the node another file, and a kernel
    // reading (or, sharing its backing file, writing) the base could not follow.
    if (h.side === 'base') return null;
    return this.ctx.layer.hostDescriptor(h.inner);
  }

  hostWritten(handle: HandleId): void {
    const h = this.handles.get(handle);
    if (h === undefined || h.kind !== 'file') return;
    (h.side === 'layer' ? this.ctx.layer : this.ctx.base).hostWritten(h.inner);
    this.announce({ kind: 'data', node: h.node.id });
  }

  release(handle: HandleId): Promise<void> {
    return this.run('release', async () => {
      const h = this.file(handle);
      this.handles.delete(handle);
      try {
        await h.moving;
        for (const old of h.retired) await this.ctx.base.release(old).catch(() => undefined);
        await (h.side === 'layer' ? this.ctx.layer : this.ctx.base).release(h.inner);
      } finally {
        this.ctx.nodes.unpin(h.node);
      }
    });
  }

  opendir(cred: Cred, id: NodeId): Promise<HandleId> {
    return this.run('opendir', async () => {
      const n = this.ctx.node(id);
      // The side that answers getattr checks the caller may list it.
      const vfs = n.layer !== null ? this.ctx.layer : this.ctx.base;
      await vfs.releasedir(await vfs.opendir(cred, (n.layer ?? n.base) as NodeId));
      return this.addHandle({ kind: 'dir', node: n, listing: null });
    });
  }

  readdir(handle: HandleId, cookie: bigint, max: number): Promise<DirEntry[]> {
    return this.run('readdir', async () => {
      const h = this.dirHandle(handle);
      if (cookie < 0n) throw vfsError('EINVAL', 'readdir');
      const out: DirEntry[] = [];
      if (max <= 0) return out;
      if (cookie < DOT_COOKIE) out.push({ name: Buffer.from('.'), type: DT_DIR, ino: BigInt(h.node.id), cookie: DOT_COOKIE });
      if (cookie < DOTDOT_COOKIE && out.length < max) out.push({ name: Buffer.from('..'), type: DT_DIR, ino: BigInt((h.node.parent ?? h.node).id), cookie: DOTDOT_COOKIE });
      if (out.length >= max) return out;
      if (cookie === 0n || h.listing === null || h.listing.version !== this.ctx.version(h.node)) h.listing = await mergedListing(this.ctx, h.node);
      const sorted = h.listing.sorted;
      for (let i = resumeIndex(sorted, cookie); i < sorted.length && out.length < max; i++) {
        const e = sorted[i] as (typeof sorted)[number];
        out.push({ name: e.name, type: e.type, ino: e.ino, cookie: e.cookie });
      }
      return out;
    });
  }

  releasedir(handle: HandleId): Promise<void> {
    return this.run('releasedir', () => {
      const h = this.dirHandle(handle);
      this.handles.delete(handle);
      this.ctx.nodes.unpin(h.node);
    });
  }

  mkdir(cred: Cred, parent: NodeId, name: Buffer, mode: number): Promise<Entry> {
    return this.run(
      'mkdir',
      async () => {
        const n = await names.mkdir(this.ctx, cred, this.ctx.node(parent), name, mode);
        this.announce(added(parent, name));
        return this.ctx.entry(n);
      },
      true,
    );
  }

  mknod(cred: Cred, parent: NodeId, name: Buffer, mode: number, rdev: bigint): Promise<Entry> {
    // A character device 0/0 is how the layer says "deleted": no client makes one.
    if ((mode & S_IFMT) === S_IFCHR && rdev === 0n) return Promise.reject(vfsError('EPERM', 'mknod'));
    return this.made('mknod', parent, name, (dir, at) => this.ctx.layer.mknod(cred, dir, at, mode, rdev));
  }

  symlink(cred: Cred, parent: NodeId, name: Buffer, target: Buffer): Promise<Entry> {
    return this.made('symlink', parent, name, (dir, at) => this.ctx.layer.symlink(cred, dir, at, target));
  }

  link(cred: Cred, id: NodeId, parent: NodeId, name: Buffer): Promise<Entry> {
    return this.run(
      'link',
      async () => {
        const n = this.ctx.node(id);
        if (n.dir) throw vfsError('EPERM', 'link');
        await copyUp(this.ctx, n);
        const m = await names.makeNode(this.ctx, this.ctx.node(parent), name, (dir, at) => this.ctx.layer.link(cred, n.layer as NodeId, dir, at));
        this.announce(added(parent, name), { kind: 'attr', node: id });
        return this.ctx.entry(m);
      },
      true,
    );
  }

  private made(op: string, parent: NodeId, name: Buffer, make: (layerDir: NodeId, at: Buffer) => Promise<Entry>): Promise<Entry> {
    return this.run(
      op,
      async () => {
        const n = await names.makeNode(this.ctx, this.ctx.node(parent), name, make);
        this.announce(added(parent, name));
        return this.ctx.entry(n);
      },
      true,
    );
  }

  readlink(id: NodeId): Promise<Buffer> {
    return this.run('readlink', () => {
      const n = this.ctx.node(id);
      return n.layer !== null ? this.ctx.layer.readlink(n.layer) : this.ctx.base.readlink(n.base as NodeId);
    });
  }

  rename(cred: Cred, parent: NodeId, name: Buffer, newParent: NodeId, newName: Buffer, flags: number): Promise<void> {
    return this.run(
      'rename',
      async () => {
        await names.rename(this.ctx, cred, this.ctx.node(parent), name, this.ctx.node(newParent), newName, flags);
        const exchange = (flags & RENAME_EXCHANGE) !== 0;
        this.announce(removed(parent, name), removed(newParent, newName), added(newParent, newName), ...(exchange ? [added(parent, name)] : []));
      },
      true,
    );
  }

  unlink(cred: Cred, parent: NodeId, name: Buffer): Promise<void> {
    return this.removeName('unlink', cred, parent, name, false);
  }

  rmdir(cred: Cred, parent: NodeId, name: Buffer): Promise<void> {
    return this.removeName('rmdir', cred, parent, name, true);
  }

  private removeName(op: string, cred: Cred, parent: NodeId, name: Buffer, dir: boolean): Promise<void> {
    return this.run(
      op,
      async () => {
        const id = await names.remove(this.ctx, cred, this.ctx.node(parent), name, dir);
        this.announce(removed(parent, name), { kind: 'attr', node: id });
      },
      true,
    );
  }

  statfs(): Promise<StatFs> {
    // What the guest can still write is the layer's room.
    return this.run('statfs', () => this.ctx.layer.statfs(this.ctx.layer.root));
  }

  getxattr(cred: Cred, id: NodeId, name: string): Promise<Buffer> {
    return this.run('getxattr', () => {
      if (isHiddenXattr(name)) throw vfsError('ENODATA', 'getxattr');
      const n = this.ctx.node(id);
      return n.layer !== null ? this.ctx.layer.getxattr(cred, n.layer, name) : this.ctx.base.getxattr(cred, n.base as NodeId, name);
    });
  }

  listxattr(cred: Cred, id: NodeId): Promise<string[]> {
    return this.run('listxattr', async () => {
      const n = this.ctx.node(id);
      const all = n.layer !== null ? await this.ctx.layer.listxattr(cred, n.layer) : await this.ctx.base.listxattr(cred, n.base as NodeId);
      return all.filter((x) => !isHiddenXattr(x));
    });
  }

  setxattr(cred: Cred, id: NodeId, name: string, value: Buffer, flags: number): Promise<void> {
    return this.changeXattr('setxattr', id, name, (layer) => this.ctx.layer.setxattr(cred, layer, name, value, flags));
  }

  removexattr(cred: Cred, id: NodeId, name: string): Promise<void> {
    return this.changeXattr('removexattr', id, name, (layer) => this.ctx.layer.removexattr(cred, layer, name));
  }

  private changeXattr(op: string, id: NodeId, name: string, fn: (layer: NodeId) => Promise<void>): Promise<void> {
    return this.run(
      op,
      async () => {
        if (isHiddenXattr(name)) throw vfsError('EPERM', op);
        const n = this.ctx.node(id);
        await copyUp(this.ctx, n);
        await fn(n.layer as NodeId);
        this.announce({ kind: 'attr', node: id });
      },
      true,
    );
  }

  setlk(handle: HandleId, owner: string, lock: LockRange, quota?: LockQuota): Promise<boolean> {
    return this.run('setlk', async () => {
      const h = await this.current(handle);
      h.pinned = true;
      return (h.side === 'layer' ? this.ctx.layer : this.ctx.base).setlk(h.inner, owner, lock, quota);
    });
  }

  setlkw(handle: HandleId, owner: string, lock: LockRange, signal: AbortSignal, quota?: LockQuota): Promise<boolean> {
    return this.run('setlkw', async () => {
      const h = await this.current(handle);
      h.pinned = true;
      return (h.side === 'layer' ? this.ctx.layer : this.ctx.base).setlkw(h.inner, owner, lock, signal, quota);
    });
  }

  getlk(handle: HandleId, owner: string, lock: LockRange): Promise<LockConflict | null> {
    return this.run('getlk', () => {
      const h = this.file(handle);
      return (h.side === 'layer' ? this.ctx.layer : this.ctx.base).getlk(h.inner, owner, lock);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    try {
      this.handles.clear();
      this.ctx.nodes.clear();
      await this.ctx.layer.close();
      await this.ctx.base.close();
      this.ctx.trees.close();
    } finally {
      this.unlock();
    }
  }
}

function fileHandle(node: UNode, side: 'base' | 'layer', inner: HandleId, flags: number): FileHandle {
  return { kind: 'file', node, side, inner, flags, pinned: false, moving: null, retired: [] };
}

function added(node: NodeId, name: Buffer): VfsChange {
  return { kind: 'entry', node, name, change: 'added' };
}

function removed(node: NodeId, name: Buffer): VfsChange {
  return { kind: 'entry', node, name, change: 'removed' };
}

