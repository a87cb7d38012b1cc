// FUSE passthrough (root only: FUSE_DEV_IOC_BACKING_OPEN needs CAP_SYS_ADMIN):
// a file handle whose host descriptor the Vfs hands out (vfs.hostDescriptor)
// is registered with the kernel as a backing file, and the open reply says
// FOPEN_PASSTHROUGH: reads and writes then go from the kernel to the host
// file without reaching this process.
//
// Kernel rules this follows (fs/fuse/iomode.c): one FUSE inode has at most one
// backing file at a time, so every handle of a node shares the first one's
// backing id (the kernel opens its own backing file with each open's flags,
// so the registered descriptor only names the file); an inode with a
// backing file refuses any open that is not passed through on it (EIO),
// so such a node's later opens pass through too (the Vfs answers per file,
// so that agrees with it, save a file made setuid meanwhile); and an inode
// with cached opens refuses passthrough ones, so a node opened without
// passthrough (humfs, setuid files, a copy-on-write file still on its base,
// a failed ioctl) stays cached until those handles are released: its
// later opens are cached too.
//
// Sharing a node's backing file rests on the Vfs contract that every
// descriptor hostDescriptor gives for one node names the same host file: a
// copy-on-write union gives none for a file still on its base (once copied
// up the node's file is another one, and a writer sharing the base's
// backing file would write into the base).
//
// humfs gets no passthrough: its store counts the bytes used in the
// superblock on every write, and a read passed through would force the
// writers of that file through too.
//
// setuid/setgid files (mode & 06000) get none either (vfs.hostDescriptor
// says null): a write by another user must clear the bits, and the Vfs
// does that on WRITE; the kernel's cached write clears them too, and the
// Vfs announces the clearing as an `implied` change so invalidate.ts drops
// the cached attributes before the WRITE is answered. (Measured on 6.18: a write
// passed through does make the kernel send the clearing SETATTR itself,
// as for cached writes; that covers a file made setuid while a backing
// file was already open on it.)
//
// Coherence: writes through passthrough bypass the Vfs, so other clients
// (9P read-aheads) hear of them only when the writer flushes (close),
// fsyncs or releases: vfs.hostWritten raises the change then. Until then a
// 9P client may read data older than what a FUSE writer has written.

import type { HandleId, Logger, Vfs } from '../src/index.js';
import { FOPEN, INIT } from './codec/index.js';
import { loadNative, type Native } from '../native/index.js';

const O_ACCMODE = 3;

export interface OpenReplyFlags {
  open_flags: number;
  backing_id: number;
}

const NONE: OpenReplyFlags = { open_flags: 0, backing_id: 0 };

export class Passthrough {
  private native: Native | null = null;
  private dev = -1;
  /** Negotiated in INIT and not given up since. */
  private on = false;
  private readonly byNode = new Map<bigint, { id: number; users: number }>();
  /** Per FUSE node: how many of its handles are open without passthrough (cached). */
  private readonly cached = new Map<bigint, number>();
  private readonly byHandle = new Map<HandleId, { node: bigint; writable: boolean; cached: boolean }>();
  private said = false;

  constructor(
    private readonly vfs: Vfs,
    private readonly log: Logger,
    private readonly wanted: boolean,
  ) {}

  /** The /dev/fuse descriptor the ioctls go to. */
  set device(fd: number) {
    this.dev = fd;
  }

  /** Whether opens are being answered with passthrough. */
  get active(): boolean {
    return this.on;
  }

  /** Backing files registered now (one per node with passthrough handles open). */
  get backings(): number {
    return this.byNode.size;
  }

  /** INIT: the flags to add to the reply and its max_stack_depth (0 without passthrough). */
  negotiate(offered: bigint): { flags: bigint; maxStackDepth: number } {
    const off = { flags: 0n, maxStackDepth: 0 };
    if (!this.wanted) return off;
    if ((offered & INIT.PASSTHROUGH) === 0n) return this.once('off, the kernel does not offer FUSE_PASSTHROUGH'), off;
    if (process.getuid?.() !== 0) return this.once('off, not root (registering backing files needs CAP_SYS_ADMIN)'), off;
    const { native, reason } = loadNative();
    if (!native) return this.once(`off, ${reason}`), off;
    this.native = native;
    this.on = true;
    // Host files sit on plain filesystems (stack depth 0): one level above them.
    // PASSTHROUGH lives in flags2, which the kernel reads only with INIT_EXT.
    return { flags: INIT.PASSTHROUGH | INIT.INIT_EXT, maxStackDepth: 1 };
  }

  /** OPEN/CREATE: the reply flags for new handle `fh` on FUSE node `node`, opened with `flags`. */
  opened(fh: HandleId, node: bigint, flags: number): OpenReplyFlags {
    if (!this.on || !this.native) return NONE;
    const writable = (flags & O_ACCMODE) !== 0;
    let b = this.byNode.get(node);
    if (!b) {
      const fd = this.vfs.hostDescriptor(fh);
      if (fd === null || this.cached.has(node)) return this.openCached(fh, node, writable);
      try {
        b = { id: this.native.backingOpen(this.dev, fd), users: 0 };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        this.once(`FUSE_DEV_IOC_BACKING_OPEN failed: ${(e as Error).message}`);
        // Refused outright before anything was registered: go back to plain cached I/O.
        if (this.byNode.size === 0 && (code === 'EPERM' || code === 'EOPNOTSUPP' || code === 'ENOTTY')) {
          this.on = false;
          return NONE;
        }
        return this.openCached(fh, node, writable);
      }
      this.byNode.set(node, b);
    }
    b.users++;
    this.byHandle.set(fh, { node, writable, cached: false });
    return { open_flags: FOPEN.PASSTHROUGH, backing_id: b.id };
  }

  private openCached(fh: HandleId, node: bigint, writable: boolean): OpenReplyFlags {
    this.cached.set(node, (this.cached.get(node) ?? 0) + 1);
    this.byHandle.set(fh, { node, writable, cached: true });
    return NONE;
  }

  /** FLUSH/FSYNC: what a writer wrote through the kernel is announced to the Vfs's listeners. */
  flushed(fh: HandleId): void {
    const h = this.byHandle.get(fh);
    if (h?.writable && !h.cached) this.vfs.hostWritten(fh);
  }

  /** RELEASE, before the Vfs handle goes: announce writes, drop the backing file with its last handle. */
  released(fh: HandleId): void {
    const h = this.byHandle.get(fh);
    if (!h) return;
    this.byHandle.delete(fh);
    if (h.cached) {
      const left = (this.cached.get(h.node) ?? 1) - 1;
      if (left > 0) this.cached.set(h.node, left);
      else this.cached.delete(h.node);
      return;
    }
    if (h.writable) this.vfs.hostWritten(fh);
    const b = this.byNode.get(h.node);
    if (!b || --b.users > 0) return;
    this.byNode.delete(h.node);
    try {
      this.native?.backingClose(this.dev, b.id);
    } catch (e) {
      // ENODEV after unmount: the kernel dropped every backing file already.
      if ((e as NodeJS.ErrnoException).code !== 'ENODEV') this.log.warn(`fuse: FUSE_DEV_IOC_BACKING_CLOSE failed: ${(e as Error).message}`);
    }
  }

  /** Why passthrough is off or failed, logged once per session at debug. */
  private once(why: string): void {
    if (this.said) return;
    this.said = true;
    this.log.debug(`fuse: passthrough: ${why}`);
  }
}

