// One FUSE mount's conversation with the kernel: requests read from the
// /dev/fuse descriptor, decoded with fuse/codec, answered from a Vfs, one
// write per reply. `handle()` is the dispatcher on its own (bytes in, reply
// bytes out) so tests can feed it requests without a mount. Every handler
// is wrapped: a VfsError becomes its errno, anything else EIO with the
// stack logged; nothing a request does ends the session.

import fs from 'node:fs';
import type { Cred, Attr, Entry, NodeId, SetAttr, Vfs } from '../src/index.js';
import { linuxErrnoOf, type Logger } from '../src/index.js';
import { RefLedger } from '../src/ref-ledger.js';
import { loadNative } from './native/index.js';
import { Passthrough, type OpenReplyFlags } from './passthrough.js';
import {
  FuseDecodeError,
  FATTR,
  FuseWriter,
  INIT,
  beginData,
  decodeRequest,
  encodeReply,
  encodeStatus,
  finishData,
  joinInitFlags,
  opcodeName,
  packDirents,
  packDirentsPlus,
  splitInitFlags,
  type FuseAttr,
  type EntryOut,
  type FuseRequest,
  type InHeader,
} from './codec/index.js';

export const FUSE_ROOT_ID = 1n;
/** Largest WRITE payload negotiated; reads of /dev/fuse use buffers this big plus headers. */
export const MAX_WRITE = 1 << 20;
const READ_BUFFER = MAX_WRITE + 4096;
const ENOSYS = 38;
const EINVAL = 22;
const EIO = 5;
/** Entry and attribute timeouts, seconds. */
const VALID_S = 1n;
const SUPPORTED = INIT.ASYNC_READ | INIT.BIG_WRITES | INIT.MAX_PAGES | INIT.PARALLEL_DIROPS | INIT.ATOMIC_O_TRUNC;
/** FUSE_GETATTR_FH: getattr through the handle in `fh`. */
const GETATTR_FH = 1;

export interface SessionOptions {
  log: Logger;
  /**
   * Reads of /dev/fuse kept waiting at once (each holds a thread-pool
   * thread; at most UV_THREADPOOL_SIZE - 1). Default 2: measured on 2 cores
   * (tools/bench/fuse-readers.ts, 4 processes cat+stat of 1,200 files, about
   * 64,000 requests), readers 2/4/6, shared or cloned descriptors, pool 4 or
   * 8, all gave 8,000-10,000 requests/s within run-to-run noise: the one
   * JavaScript thread is the limit, not the reads.
   */
  readers?: number;
  /**
   * Give each reader after the first its own /dev/fuse descriptor
   * (FUSE_DEV_IOC_CLONE, needs the addon) instead of sharing one. Default
   * false: see the measurement in fuse/README.md.
   */
  cloneReaders?: boolean;
  /** Let the kernel read and write host files itself where it can (root only; see passthrough.ts). Default true. */
  passthrough?: boolean;
}

export class FuseSession {
  readonly ledger: RefLedger;
  /** Opcode names answered ENOSYS, for logs and reports. */
  readonly unsupported = new Set<string>();
  /** Requests received, by opcode name, for reports and tests. */
  readonly counts = new Map<string, number>();
  readonly passthrough: Passthrough;
  private readonly log: Logger;
  private readonly readers: number;
  private readonly cloneReaders: boolean;
  /** Descriptors cloned for readers, closed when the session ends. */
  private clones: number[] = [];
  private fd = -1;
  private running = 0;
  private ended = false;
  private endWaiters: Array<() => void> = [];

  constructor(
    readonly vfs: Vfs,
    opts: SessionOptions,
  ) {
    this.log = opts.log;
    const want = opts.readers ?? 2;
    // Each waiting read of /dev/fuse holds a thread-pool thread; with every
    // thread so held, the Vfs's own file calls never run and every request
    // waits forever (seen with readers=4 and the default pool of 4).
    const most = Math.max(1, threadPoolSize() - 1);
    if (want > most) this.log.warn(`fuse: ${want} readers would take every thread of the pool (UV_THREADPOOL_SIZE=${threadPoolSize()}): using ${most}`);
    this.readers = Math.min(want, most);
    this.cloneReaders = opts.cloneReaders ?? false;
    this.ledger = new RefLedger(vfs);
    this.passthrough = new Passthrough(vfs, opts.log, opts.passthrough ?? true);
  }

  /** FUSE nodeid of a Vfs node: the root is 1, others are offset past it so 1 never repeats. */
  toNodeid(id: NodeId): bigint {
    return id === this.vfs.root ? FUSE_ROOT_ID : BigInt(id) + 2n;
  }

  private toVfs(nodeid: bigint): NodeId {
    return nodeid === FUSE_ROOT_ID ? this.vfs.root : Number(nodeid - 2n);
  }

  /** Starts reading requests from `fd` (an open /dev/fuse, already mounted). */
  start(fd: number): void {
    this.fd = fd;
    this.passthrough.device = fd;
    for (let i = 0; i < this.readers; i++) this.readLoop(Buffer.allocUnsafe(READ_BUFFER), i === 0 ? fd : this.readerFd(fd));
  }

  /** Resolves once every read of /dev/fuse failed for good (ENODEV after unmount). */
  whenEnded(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /** A clone of `fd` for one more reader, or `fd` itself when clones are off or fail. */
  private readerFd(fd: number): number {
    if (!this.cloneReaders) return fd;
    const { native, reason } = loadNative();
    try {
      if (!native) throw new Error(reason);
      const c = native.cloneDevice(fd);
      this.clones.push(c);
      return c;
    } catch (e) {
      this.log.debug(`fuse: reader shares the descriptor (no clone: ${(e as Error).message})`);
      return fd;
    }
  }

  /** Reads requests from `fd` (the session's or a clone); a reply goes back to the descriptor its request came from. */
  private readLoop(buf: Buffer, fd: number): void {
    this.running++;
    const again = (): void => {
      fs.read(fd, buf, 0, buf.length, null, (err, n) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // ENOENT: the request was interrupted before we read it; EINTR/EAGAIN: try again.
          if (code === 'ENOENT' || code === 'EINTR' || code === 'EAGAIN') return again();
          if (code !== 'ENODEV') this.log.warn(`fuse: read of /dev/fuse failed: ${err.message}`);
          return this.readerDone();
        }
        // The buffer is read into again at once: the request keeps a copy.
        const req = Buffer.from(buf.subarray(0, n));
        again();
        void this.handle(req).then((reply) => this.send(reply, fd));
      });
    };
    again();
  }

  private readerDone(): void {
    if (--this.running > 0) return;
    this.ended = true;
    for (const c of this.clones.splice(0)) fs.close(c, () => undefined);
    for (const w of this.endWaiters.splice(0)) w();
  }

  private send(reply: Buffer | null, fd: number): void {
    if (!reply || fd < 0) return;
    fs.write(fd, reply, 0, reply.length, null, (err) => {
      // ENOENT: the kernel gave up on the request (interrupted); ENODEV: unmounted.
      if (err && err.code !== 'ENOENT' && err.code !== 'ENODEV') this.log.warn(`fuse: reply write failed: ${err.message}`);
    });
  }

  /** Answers one request; null for those that take no reply (FORGET, BATCH_FORGET, INTERRUPT). */
  async handle(req: Buffer): Promise<Buffer | null> {
    let header: InHeader;
    let msg: FuseRequest;
    try {
      ({ header, msg } = decodeRequest(req));
    } catch (e) {
      if (!(e instanceof FuseDecodeError) || e.unique === undefined) {
        this.log.warn(`fuse: undecodable request dropped: ${String(e)}`);
        return null;
      }
      const unknown = e.reason === 'unknown-opcode';
      if (unknown) {
        const name = req.length >= 8 ? `opcode ${req.readUInt32LE(4)}` : 'opcode ?';
        this.unsupported.add(name);
        this.log.debug(`fuse: ${name} answered ENOSYS`);
      } else this.log.warn(`fuse: malformed request: ${e.message}`);
      return status(e.unique, unknown ? ENOSYS : EINVAL);
    }
    this.counts.set(msg.type, (this.counts.get(msg.type) ?? 0) + 1);
    try {
      return await this.dispatch(header, msg);
    } catch (e) {
      const errno = linuxErrnoOf(e, this.log, `fuse ${opcodeName(header.opcode)}`);
      return status(header.unique, errno || EIO);
    }
  }

  private async dispatch(h: InHeader, m: FuseRequest): Promise<Buffer | null> {
    const cred: Cred = { uid: h.uid, gid: h.gid, pid: h.pid };
    const u = h.unique;
    const id = (): NodeId => this.toVfs(h.nodeid);
    switch (m.type) {
      case 'INIT': {
        const offered = joinInitFlags(m.flags, m.flags2);
        const pt = this.passthrough.negotiate(offered);
        const { flags, flags2 } = splitInitFlags((offered & SUPPORTED) | pt.flags);
        return struct(u, {
          type: 'init_out',
          major: 7,
          minor: 45,
          max_readahead: m.max_readahead,
          flags,
          max_background: 16,
          congestion_threshold: 12,
          max_write: MAX_WRITE,
          time_gran: 1,
          max_pages: MAX_WRITE / 4096,
          map_alignment: 0,
          flags2,
          max_stack_depth: pt.maxStackDepth,
          request_timeout: 0,
        });
      }
      case 'DESTROY':
        return status(u, 0);
      case 'INTERRUPT':
        // Requests here are short and not cancelled: the reply will come anyway.
        return null;
      case 'FORGET':
        if (h.nodeid !== FUSE_ROOT_ID) this.ledger.forget(id(), Number(m.nlookup));
        return null;
      case 'BATCH_FORGET':
        for (const f of m.forgets) if (f.nodeid !== FUSE_ROOT_ID) this.ledger.forget(this.toVfs(f.nodeid), Number(f.nlookup));
        return null;
      case 'LOOKUP':
        return this.entry(u, await this.ledger.lookup(cred, id(), Buffer.from(m.name)));
      case 'GETATTR': {
        const fh = (m.getattr_flags & GETATTR_FH) !== 0 ? Number(m.fh) : undefined;
        return this.attrOut(u, await this.vfs.getattr(id(), fh));
      }
      case 'STATFS': {
        const s = await this.vfs.statfs(id());
        return struct(u, {
          type: 'statfs_out',
          blocks: s.blocks,
          bfree: s.bfree,
          bavail: s.bavail,
          files: s.files,
          ffree: s.ffree,
          bsize: s.bsize,
          namelen: s.namelen,
          frsize: s.bsize,
        });
      }
      case 'ACCESS':
        await this.vfs.access(cred, id(), m.mask);
        return status(u, 0);
      case 'READLINK':
        return data(u, await this.vfs.readlink(id()));
      case 'OPENDIR':
        return this.openOut(u, await this.ledger.opendir(cred, id()));
      case 'OPEN': {
        const fh = await this.ledger.open(cred, id(), m.flags);
        return this.openOut(u, fh, this.passthrough.opened(fh, h.nodeid, m.flags));
      }
      case 'READ': {
        const out = Buffer.allocUnsafe(16 + m.size);
        const slot = beginData(out, u);
        const n = await this.vfs.read(Number(m.fh), m.offset, slot.subarray(0, m.size));
        return finishData(out, n);
      }
      case 'READDIR':
      case 'READDIRPLUS': {
        const out = Buffer.allocUnsafe(16 + m.size);
        const slot = beginData(out, u).subarray(0, m.size);
        const list = await this.vfs.readdir(Number(m.fh), m.offset, Math.max(1, Math.floor(m.size / 32)));
        const dirents = list.map((d) => ({ ino: d.ino, off: d.cookie, type: d.type, name: d.name }));
        // READDIRPLUS entries carry nodeid 0: the kernel then looks names up itself, so no reference is handed out here.
        const packed =
          m.type === 'READDIR'
            ? packDirents(slot, dirents)
            : packDirentsPlus(slot, dirents.map((d) => ({ entry: NO_ENTRY, dirent: d })));
        return finishData(out, packed.bytes);
      }
      case 'RELEASE':
      case 'RELEASEDIR':
        if (m.type === 'RELEASE') this.passthrough.released(Number(m.fh));
        await this.ledger.close(Number(m.fh), m.type === 'RELEASE' ? 'file' : 'dir');
        return status(u, 0);
      case 'FLUSH':
        this.passthrough.flushed(Number(m.fh));
        return status(u, 0);
      case 'CREATE': {
        // Without FUSE_DONT_MASK the kernel has applied the umask to `mode` already.
        const { entry, handle } = await this.vfs.create(cred, id(), Buffer.from(m.name), m.flags, m.mode & 0o7777);
        this.ledger.took(entry);
        this.ledger.opened(handle, 'file');
        const pt = this.passthrough.opened(handle, this.toNodeid(entry.id), m.flags);
        return struct(u, { type: 'create_out', ...this.entryOut(entry), fh: BigInt(handle), ...pt });
      }
      case 'WRITE': {
        const n = await this.vfs.write(Number(m.fh), m.offset, m.data);
        return struct(u, { type: 'write_out', size: n });
      }
      case 'MKDIR': {
        const e = await this.vfs.mkdir(cred, id(), Buffer.from(m.name), m.mode & 0o7777);
        this.ledger.took(e);
        return this.entry(u, e);
      }
      case 'SETATTR': {
        const v = m.valid;
        const set: SetAttr = {};
        if (v & FATTR.MODE) set.mode = m.mode & 0o7777;
        if (v & FATTR.UID) set.uid = m.uid;
        if (v & FATTR.GID) set.gid = m.gid;
        if (v & FATTR.SIZE) set.size = m.size;
        if (v & FATTR.ATIME) set.atime = v & FATTR.ATIME_NOW ? 'now' : m.atime * 1_000_000_000n + BigInt(m.atimensec);
        if (v & FATTR.MTIME) set.mtime = v & FATTR.MTIME_NOW ? 'now' : m.mtime * 1_000_000_000n + BigInt(m.mtimensec);
        // CTIME, LOCKOWNER, KILL_SUIDGID: the Vfs sets ctime itself and clears setuid bits on its own rules.
        const fh = v & FATTR.FH ? Number(m.fh) : undefined;
        return this.attrOut(u, await this.vfs.setattr(cred, id(), set, fh));
      }
      case 'SYMLINK': {
        const e = await this.vfs.symlink(cred, id(), Buffer.from(m.name), Buffer.from(m.link));
        this.ledger.took(e);
        return this.entry(u, e);
      }
      case 'LINK': {
        const e = await this.vfs.link(cred, this.toVfs(m.oldnodeid), id(), Buffer.from(m.newname));
        this.ledger.took(e);
        return this.entry(u, e);
      }
      case 'FSYNC':
        // FUSE_FSYNC_FDATASYNC is bit 0.
        await this.vfs.fsync(Number(m.fh), (m.fsync_flags & 1) !== 0);
        this.passthrough.flushed(Number(m.fh));
        return status(u, 0);
      case 'UNLINK':
        await this.vfs.unlink(cred, id(), Buffer.from(m.name));
        return status(u, 0);
      case 'RMDIR':
        await this.vfs.rmdir(cred, id(), Buffer.from(m.name));
        return status(u, 0);
      case 'RENAME':
      case 'RENAME2':
        await this.vfs.rename(cred, id(), Buffer.from(m.oldname), this.toVfs(m.newdir), Buffer.from(m.newname), m.type === 'RENAME2' ? m.flags : 0);
        return status(u, 0);
      default:
        this.unsupported.add(m.type);
        this.log.debug(`fuse: ${m.type} answered ENOSYS`);
        return status(u, ENOSYS);
    }
  }

  private entry(u: bigint, e: Entry): Buffer {
    return struct(u, { type: 'entry_out', ...this.entryOut(e) });
  }

  private entryOut(e: Entry): EntryOut {
    return {
      nodeid: this.toNodeid(e.id),
      generation: 0n,
      entry_valid: VALID_S,
      attr_valid: VALID_S,
      entry_valid_nsec: 0,
      attr_valid_nsec: 0,
      attr: this.fuseAttr(e.attr),
    };
  }

  private attrOut(u: bigint, a: Attr): Buffer {
    return struct(u, { type: 'attr_out', attr_valid: VALID_S, attr_valid_nsec: 0, attr: this.fuseAttr(a) });
  }

  private openOut(u: bigint, fh: number, flags: OpenReplyFlags = { open_flags: 0, backing_id: 0 }): Buffer {
    return struct(u, { type: 'open_out', fh: BigInt(fh), ...flags });
  }

  private fuseAttr(a: Attr): FuseAttr {
    const [as, ans] = split(a.atime);
    const [ms, mns] = split(a.mtime);
    const [cs, cns] = split(a.ctime);
    return {
      ino: this.toNodeid(a.ino),
      size: a.size,
      blocks: a.blocks,
      atime: as,
      mtime: ms,
      ctime: cs,
      atimensec: ans,
      mtimensec: mns,
      ctimensec: cns,
      mode: a.mode,
      nlink: a.nlink,
      uid: a.uid,
      gid: a.gid,
      rdev: Number(a.rdev & 0xffffffffn),
      blksize: a.blksize,
      flags: 0,
    };
  }
}

/** libuv's thread pool size (UV_THREADPOOL_SIZE, read when the pool starts; 4 by default). */
function threadPoolSize(): number {
  const n = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

const NO_ENTRY: EntryOut = {
  nodeid: 0n,
  generation: 0n,
  entry_valid: 0n,
  attr_valid: 0n,
  entry_valid_nsec: 0,
  attr_valid_nsec: 0,
  attr: {
    ino: 0n, size: 0n, blocks: 0n, atime: 0n, mtime: 0n, ctime: 0n, atimensec: 0, mtimensec: 0, ctimensec: 0,
    mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0, flags: 0,
  },
};

/** Nanoseconds since the epoch as FUSE's seconds and nanoseconds (times before 1970 clamp to 0). */
function split(ns: bigint): [bigint, number] {
  if (ns < 0n) return [0n, 0];
  return [ns / 1_000_000_000n, Number(ns % 1_000_000_000n)];
}

function struct(u: bigint, reply: Parameters<typeof encodeReply>[2]): Buffer {
  const w = new FuseWriter(Buffer.allocUnsafe(512));
  encodeReply(w, u, reply);
  return Buffer.from(w.view(0));
}

function status(u: bigint, errno: number): Buffer {
  const w = new FuseWriter(Buffer.allocUnsafe(16));
  encodeStatus(w, u, errno);
  return Buffer.from(w.view(0));
}

function data(u: bigint, bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16 + bytes.length);
  bytes.copy(beginData(out, u));
  return finishData(out, bytes.length);
}
