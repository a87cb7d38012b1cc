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
// backing file refuses any open that is not passed through (EIO), so such
// a node's later opens always pass through (the Vfs answers per file, so
// that agrees with it, save a file made setuid meanwhile); and an inode in
// passthrough mode refuses cached opens, so once passthrough is on, an open
// that gets none (humfs, setuid files, a failed ioctl) is answered
// FOPEN_DIRECT_IO, which never enters either mode.
//
// humfs gets no passthrough: its store counts the bytes used in the
// superblock on every write, and a read passed through would force the
// writers of that file through too.
//
// setuid/setgid files (mode & 06000) get none either (vfs.hostDescriptor
// says null): a write by another user must clear the bits, and the Vfs
// does that on WRITE. Such opens are FOPEN_DIRECT_IO, where the kernel
// clears nothing itself and keeps the mode it cached, so the Vfs announces
// the clearing as an `implied` change and invalidate.ts drops the cached
// attributes before the WRITE is answered. (Measured on 6.18: a write
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
const DIRECT: OpenReplyFlags = { open_flags: FOPEN.DIRECT_IO, backing_id: 0 };

export class Passthrough {
  private native: Native | null = null;
  private dev = -1;
  /** Negotiated in INIT and not given up since. */
  private on = false;
  private readonly byNode = new Map<bigint, { id: number; users: number }>();
  private readonly byHandle = new Map<HandleId, { node: bigint; writable: boolean }>();
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
    let b = this.byNode.get(node);
    if (!b) {
      const fd = this.vfs.hostDescriptor(fh);
      if (fd === null) return DIRECT;
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
        return DIRECT;
      }
      this.byNode.set(node, b);
    }
    b.users++;
    this.byHandle.set(fh, { node, writable: (flags & O_ACCMODE) !== 0 });
    return { open_flags: FOPEN.PASSTHROUGH, backing_id: b.id };
  }

  /** FLUSH/FSYNC: what a writer wrote through the kernel is announced to the Vfs's listeners. */
  flushed(fh: HandleId): void {
    if (this.byHandle.get(fh)?.writable) this.vfs.hostWritten(fh);
  }

  /** RELEASE, before the Vfs handle goes: announce writes, drop the backing file with its last handle. */
  released(fh: HandleId): void {
    const h = this.byHandle.get(fh);
    if (!h) return;
    this.byHandle.delete(fh);
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
