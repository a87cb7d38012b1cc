// ReadOnlyVfs: any Vfs, with every change refused with EROFS (virtiofsd's
// read-only passthrough does the same as a wrapper). Reads pass through.
// Open is allowed only for reading: write access or O_TRUNC is EROFS, as a
// read-only mount answers open(2) (O_CREAT is ignored by Vfs.open, and
// O_APPEND without write access changes nothing). setlk passes through: a lock changes
// nothing on disk (Linux allows read locks on a read-only mount too), and
// write locks need a writable handle, which cannot exist here.

import type { ChangeListener } from '../changes.js';
import { vfsError } from '../errors.js';
import type { Attr, Cred, DirEntry, Entry, HandleId, NodeId, SetAttr, StatFs } from '../types.js';
import { O_ACCMODE, O_TRUNC } from '../types.js';
import { openWithAttrOf, type AccessModel, type LockConflict, type LockQuota, type LockRange, type Vfs } from '../vfs.js';

/** An open that could change the file: for writing, or truncating. */
const writes = (flags: number): boolean => (flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0;

function erofs(op: string): Promise<never> {
  return Promise.reject(vfsError('EROFS', op));
}

export class ReadOnlyVfs implements Vfs {
  readonly root: NodeId;

  constructor(private readonly inner: Vfs) {
    this.root = inner.root;
  }

  lookup(cred: Cred, parent: NodeId, name: Buffer): Promise<Entry> {
    return this.inner.lookup(cred, parent, name);
  }
  parent(cred: Cred, dir: NodeId): Promise<Entry> {
    return this.inner.parent(cred, dir);
  }
  whereIs(id: NodeId): Promise<{ parent: NodeId; name: Buffer }> {
    return this.inner.whereIs(id);
  }
  forget(id: NodeId, count: number): void {
    this.inner.forget(id, count);
  }
  getattr(id: NodeId, handle?: HandleId): Promise<Attr> {
    return this.inner.getattr(id, handle);
  }
  setattr(): Promise<Attr> {
    return erofs('setattr');
  }
  async access(cred: Cred, id: NodeId, mask: number): Promise<void> {
    // access(2): W_OK on a read-only filesystem is EROFS (for files, dirs, ... alike).
    await this.inner.access(cred, id, mask & ~2);
    if (mask & 2) throw vfsError('EROFS', 'access');
  }
  open(cred: Cred, id: NodeId, flags: number): Promise<HandleId> {
    if (writes(flags)) return erofs('open');
    return this.inner.open(cred, id, flags);
  }
  openWithAttr(cred: Cred, id: NodeId, flags: number): Promise<{ handle: HandleId; attr: Attr }> {
    if (writes(flags)) return erofs('open');
    return openWithAttrOf(this.inner, cred, id, flags);
  }
  create(): Promise<{ entry: Entry; handle: HandleId }> {
    return erofs('create');
  }
  read(handle: HandleId, offset: bigint, into: Buffer): Promise<number> {
    return this.inner.read(handle, offset, into);
  }
  write(): Promise<number> {
    return erofs('write');
  }
  fallocate(): Promise<void> {
    return erofs('fallocate');
  }
  copyRange(): Promise<bigint> {
    return erofs('copy_file_range');
  }
  fsync(handle: HandleId, datasync: boolean): Promise<void> {
    return this.inner.fsync(handle, datasync);
  }
  seek(handle: HandleId, offset: bigint, whence: 'data' | 'hole'): Promise<bigint> {
    return this.inner.seek(handle, offset, whence);
  }
  hostDescriptor(handle: HandleId): number | null {
    // Every handle here is read-only: the kernel may read the host file itself.
    return this.inner.hostDescriptor(handle);
  }
  hostWritten(): void {
    // Nothing is written through a read-only handle.
  }
  release(handle: HandleId): Promise<void> {
    return this.inner.release(handle);
  }
  opendir(cred: Cred, id: NodeId): Promise<HandleId> {
    return this.inner.opendir(cred, id);
  }
  readdir(handle: HandleId, cookie: bigint, max: number): Promise<DirEntry[]> {
    return this.inner.readdir(handle, cookie, max);
  }
  releasedir(handle: HandleId): Promise<void> {
    return this.inner.releasedir(handle);
  }
  mkdir(): Promise<Entry> {
    return erofs('mkdir');
  }
  mknod(): Promise<Entry> {
    return erofs('mknod');
  }
  symlink(): Promise<Entry> {
    return erofs('symlink');
  }
  readlink(id: NodeId): Promise<Buffer> {
    return this.inner.readlink(id);
  }
  link(): Promise<Entry> {
    return erofs('link');
  }
  rename(): Promise<void> {
    return erofs('rename');
  }
  unlink(): Promise<void> {
    return erofs('unlink');
  }
  rmdir(): Promise<void> {
    return erofs('rmdir');
  }
  statfs(id: NodeId): Promise<StatFs> {
    return this.inner.statfs(id);
  }
  getxattr(cred: Cred, id: NodeId, name: string): Promise<Buffer> {
    return this.inner.getxattr(cred, id, name);
  }
  setxattr(): Promise<void> {
    return erofs('setxattr');
  }
  listxattr(cred: Cred, id: NodeId): Promise<string[]> {
    return this.inner.listxattr(cred, id);
  }
  removexattr(): Promise<void> {
    return erofs('removexattr');
  }
  setlk(handle: HandleId, owner: string, lock: LockRange, quota?: LockQuota): Promise<boolean> {
    return this.inner.setlk(handle, owner, lock, quota);
  }
  hostChangesSeen(id: NodeId): boolean {
    return this.inner.hostChangesSeen?.(id) ?? false;
  }
  onChange(listener: ChangeListener): () => void {
    return this.inner.onChange(listener);
  }
  get accessModel(): AccessModel {
    return this.inner.accessModel;
  }
  setlkw(handle: HandleId, owner: string, lock: LockRange, signal: AbortSignal, quota?: LockQuota): Promise<boolean> {
    return this.inner.setlkw(handle, owner, lock, signal, quota);
  }
  getlk(handle: HandleId, owner: string, lock: LockRange): Promise<LockConflict | null> {
    return this.inner.getlk(handle, owner, lock);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
