// A 9P client: version negotiation, fids, and one method per request of
// 9P2000, 9P2000.u and 9P2000.L. Each method sends one T-message and returns
// the fields of its R-message; an error reply rejects with NinepError.
// Methods that create a fid (attach, walk, xattrwalk) take it from the fid
// pool unless the caller names one; clunk and remove give it back.
// Multi-step helpers (walk a path, read a whole file) are in helpers.ts.

import type { Duplex } from 'node:stream';
import {
  dialectByName,
  IOHDRSZ,
  NOFID,
  NONUNAME,
  VERSION_UNKNOWN,
  type AnyDialect,
  type DialectName,
  type Qid,
  type Stat,
  type StatU,
} from '../codec/index.js';
import { Connection, type ConnectionOptions, type ReplyTo } from './connection.js';
import { ClientError } from './errors.js';
import { FidPool } from './fids.js';

export type Name = string | Buffer;

/** A name as wire bytes (file names are bytes: UTF-8 for strings). */
export function nameBytes(name: Name): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

export interface ClientOptions extends ConnectionOptions {
  /** msize to ask for (version(5)); the server may lower it. Default 1 MiB. */
  msize?: number;
  /** Dialect to ask for. Default 9P2000.L. */
  version?: DialectName;
}

export interface Attached {
  fid: number;
  qid: Qid;
}

export interface Walked {
  /** newfid: created only when every name was walked (walk(5)). */
  fid: number | undefined;
  wqid: Qid[];
}

export interface Opened {
  qid: Qid;
  /** Largest read/write count that fits one message: the server's iounit, or msize - IOHDRSZ if it gave 0. */
  iounit: number;
}

export class Client {
  readonly conn: Connection;
  readonly fids = new FidPool();
  private negotiated: { msize: number; dialect: AnyDialect } | undefined;

  constructor(stream: Duplex, opts: ClientOptions = {}) {
    this.conn = new Connection(stream, opts);
  }

  /** Opens a conversation: a client over `stream`, version already negotiated. */
  static async connect(stream: Duplex, opts: ClientOptions = {}): Promise<Client> {
    const client = new Client(stream, opts);
    try {
      await client.version(opts.msize ?? 1 << 20, opts.version ?? '9P2000.L');
    } catch (e) {
      client.conn.destroy();
      throw e;
    }
    return client;
  }

  get msize(): number {
    return this.need().msize;
  }

  get dialect(): AnyDialect {
    return this.need().dialect;
  }

  /** Largest data count of one Tread/Twrite. */
  get maxIo(): number {
    return this.msize - IOHDRSZ;
  }

  /**
   * version(5): proposes msize and a version. A server that knows none of
   * them answers "unknown" and this rejects with ClientError('version').
   * A new Tversion also abandons every fid (they are forgotten here).
   */
  async version(msize: number, version: DialectName | string): Promise<{ msize: number; version: string }> {
    const r = await this.conn.rpc({ type: 'Tversion', msize, version });
    const dialect = dialectByName(r.version);
    if (r.version === VERSION_UNKNOWN || !dialect) {
      throw new ClientError('version', `server answered version "${r.version}" to "${version}"`);
    }
    if (r.msize > msize || r.msize < IOHDRSZ + 1) {
      throw new ClientError('protocol', `server msize ${r.msize} for a proposed ${msize}`);
    }
    this.fids.reset();
    this.negotiated = { msize: r.msize, dialect };
    this.conn.dialect = dialect;
    this.conn.setMsize(r.msize);
    return { msize: r.msize, version: r.version };
  }

  async attach(opts: { uname?: string; aname?: string; n_uname?: number; fid?: number; afid?: number } = {}): Promise<Attached> {
    const fid = opts.fid ?? this.fids.take();
    try {
      const r = await this.conn.rpc({
        type: 'Tattach',
        fid,
        afid: opts.afid ?? NOFID,
        uname: opts.uname ?? '',
        aname: opts.aname ?? '',
        n_uname: opts.n_uname ?? NONUNAME,
      });
      return { fid, qid: r.qid };
    } catch (e) {
      this.fids.give(fid);
      throw e;
    }
  }

  async auth(afid: number, uname: string, aname: string, n_uname = NONUNAME): Promise<Qid> {
    return (await this.conn.rpc({ type: 'Tauth', afid, uname, aname, n_uname })).aqid;
  }

  /**
   * walk(5): walks `names` from fid. newfid is created only when all of them
   * are walked (or none was asked: a clone); a short Rwalk leaves it unused.
   */
  async walk(fid: number, names: readonly Name[], newfid?: number): Promise<Walked> {
    const nf = newfid ?? this.fids.take();
    const pooled = newfid === undefined;
    try {
      const r = await this.conn.rpc({ type: 'Twalk', fid, newfid: nf, wname: names.map(nameBytes) });
      const wqid = [...r.wqid];
      if (wqid.length === names.length) return { fid: nf, wqid };
      if (pooled) this.fids.give(nf);
      return { fid: undefined, wqid };
    } catch (e) {
      if (pooled) this.fids.give(nf);
      throw e;
    }
  }

  async clunk(fid: number): Promise<void> {
    try {
      await this.conn.rpc({ type: 'Tclunk', fid });
    } finally {
      this.fids.give(fid);
    }
  }

  /** remove(5): the fid is clunked whether or not the remove succeeds. */
  async remove(fid: number): Promise<void> {
    try {
      await this.conn.rpc({ type: 'Tremove', fid });
    } finally {
      this.fids.give(fid);
    }
  }

  flush(oldtag: number): Promise<void> {
    return this.conn.flush(oldtag);
  }

  /** Reads up to count bytes (a view of the private reply copy). */
  async read(fid: number, offset: bigint, count: number): Promise<Buffer> {
    return (await this.conn.rpc({ type: 'Tread', fid, offset, count })).data;
  }

  async write(fid: number, offset: bigint, data: Buffer): Promise<number> {
    return (await this.conn.rpc({ type: 'Twrite', fid, offset, data })).count;
  }

  // ---- 9P2000 and 9P2000.u ----

  /** open(5): mode is OREAD/OWRITE/ORDWR/OEXEC | OTRUNC | ORCLOSE. */
  async open(fid: number, mode: number): Promise<Opened> {
    const r = await this.conn.rpc({ type: 'Topen', fid, mode });
    return { qid: r.qid, iounit: this.iounit(r.iounit) };
  }

  /** open(5) create: fid (a directory) becomes the new, opened file. .u: extension for specials. */
  async create(fid: number, name: Name, perm: number, mode: number, extension: Name = ''): Promise<Opened> {
    const r = await this.conn.rpc({ type: 'Tcreate', fid, name: nameBytes(name), perm, mode, extension: nameBytes(extension) });
    return { qid: r.qid, iounit: this.iounit(r.iounit) };
  }

  async stat(fid: number): Promise<Stat | StatU> {
    return (await this.conn.rpc({ type: 'Tstat', fid })).stat;
  }

  async wstat(fid: number, stat: Stat | StatU): Promise<void> {
    await this.conn.rpc({ type: 'Twstat', fid, stat: stat as StatU });
  }

  // ---- 9P2000.L ----

  async statfs(fid: number): Promise<ReplyTo<'Tstatfs'>> {
    return this.conn.rpc({ type: 'Tstatfs', fid });
  }

  /** flags are Linux open(2) bits (P9_DOTL_*). */
  async lopen(fid: number, flags: number): Promise<Opened> {
    const r = await this.conn.rpc({ type: 'Tlopen', fid, flags });
    return { qid: r.qid, iounit: this.iounit(r.iounit) };
  }

  /** Creates name in directory fid and opens it; fid becomes the new file. */
  async lcreate(fid: number, name: Name, flags: number, mode: number, gid = 0): Promise<Opened> {
    const r = await this.conn.rpc({ type: 'Tlcreate', fid, name: nameBytes(name), flags, mode, gid });
    return { qid: r.qid, iounit: this.iounit(r.iounit) };
  }

  async symlink(dfid: number, name: Name, target: Name, gid = 0): Promise<Qid> {
    return (await this.conn.rpc({ type: 'Tsymlink', fid: dfid, name: nameBytes(name), symtgt: nameBytes(target), gid })).qid;
  }

  async mknod(dfid: number, name: Name, mode: number, major: number, minor: number, gid = 0): Promise<Qid> {
    return (await this.conn.rpc({ type: 'Tmknod', dfid, name: nameBytes(name), mode, major, minor, gid })).qid;
  }

  /** Trename: moves fid's file to name in directory dfid. */
  async rename(fid: number, dfid: number, name: Name): Promise<void> {
    await this.conn.rpc({ type: 'Trename', fid, dfid, name: nameBytes(name) });
  }

  async renameat(olddirfid: number, oldname: Name, newdirfid: number, newname: Name): Promise<void> {
    await this.conn.rpc({ type: 'Trenameat', olddirfid, oldname: nameBytes(oldname), newdirfid, newname: nameBytes(newname) });
  }

  /** flags: 0, or P9_DOTL_AT_REMOVEDIR for a directory. */
  async unlinkat(dirfd: number, name: Name, flags = 0): Promise<void> {
    await this.conn.rpc({ type: 'Tunlinkat', dirfd, name: nameBytes(name), flags });
  }

  async readlink(fid: number): Promise<Buffer> {
    return (await this.conn.rpc({ type: 'Treadlink', fid })).target;
  }

  async getattr(fid: number, request_mask: bigint): Promise<ReplyTo<'Tgetattr'>> {
    return this.conn.rpc({ type: 'Tgetattr', fid, request_mask });
  }

  /** Tsetattr: only the fields whose P9_SETATTR_* bit is in `valid` are used; the rest go as 0. */
  async setattr(fid: number, attrs: Partial<Omit<SetattrFields, 'fid'>> & { valid: number }): Promise<void> {
    await this.conn.rpc({
      type: 'Tsetattr',
      fid,
      valid: attrs.valid,
      mode: attrs.mode ?? 0,
      uid: attrs.uid ?? 0,
      gid: attrs.gid ?? 0,
      size: attrs.size ?? 0n,
      atime_sec: attrs.atime_sec ?? 0n,
      atime_nsec: attrs.atime_nsec ?? 0n,
      mtime_sec: attrs.mtime_sec ?? 0n,
      mtime_nsec: attrs.mtime_nsec ?? 0n,
    });
  }

  /**
   * Txattrwalk: newfid reads the value of xattr `name` (or, with an empty
   * name, the NUL-separated list of names); `size` is its length.
   */
  async xattrwalk(fid: number, name: string, newfid?: number): Promise<{ fid: number; size: bigint }> {
    const nf = newfid ?? this.fids.take();
    try {
      const r = await this.conn.rpc({ type: 'Txattrwalk', fid, newfid: nf, name });
      return { fid: nf, size: r.size };
    } catch (e) {
      if (newfid === undefined) this.fids.give(nf);
      throw e;
    }
  }

  /** Txattrcreate: fid turns into a write-only xattr fid; the value is written, then set at clunk. */
  async xattrcreate(fid: number, name: string, attr_size: bigint, flags: number): Promise<void> {
    await this.conn.rpc({ type: 'Txattrcreate', fid, name, attr_size, flags });
  }

  /** Rreaddir data (packed entries, at most count bytes); see unpackDirents. */
  async readdir(fid: number, offset: bigint, count: number): Promise<Buffer> {
    return (await this.conn.rpc({ type: 'Treaddir', fid, offset, count })).data;
  }

  async fsync(fid: number, datasync = 0): Promise<void> {
    await this.conn.rpc({ type: 'Tfsync', fid, datasync });
  }

  /** Tlock: returns the status byte (P9_LOCK_SUCCESS, _BLOCKED, _ERROR, _GRACE). */
  async lock(fid: number, l: LockRequest & { flags?: number }): Promise<number> {
    const r = await this.conn.rpc({
      type: 'Tlock',
      fid,
      lock_type: l.lock_type,
      flags: l.flags ?? 0,
      start: l.start,
      length: l.length,
      proc_id: l.proc_id,
      client_id: l.client_id,
    });
    return r.status;
  }

  /** Tgetlock: the first conflicting lock, or lock_type UNLCK if none. */
  async getlock(fid: number, l: LockRequest): Promise<ReplyTo<'Tgetlock'>> {
    return this.conn.rpc({ type: 'Tgetlock', fid, ...l });
  }

  async link(dfid: number, fid: number, name: Name): Promise<void> {
    await this.conn.rpc({ type: 'Tlink', dfid, fid, name: nameBytes(name) });
  }

  async mkdir(dfid: number, name: Name, mode: number, gid = 0): Promise<Qid> {
    return (await this.conn.rpc({ type: 'Tmkdir', dfid, name: nameBytes(name), mode, gid })).qid;
  }

  /** Closes the connection; the server releases every fid it held. */
  close(): Promise<void> {
    return this.conn.close();
  }

  private iounit(given: number): number {
    const max = this.maxIo;
    return given > 0 && given < max ? given : max;
  }

  private need(): { msize: number; dialect: AnyDialect } {
    if (!this.negotiated) throw new ClientError('usage', 'no version negotiated yet');
    return this.negotiated;
  }
}

export interface SetattrFields {
  fid: number;
  valid: number;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  atime_sec: bigint;
  atime_nsec: bigint;
  mtime_sec: bigint;
  mtime_nsec: bigint;
}

export interface LockRequest {
  lock_type: number;
  start: bigint;
  length: bigint;
  proc_id: number;
  client_id: string;
}
