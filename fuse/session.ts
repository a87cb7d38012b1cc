// One FUSE mount's conversation with the kernel: requests read from the
// /dev/fuse descriptor, decoded with fuse/codec, answered from a Vfs, one
// write per reply. `handle()` is the dispatcher on its own (bytes in, reply
// bytes out) so tests can feed it requests without a mount. Every handler
// is wrapped: a VfsError becomes its errno, anything else EIO with the
// stack logged; nothing a request does ends the session.

import fs from 'node:fs';
import type { Cred, Attr, Entry, NodeId, SetAttr, Vfs } from '../src/index.js';
import { linuxErrnoOf, O_ACCMODE, O_APPEND, O_RDWR, O_WRONLY, VfsError, type Logger } from '../src/index.js';
import { RefLedger } from '../src/ref-ledger.js';
import { loadNative } from '../native/index.js';
import { Passthrough, type OpenReplyFlags } from './passthrough.js';
import {
  FuseDecodeError,
  FATTR,
  FOPEN,
  INIT,
  beginData,
  decodeRequest,
  finishData,
  joinInitFlags,
  opcodeName,
  packDirents,
  splitInitFlags,
  type FuseAttr,
  type EntryOut,
  type FuseRequest,
  type InHeader,
} from './codec/index.js';
import { EINVAL, EIO, ENODEV, ENOENT, ENOSYS, ERANGE, data, fuseAttr, status, struct } from './reply.js';
import { FuseLocks } from './locks.js';
import { readdirPlus, type DirHost } from './readdir.js';
import { Invalidator, ownRequests } from './invalidate.js';
import { KeepCache } from './keep-cache.js';

export const FUSE_ROOT_ID = 1n;
/** Largest WRITE payload negotiated; reads of /dev/fuse use buffers this big plus headers. */
export const MAX_WRITE = 1 << 20;
const READ_BUFFER = MAX_WRITE + 4096;
/**
 * INIT flags taken when the kernel offers them. Not taken: EXPORT_SUPPORT
 * (LOOKUP of '.' and '..' is not answered), HANDLE_KILLPRIV (v1; v2 is
 * taken), WRITEBACK_CACHE unless SessionOptions.writeback.
 * HANDLE_KILLPRIV_V2: the core clears setuid/setgid itself on write,
 * truncate, O_TRUNC open and chown (by callers other than root), so the
 * kernel may skip its own check, which asked for security.capability (one
 * GETXATTR) before every write. Not with passthrough: a passthrough write
 * never reaches the server, so a file made setuid while a passthrough
 * handle is open on it would keep its bits through another user's write.
 */
const SUPPORTED =
  INIT.ASYNC_READ |
  INIT.BIG_WRITES |
  INIT.MAX_PAGES |
  INIT.PARALLEL_DIROPS |
  INIT.ATOMIC_O_TRUNC |
  INIT.POSIX_LOCKS |
  INIT.FLOCK_LOCKS |
  INIT.DO_READDIRPLUS |
  INIT.READDIRPLUS_AUTO |
  INIT.SETXATTR_EXT |
  INIT.HANDLE_KILLPRIV_V2;
/** lseek(2) whence values the kernel passes on in LSEEK. */
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
/**
 * Entry and attribute timeout (s) when the Vfs watches the host: host edits
 * arrive as invalidations, so the timeout only bounds what an unseen edit
 * (a hard link's other name in an unwatched directory) may cost.
 */
export const WATCHED_TIMEOUT = 60;
/** The most an unwatched node is trusted (s): revalidated on access, as without a watcher. */
const UNWATCHED_TIMEOUT = 1;

const KEEP: OpenReplyFlags = { open_flags: FOPEN.KEEP_CACHE, backing_id: 0 };
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
   * Let the kernel cache writes (FUSE_WRITEBACK_CACHE). Off by default: it
   * is safe only when nothing else changes the files, and 9P clients and
   * host edits share the tree. With it, write-only opens become read-write
   * (the kernel reads to fill partial pages), so an export that checks
   * permissions itself refuses a write-only open of a file the caller may
   * not read.
   */
  writeback?: boolean;
  /**
   * How long the kernel may trust a looked-up name, seconds (fractions
   * allowed). Default: WATCHED_TIMEOUT when the Vfs watches the host tree
   * (host edits then reach the kernel as invalidations), else 1. A node the
   * watcher does not cover (its watch budget spent) gets at most 1.
   */
  entryTimeout?: number;
  /** How long the kernel may trust attributes, seconds; defaults as entryTimeout. */
  attrTimeout?: number;
  /**
   * Give each reader after the first its own /dev/fuse descriptor
   * (FUSE_DEV_IOC_CLONE, needs the addon) instead of sharing one. Default
   * false: see the measurement in fuse/README.md.
   */
  cloneReaders?: boolean;
  /** Let the kernel read and write host files itself where it can (root only; see passthrough.ts). Default true. */
  passthrough?: boolean;
  /**
   * Read /dev/fuse on the event loop (the addon's `startReader`) instead of
   * with `readers` blocking reads on the thread pool. Default true where the
   * addon has it: a pool read hands every request from a pool thread to the
   * event loop, which was most of a LOOKUP's round trip (fuse/README.md).
   */
  loopReader?: boolean;
  /**
   * Let the kernel keep a file's cached pages across opens while its mtime
   * and size stay the same (FOPEN_KEEP_CACHE, libfuse's auto_cache; see
   * keep-cache.ts). Default true.
   */
  keepCache?: boolean;
}

/** Seconds (a float) as FUSE's whole seconds and nanoseconds. */
export function validity(seconds: number): { s: bigint; ns: number } {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`a FUSE timeout must be 0 or more seconds, not ${seconds}`);
  const whole = Math.floor(seconds);
  return { s: BigInt(whole), ns: Math.min(999_999_999, Math.round((seconds - whole) * 1e9)) };
}

export class FuseSession {
  readonly ledger: RefLedger;
  /** Opcode names answered ENOSYS, for logs and reports. */
  readonly unsupported = new Set<string>();
  /** Requests received, by opcode name, for reports and tests. */
  readonly counts = new Map<string, number>();
  readonly passthrough: Passthrough;
  private readonly keepCache: KeepCache;
  private readonly log: Logger;
  private readonly readers: number;
  private readonly entryValid: { s: bigint; ns: number };
  private readonly attrValid: { s: bigint; ns: number };
  /** The Vfs watches the host tree: covered nodes get the long timeouts and keep their page cache. */
  private readonly watching: boolean;
  /** Timeouts of a node the watcher does not cover. */
  private readonly entryShort: { s: bigint; ns: number };
  private readonly attrShort: { s: bigint; ns: number };
  private readonly cloneReaders: boolean;
  private readonly loopReader: boolean;
  /** The event-loop reader (loopReader), while it runs. */
  private reader: { stop(): void } | undefined;
  /** How requests are read: on the event loop, or by thread-pool reads (known once started). */
  readMode: 'loop' | 'pool' | undefined;
  /** Descriptors cloned for readers, closed when the session ends. */
  private clones: number[] = [];
  private fd = -1;
  private running = 0;
  private ended = false;
  private endWaiters: Array<() => void> = [];
  private readonly writeback: boolean;
  /** The INIT flags agreed with the kernel (0n before INIT). */
  agreed = 0n;
  /** Agreed at INIT: the kernel sends the 16-byte fuse_setxattr_in. */
  private setxattrExt = false;
  /** Agreed at INIT: the kernel's writeback cache is on. */
  private writebackOn = false;
  readonly locks: FuseLocks;
  /** Notices waiting to be written, by their bytes. */
  private readonly notices = new Map<string, Buffer>();
  private notifying = false;
  readonly invalidator: Invalidator;

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
    this.loopReader = opts.loopReader ?? true;
    this.watching = vfs.hostChangesSeen?.(vfs.root) === true;
    const longest = this.watching ? WATCHED_TIMEOUT : UNWATCHED_TIMEOUT;
    this.entryValid = validity(opts.entryTimeout ?? longest);
    this.attrValid = validity(opts.attrTimeout ?? longest);
    this.entryShort = validity(Math.min(opts.entryTimeout ?? longest, UNWATCHED_TIMEOUT));
    this.attrShort = validity(Math.min(opts.attrTimeout ?? longest, UNWATCHED_TIMEOUT));
    this.ledger = new RefLedger(vfs);
    this.writeback = opts.writeback ?? false;
    this.locks = new FuseLocks(vfs);
    this.invalidator = new Invalidator(vfs, this, this.ledger, (id) => this.toNodeid(id), (id) => id === vfs.root);
    this.passthrough = new Passthrough(vfs, opts.log, opts.passthrough ?? true);
    this.keepCache = new KeepCache(opts.keepCache ?? true);
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
    this.invalidator.attach(
      (msg) => this.notify(msg),
      (msg) => this.notifyNow(msg),
    );
    this.passthrough.device = fd;
    if (this.loopReader && this.startLoopReader(fd)) return;
    this.readMode = 'pool';
    for (let i = 0; i < this.readers; i++) this.readLoop(Buffer.allocUnsafe(READ_BUFFER), i === 0 ? fd : this.readerFd(fd));
  }

  /** Reads `fd` on the event loop through the addon; false when the addon cannot. */
  private startLoopReader(fd: number): boolean {
    const { native, reason } = loadNative();
    if (!native?.startReader || !native.stopReader) {
      this.log.debug(`fuse: requests read on the thread pool (${native ? 'the addon predates startReader: rebuild it' : reason})`);
      return false;
    }
    const buf = Buffer.allocUnsafe(READ_BUFFER);
    let handle: object;
    try {
      handle = native.startReader(fd, buf, (n) => this.loopRead(buf, n, fd));
    } catch (e) {
      this.log.debug(`fuse: requests read on the thread pool (startReader: ${(e as Error).message})`);
      return false;
    }
    const stop = native.stopReader.bind(native);
    this.reader = { stop: () => stop(handle) };
    this.readMode = 'loop';
    this.running++;
    return true;
  }

  /** One event-loop read: `n` bytes of a request in `buf`, or -errno. */
  private loopRead(buf: Buffer, n: number, fd: number): void {
    if (n > 0) {
      // `buf` is read into again right after this returns: the request keeps a copy.
      void this.handle(Buffer.from(buf.subarray(0, n))).then((reply) => this.send(reply, fd));
      return;
    }
    // ENOENT: the request was interrupted before it was read.
    if (n === -ENOENT) return;
    if (n !== -ENODEV) this.log.warn(`fuse: read of /dev/fuse failed: errno ${-n}`);
    this.reader?.stop();
    this.reader = undefined;
    this.readerDone();
  }

  /** True once every read of /dev/fuse failed for good. */
  get isEnded(): boolean {
    return this.ended;
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
    this.locks.abortAll();
    this.invalidator.close();
    for (const c of this.clones.splice(0)) fs.close(c, () => undefined);
    for (const w of this.endWaiters.splice(0)) w();
  }

  /**
   * A reply is written at once, synchronously: the kernel takes it without
   * waiting (unlike a notice), and a write through the thread pool cost a
   * hand-off to a pool thread per request.
   */
  private send(reply: Buffer | null, fd: number): void {
    if (!reply || fd < 0) return;
    try {
      fs.writeSync(fd, reply, 0, reply.length);
    } catch (e) {
      // ENOENT: the kernel gave up on the request (interrupted); ENODEV: unmounted.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENODEV') this.log.warn(`fuse: reply write failed: ${(e as Error).message}`);
    }
  }

  /**
   * An unsolicited message (unique 0). One is written at a time, the rest
   * wait (the same notice twice waits once): an invalidation may wait in
   * the kernel on a request only this process answers, and each one
   * written holds a thread-pool thread until it returns.
   */
  private notify(msg: Buffer): void {
    if (this.fd < 0) return;
    this.notices.set(msg.toString('latin1'), msg);
    if (!this.notifying) this.nextNotice();
  }

  /** A notice that must reach the kernel before the reply being prepared (one that waits on no request). */
  private notifyNow(msg: Buffer): void {
    if (this.fd < 0) return;
    try {
      fs.writeSync(this.fd, msg);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENODEV') this.log.debug(`fuse: notify failed: ${(e as Error).message}`);
    }
  }

  private nextNotice(): void {
    const first = this.notices.entries().next();
    if (first.done === true || this.fd < 0) {
      this.notifying = false;
      return;
    }
    const [key, msg] = first.value;
    this.notices.delete(key);
    this.notifying = true;
    fs.write(this.fd, msg, 0, msg.length, null, (err) => {
      // ENOENT: the kernel no longer caches that inode or name; ENODEV: unmounted.
      if (err && err.code !== 'ENOENT' && err.code !== 'ENODEV') this.log.debug(`fuse: notify failed: ${err.message}`);
      this.nextNotice();
    });
  }

  /** Answers one request; null for those that take no reply (FORGET, BATCH_FORGET, INTERRUPT). */
  async handle(req: Buffer): Promise<Buffer | null> {
    let header: InHeader;
    let msg: FuseRequest;
    try {
      ({ header, msg } = decodeRequest(req, { setxattrExt: this.setxattrExt }));
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
      // Changes made inside are this session's own: no invalidation is sent for them.
      return await ownRequests.run(this, () => this.dispatch(header, msg));
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
        let want = offered & (SUPPORTED | (this.writeback ? INIT.WRITEBACK_CACHE : 0n));
        if (pt.flags !== 0n) want &= ~INIT.HANDLE_KILLPRIV_V2;
        this.agreed = want | pt.flags;
        this.setxattrExt = (want & INIT.SETXATTR_EXT) !== 0n;
        this.writebackOn = (want & INIT.WRITEBACK_CACHE) !== 0n;
        const { flags, flags2 } = splitInitFlags(this.agreed);
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
        // Only a waiting SETLKW is cancelled; other requests are short and answer anyway.
        this.locks.interrupt(m.unique);
        return null;
      case 'FORGET':
        this.forget(h.nodeid, m.nlookup);
        return null;
      case 'BATCH_FORGET':
        for (const f of m.forgets) this.forget(f.nodeid, f.nlookup);
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
        // Pages cached by the kernel stay across opens: watched, a host edit drops them (an
        // invalidation); unwatched, while the file is as it was at its last open (auto_cache),
        // told by the attributes the open found.
        const watched = this.watching && this.covered(id());
        const flags = this.openFlags(m.flags);
        const { handle: fh, attr } = watched ? { handle: await this.ledger.open(cred, id(), flags), attr: undefined } : await this.ledger.openWithAttr(cred, id(), flags);
        const how = this.passthrough.opened(fh, h.nodeid, m.flags);
        const keep = how.open_flags === 0 && (attr === undefined || this.keepCache.opened(h.nodeid, attr));
        return this.openOut(u, fh, keep ? KEEP : how);
      }
      case 'READ': {
        const out = Buffer.allocUnsafe(16 + m.size);
        const slot = beginData(out, u);
        const n = await this.vfs.read(Number(m.fh), m.offset, slot.subarray(0, m.size));
        return finishData(out, n);
      }
      case 'READDIR': {
        const out = Buffer.allocUnsafe(16 + m.size);
        const slot = beginData(out, u).subarray(0, m.size);
        const list = await this.vfs.readdir(Number(m.fh), m.offset, Math.max(1, Math.floor(m.size / 32)));
        const packed = packDirents(slot, list.map((d) => ({ ino: d.ino, off: d.cookie, type: d.type, name: d.name })));
        return finishData(out, packed.bytes);
      }
      case 'READDIRPLUS':
        return readdirPlus(this.dirHost, u, cred, id(), m.fh, m.offset, m.size);
      case 'RELEASE':
      case 'RELEASEDIR':
        if (m.type === 'RELEASE') this.passthrough.released(Number(m.fh));
        await this.ledger.close(Number(m.fh), m.type === 'RELEASE' ? 'file' : 'dir');
        return status(u, 0);
      case 'FLUSH':
        // close(2) by a process: POSIX drops its locks on the file.
        await this.locks.flush(m.fh, m.lock_owner);
        this.passthrough.flushed(Number(m.fh));
        return status(u, 0);
      case 'FSYNCDIR':
        // Directory changes are made by the host's own calls, which are synchronous there.
        return status(u, 0);
      case 'MKNOD': {
        // mode carries the type; the kernel applied the umask already (no FUSE_DONT_MASK).
        const e = await this.vfs.mknod(cred, id(), Buffer.from(m.name), m.mode, BigInt(m.rdev));
        this.ledger.took(e);
        return this.entry(u, e);
      }
      case 'GETXATTR':
        return sized(u, m.size, await this.vfs.getxattr(cred, id(), Buffer.from(m.name).toString('utf8')));
      case 'LISTXATTR': {
        const names = await this.vfs.listxattr(cred, id());
        return sized(u, m.size, Buffer.concat(names.map((n) => Buffer.from(`${n}\0`, 'utf8'))));
      }
      case 'SETXATTR':
        await this.vfs.setxattr(cred, id(), Buffer.from(m.name).toString('utf8'), Buffer.from(m.value), m.flags);
        return status(u, 0);
      case 'REMOVEXATTR':
        await this.vfs.removexattr(cred, id(), Buffer.from(m.name).toString('utf8'));
        return status(u, 0);
      case 'GETLK':
        return struct(u, { type: 'lk_out', lk: await this.locks.getlk(m) });
      case 'SETLK':
      case 'SETLKW':
        return status(u, await this.locks.setlk(u, m, m.type === 'SETLKW'));
      case 'FALLOCATE':
        await this.vfs.fallocate(Number(m.fh), m.mode, m.offset, m.length);
        return status(u, 0);
      case 'COPY_FILE_RANGE': {
        // write_out carries a u32: the kernel asks at most that much here.
        const n = await this.vfs.copyRange(Number(m.fh_in), m.off_in, Number(m.fh_out), m.off_out, m.len > 0xffffffffn ? 0xffffffffn : m.len);
        return struct(u, { type: 'write_out', size: Number(n) });
      }
      case 'COPY_FILE_RANGE_64':
        return struct(u, { type: 'copy_file_range_out', bytes_copied: await this.vfs.copyRange(Number(m.fh_in), m.off_in, Number(m.fh_out), m.off_out, m.len) });
      case 'LSEEK':
        return this.lseek(u, m.fh, m.offset, m.whence);
      case 'CREATE': {
        // Without FUSE_DONT_MASK the kernel has applied the umask to `mode` already.
        const { entry, handle } = await this.vfs.create(cred, id(), Buffer.from(m.name), this.openFlags(m.flags), m.mode & 0o7777);
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
        // Seconds are the kernel's signed time64_t in a u64 field (times before 1970 are negative).
        if (v & FATTR.ATIME) set.atime = v & FATTR.ATIME_NOW ? 'now' : BigInt.asIntN(64, m.atime) * 1_000_000_000n + BigInt(m.atimensec);
        if (v & FATTR.MTIME) set.mtime = v & FATTR.MTIME_NOW ? 'now' : BigInt.asIntN(64, m.mtime) * 1_000_000_000n + BigInt(m.mtimensec);
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

  /**
   * LSEEK: the kernel asks only SEEK_DATA (3) and SEEK_HOLE (4). Without
   * the host call (no addon) the answer is ENOSYS, after which the kernel
   * uses its generic lseek for this mount (the whole file as data) and
   * asks no more; the session remembers it too.
   */
  private async lseek(u: bigint, fh: bigint, offset: bigint, whence: number): Promise<Buffer> {
    if (this.unsupported.has('LSEEK')) return status(u, ENOSYS);
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) return status(u, EINVAL);
    try {
      const at = await this.vfs.seek(Number(fh), BigInt.asIntN(64, offset), whence === SEEK_DATA ? 'data' : 'hole');
      return struct(u, { type: 'lseek_out', offset: at });
    } catch (e) {
      if (!(e instanceof VfsError) || e.code !== 'ENOSYS') throw e;
      this.unsupported.add('LSEEK');
      this.log.debug(`fuse: LSEEK answered ENOSYS (${e.message})`);
      return status(u, ENOSYS);
    }
  }

  /** FORGET: the kernel dropped `nlookup` references to `nodeid` (never the root's). */
  private forget(nodeid: bigint, nlookup: bigint): void {
    if (nodeid === FUSE_ROOT_ID) return;
    const id = this.toVfs(nodeid);
    this.ledger.forget(id, Number(nlookup));
    if (this.ledger.refsOf(id) === 0) this.keepCache.forgotten(nodeid);
  }

  private entry(u: bigint, e: Entry): Buffer {
    return struct(u, { type: 'entry_out', ...this.entryOut(e) });
  }

  /** What READDIRPLUS needs of the session. */
  private get dirHost(): DirHost {
    return { vfs: this.vfs, ledger: this.ledger, entryOut: (e) => this.entryOut(e), toVfs: (n) => this.toVfs(n) };
  }

  /** Whether host edits of node `id` reach the kernel as invalidations (with no watcher, timeouts are as configured). */
  private covered(id: NodeId): boolean {
    return !this.watching || this.vfs.hostChangesSeen?.(id) === true;
  }

  private entryOut(e: Entry): EntryOut {
    const covered = this.covered(e.id);
    const ev = covered ? this.entryValid : this.entryShort;
    const av = covered ? this.attrValid : this.attrShort;
    return {
      nodeid: this.toNodeid(e.id),
      generation: 0n,
      entry_valid: ev.s,
      attr_valid: av.s,
      entry_valid_nsec: ev.ns,
      attr_valid_nsec: av.ns,
      attr: this.fuseAttr(e.attr),
    };
  }

  private attrOut(u: bigint, a: Attr): Buffer {
    const av = this.covered(a.ino) ? this.attrValid : this.attrShort;
    return struct(u, { type: 'attr_out', attr_valid: av.s, attr_valid_nsec: av.ns, attr: this.fuseAttr(a) });
  }

  private openOut(u: bigint, fh: number, flags: OpenReplyFlags = { open_flags: 0, backing_id: 0 }): Buffer {
    return struct(u, { type: 'open_out', fh: BigInt(fh), ...flags });
  }

  private fuseAttr(a: Attr): FuseAttr {
    return fuseAttr(a, (id) => this.toNodeid(id));
  }

  /** With the writeback cache the kernel reads through write-only opens and appends itself. */
  private openFlags(flags: number): number {
    if (!this.writebackOn) return flags;
    const f = flags & ~O_APPEND;
    return (f & O_ACCMODE) === O_WRONLY ? (f & ~O_ACCMODE) | O_RDWR : f;
  }
}

/** libuv's thread pool size (UV_THREADPOOL_SIZE, read when the pool starts; 4 by default). */
function threadPoolSize(): number {
  const n = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(n) && n > 0 ? n : 4;
}

/**
 * A GETXATTR/LISTXATTR answer: size 0 asks how many bytes the value needs;
 * a smaller buffer than that is ERANGE.
 */
function sized(u: bigint, size: number, value: Buffer): Buffer {
  if (size === 0) return struct(u, { type: 'getxattr_out', size: value.length });
  if (value.length > size) return status(u, ERANGE);
  return data(u, value);
}
