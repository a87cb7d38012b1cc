// One 9P connection: framing, version negotiation, the tag and fid tables,
// concurrent dispatch, flush, backpressure and teardown.
//
// Flow: bytes → FrameReader (one reassembly buffer) → a copy of each frame
// (handlers are asynchronous and the framing buffer is reused) → decode →
// the dialect's handler table → reply frames written corked, once per tick.
//
// Requests run concurrently and answer in any order. A tag is registered
// with an AbortController while its request runs and is cleared BEFORE the
// reply is written, since a client may reuse it the moment it reads the
// reply. Tflush(oldtag) aborts the old request and waits for it: its reply,
// if any, is written before Rflush (flush(5): "the server should answer
// the flush message ... after the response to the original").
//
// Reading stops (the socket is paused and frames already read are queued)
// while any of these holds: a Tversion reset is in progress; maxInFlight
// requests are running; more than writeHighWater bytes wait for the
// socket; replies of this connection wait for its socket while all
// connections together have more than maxQueuedBytes waiting. So neither a
// fast sender nor clients that stop reading their replies make the server
// buffer without bound, and a client that reads its replies is not held up
// by those that do not.
//
// A connection that holds part of a frame and sends nothing more for
// frameTimeout ms (while the server is reading it) is closed.
//
// Credentials: built per attach and kept on the fid; see creds.ts for the
// rules and the two access models.
//
// Errors: a frame that fails to decode gets an error reply for its tag and
// the connection goes on; a size field below 7 or above msize loses the
// framing, so the connection is closed with the reason logged.

import type { Duplex } from 'node:stream';
import {
  decode,
  dialect9P2000,
  dialectByName,
  DecodeError,
  encodeInto,
  format,
  peekHeader,
  VERSION_UNKNOWN,
  Writer,
  IOHDRSZ,
  type AnyDialect,
  type AnyMessage,
  type DialectName,
} from '../codec/index.js';
import { FrameReader, FramingError } from '../framing.js';
import type { ErrnoCode } from '../../src/errno.js';
import type { Logger } from '../../src/log.js';
import { FidTable, NodeRefs, releaseFid } from './fids.js';
import { take, Tally, type Hold } from './limits.js';
import type { ReadAheads } from './handlers/read-ahead.js';
import type { ServedExport } from './exports.js';
import type { ServerOptions } from './options.js';
import { errnoOf } from '../../src/errors.js';
import { errorReply, ProtocolError } from './replies.js';
import { handlersFor, type Handler, type Reply } from './handlers/index.js';
import { Context, InFlight } from './request.js';

const TVERSION = 100;
/** Data replies smaller than this are allocated from Node's pool; bigger ones reuse msize buffers. */
const POOLED_REPLY = 16 * 1024;
const POOL_KEEP = 8;

/** What a session needs from its server. */
export interface SessionHost {
  readonly options: ServerOptions;
  exportFor(aname: string): ServedExport | undefined;
  /** Open files of all connections (ENFILE past the limit). */
  readonly openFiles: Tally;
  /** Reply bytes waiting for the sockets of all connections. */
  readonly queued: Tally;
  readonly readAheads: ReadAheads;
}

export class Session {
  readonly fids: FidTable;
  readonly refs = new NodeRefs();
  readonly log: Logger;
  /** Open files of this connection (EMFILE past maxOpenFiles). */
  readonly openFiles: Tally;
  /** Bytes of xattr values held by this connection's fids (ENOMEM past maxXattrBytes). */
  readonly xattrBytes: Tally;
  /** Negotiated dialect; undefined until a Tversion succeeds. */
  dialect: AnyDialect | undefined;
  msize: number;
  /** Resolves once the connection is closed and everything it held is released. */
  readonly closed: Promise<void>;

  private readonly framer: FrameReader;
  private readonly tags = new Map<number, InFlight>();
  private readonly queue: Buffer[] = [];
  private handlers: Readonly<Record<string, Handler>> = {};
  private scratch: Writer;
  private pool: Buffer[] = [];
  private resetting = false;
  private writeBlocked = false;
  private paused = false;
  private corked = false;
  private ending = false;
  private isClosed = false;
  private resolveClosed!: () => void;
  /** Reply bytes written to the connection and not yet handed to the kernel. */
  private queued = 0;
  private frameTimer: NodeJS.Timeout | undefined;
  /** When the partial frame being read last grew (ms clock); undefined with no partial frame. */
  private partialSince: number | undefined;
  private readonly onServerDrained = (): void => this.pump();

  constructor(
    readonly id: number,
    private readonly host: SessionHost,
    private readonly conn: Duplex,
  ) {
    const o = host.options;
    this.log = o.logger;
    this.fids = new FidTable(o.maxFids);
    this.openFiles = new Tally(o.maxOpenFiles, 'open files of this connection', 'EMFILE');
    this.xattrBytes = new Tally(o.maxXattrBytes, 'xattr bytes held by this connection', 'ENOMEM');
    host.queued.wait(this.onServerDrained);
    this.msize = o.maxMsize;
    this.scratch = new Writer(Buffer.allocUnsafe(8192));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.framer = new FrameReader(o.maxMsize, (frame) => this.onFrame(frame));
    conn.on('data', (chunk: Buffer) => this.push(chunk));
    conn.on('end', () => void this.end());
    conn.on('error', (e: Error) => this.log.debug(`9p session ${id}: connection error: ${e.message}`));
    conn.on('close', () => void this.teardown());
  }

  get options(): ServerOptions {
    return this.host.options;
  }

  get dialectName(): DialectName | undefined {
    return this.dialect?.name;
  }

  /** The iounit announced by open/create: a read or write of it fits one message. */
  get iounit(): number {
    return this.msize - IOHDRSZ;
  }

  get readAheads(): ReadAheads {
    return this.host.readAheads;
  }

  /** One open file counted against this connection's and the server's limits. */
  openSlot(op: string): Hold {
    return take([this.openFiles, this.host.openFiles], 1, op);
  }

  /** `n` bytes of an xattr value counted against this connection's limit. */
  xattrHold(n: number, op: string): Hold {
    return take([this.xattrBytes], n, op);
  }

  /** Requests now running. */
  get inFlight(): number {
    return this.tags.size;
  }

  exportFor(aname: string): ServedExport | undefined {
    return this.host.exportFor(aname);
  }

  /** The running request with `tag`, for Tflush. */
  running(tag: number): InFlight | undefined {
    return this.tags.get(tag);
  }

  /** How many bytes dataBuffer(size) takes. */
  dataBufferSize(size: number): number {
    return size < POOLED_REPLY ? size : this.msize;
  }

  /** A buffer for a data reply of `size` bytes and how to give it back once written. */
  dataBuffer(size: number): { buf: Buffer; release?: () => void } {
    if (size < POOLED_REPLY) return { buf: Buffer.allocUnsafe(size) };
    const msize = this.msize;
    const buf = this.pool.pop() ?? Buffer.allocUnsafeSlow(msize);
    return {
      buf,
      release: () => {
        if (buf.length === this.msize && this.pool.length < POOL_KEEP) this.pool.push(buf);
      },
    };
  }

  /** Feeds bytes read from the connection (transports with their own read loop call this). */
  push(chunk: Buffer): void {
    if (this.isClosed || this.ending) return;
    try {
      this.framer.push(chunk);
      this.watchPartialFrame();
    } catch (e) {
      if (e instanceof FramingError) {
        this.log.warn(`9p session ${this.id}: closing connection: ${e.message}`);
      } else {
        this.log.error(`9p session ${this.id}: closing connection after ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
      this.conn.destroy();
    }
  }

  /**
   * Stops reading, lets the requests in flight answer, then closes the
   * connection and releases everything (graceful shutdown).
   */
  async close(): Promise<void> {
    await this.end();
    await this.closed;
  }

  /** Closes at once: requests in flight are abandoned, nothing more is sent. */
  destroy(): void {
    this.conn.destroy();
  }

  private onFrame(view: Buffer): void {
    // The framer reuses its buffer: keep a copy (the one copy of Twrite data).
    const frame = Buffer.from(view);
    if (this.blocked() || this.queue.length > 0) {
      this.queue.push(frame);
      this.pauseReading();
      return;
    }
    this.dispatch(frame);
  }

  private blocked(): boolean {
    return this.resetting || this.writeBlocked || this.tags.size >= this.host.options.maxInFlight || (this.queued > 0 && this.host.queued.over);
  }

  private pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.conn.pause();
    this.watchPartialFrame();
  }

  /**
   * How long this connection has sat on part of a frame with nothing more
   * coming, in ms (0 when it holds no partial frame or the server is not
   * reading it). The server closes the longest such one to admit a new
   * connection at maxConnections.
   */
  stalledFor(now: number): number {
    return this.partialSince === undefined || this.paused ? 0 : now - this.partialSince;
  }

  /** Times a partial frame while the connection is read; closes it when nothing more comes in time. */
  private watchPartialFrame(): void {
    const ms = this.host.options.frameTimeout;
    this.partialSince = this.framer.pending === 0 || this.isClosed ? undefined : performance.now();
    if (this.framer.pending === 0 || this.paused || this.isClosed || ms === 0) {
      if (this.frameTimer !== undefined) clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
      return;
    }
    if (this.frameTimer !== undefined) {
      this.frameTimer.refresh();
      return;
    }
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      this.log.warn(`9p session ${this.id}: closing connection: ${this.framer.pending} bytes of a frame and nothing more for ${ms} ms`);
      this.conn.destroy();
    }, ms);
    this.frameTimer.unref();
  }

  /** Runs queued frames while nothing blocks, then reads again. */
  private pump(): void {
    while (!this.blocked() && this.queue.length > 0 && !this.isClosed) {
      this.dispatch(this.queue.shift() as Buffer);
    }
    if (this.paused && !this.blocked() && this.queue.length === 0 && !this.ending && !this.isClosed) {
      this.paused = false;
      this.conn.resume();
      this.watchPartialFrame();
    }
  }

  private dispatch(frame: Buffer): void {
    const { type, tag } = peekHeader(frame);
    if (type === TVERSION) {
      void this.version(frame, tag);
      return;
    }
    const d = this.dialect;
    if (d === undefined) {
      this.sendError(dialect9P2000, tag, 'EPROTO', 'Tversion must come first');
      return;
    }
    if (this.tags.has(tag)) {
      // intro(5): a tag stays in use until its reply; a second request with it is a client error.
      this.log.warn(`9p session ${this.id}: tag ${tag} reused while in flight`);
      this.sendError(d, tag, 'EBUSY', 'tag in use');
      return;
    }
    let msg: AnyMessage;
    try {
      msg = decode(d, frame).msg;
    } catch (e) {
      const reason = e instanceof DecodeError ? e.reason : 'unknown';
      this.log.debug(`9p session ${this.id}: tag ${tag}: undecodable type ${type} (${reason})`);
      this.sendError(d, tag, reason === 'unknown-type' ? 'ENOSYS' : 'EINVAL');
      return;
    }
    if (this.host.options.trace) this.log.debug(`9p ${this.id} recv [${tag}] ${format(msg)}`);
    const handler = this.handlers[msg.type];
    if (handler === undefined) {
      this.sendError(d, tag, 'ENOSYS');
      return;
    }
    const entry = new InFlight();
    this.tags.set(tag, entry);
    entry.done = this.run(handler, d, tag, msg, entry);
  }

  private async run(handler: Handler, d: AnyDialect, tag: number, msg: AnyMessage, entry: InFlight): Promise<void> {
    let reply: Reply;
    try {
      reply = await handler(new Context(this, tag, entry, d.name), msg);
    } catch (e) {
      const code = errnoOf(e, this.log, `9p session ${this.id} ${msg.type}`);
      reply = errorReply(d.name, code, e instanceof ProtocolError ? e.text : undefined);
    }
    this.tags.delete(tag);
    if (entry.suppressed || this.isClosed) {
      if ('frame' in reply) reply.release?.();
    } else {
      this.send(d, tag, reply);
    }
    this.pump();
  }

  private async version(frame: Buffer, tag: number): Promise<void> {
    let msize: number;
    let version: string;
    try {
      const m = decode(dialect9P2000, frame).msg;
      if (m.type !== 'Tversion') throw new DecodeError('unknown-type', 'not a Tversion');
      msize = m.msize;
      version = m.version;
    } catch {
      this.sendError(this.dialect ?? dialect9P2000, tag, 'EINVAL');
      return;
    }
    if (this.host.options.trace) this.log.debug(`9p ${this.id} recv [${tag}] Tversion{msize:${msize} version:${version}}`);
    // version(5): "all outstanding I/O on the connection is aborted; all
    // active fids are freed ('clunked') automatically".
    this.resetting = true;
    await this.abortAll();
    await this.releaseAllFids();
    // version(5): a version "9P2000.xyz" the server does not know may be
    // answered with "9P2000"; anything else not understood with "unknown".
    const d = dialectByName(version) ?? (version.startsWith('9P2000.') ? dialect9P2000 : undefined);
    const o = this.host.options;
    if (d !== undefined && msize < o.minMsize) {
      this.dialect = undefined;
      this.sendError(d, tag, 'EINVAL', `msize ${msize} is below the server's minimum ${o.minMsize}`);
    } else if (d === undefined) {
      this.dialect = undefined;
      this.send(dialect9P2000, tag, { type: 'Rversion', msize: Math.min(msize, o.maxMsize), version: VERSION_UNKNOWN });
    } else {
      this.msize = Math.min(msize, o.maxMsize);
      this.dialect = d;
      this.handlers = handlersFor(d.name);
      this.framer.setMsize(this.msize);
      this.scratch = new Writer(Buffer.allocUnsafe(this.msize));
      this.pool = [];
      this.send(dialect9P2000, tag, { type: 'Rversion', msize: this.msize, version: d.name });
    }
    this.resetting = false;
    this.pump();
  }

  private sendError(d: AnyDialect, tag: number, code: ErrnoCode, text?: string): void {
    this.send(d, tag, errorReply(d.name, code, text));
  }

  private send(d: AnyDialect, tag: number, reply: Reply): void {
    if (this.isClosed || this.conn.destroyed || !this.conn.writable) {
      if ('frame' in reply) reply.release?.();
      return;
    }
    let frame: Buffer;
    let release: (() => void) | undefined;
    if ('frame' in reply) {
      frame = reply.frame;
      release = reply.release;
      if (this.host.options.trace) this.log.debug(`9p ${this.id} send [${tag}] ${frame[4] === 117 ? 'Rread' : 'Rreaddir'}{<${frame.length - 11} bytes>}`);
    } else {
      if (this.host.options.trace) this.log.debug(`9p ${this.id} send [${tag}] ${format(reply)}`);
      try {
        const n = encodeInto(d, this.scratch.reset(), tag, reply);
        frame = Buffer.allocUnsafe(n);
        this.scratch.buf.copy(frame, 0, 0, n);
      } catch (e) {
        this.log.error(`9p session ${this.id}: cannot encode ${reply.type}: ${e instanceof Error ? e.message : String(e)}`);
        this.send(d, tag, errorReply(d.name, 'EIO'));
        return;
      }
    }
    if (!this.corked && this.tags.size > 0) {
      // Replies finished in the same tick leave in one write. With nothing
      // else in flight (a client waiting for each reply) the write goes out
      // at once: corking would only add a tick.
      this.corked = true;
      this.conn.cork();
      process.nextTick(() => {
        this.corked = false;
        this.conn.uncork();
      });
    }
    const n = frame.length;
    this.queued += n;
    this.host.queued.add(n);
    this.conn.write(frame, () => {
      release?.();
      this.written(n);
    });
    if (!this.writeBlocked && this.conn.writableLength > this.host.options.writeHighWater) {
      this.writeBlocked = true;
      this.conn.once('drain', () => {
        this.writeBlocked = false;
        this.pump();
      });
    }
  }

  /** A reply of `n` bytes left for the kernel (or was dropped with the connection). */
  private written(n: number): void {
    if (this.isClosed) return; // teardown gave back what was still queued
    this.queued -= n;
    this.host.queued.sub(n);
    // Held back only for the server-wide total: with nothing queued of its own, read again.
    if (this.queued === 0 && this.paused) this.pump();
  }

  /** Marks every running request as abandoned, aborts it and waits for it to settle. */
  private async abortAll(): Promise<void> {
    const running = [...this.tags.values()];
    for (const r of running) {
      r.suppressed = true;
      r.abort();
    }
    await Promise.all(running.map((r) => r.done));
  }

  private async releaseAllFids(): Promise<void> {
    for (const f of this.fids.drain()) await releaseFid(f, this.refs);
    // Whatever no fid accounted for (a bug elsewhere) goes back too, so a closed connection holds nothing.
    const left = await this.refs.releaseAll();
    if (left.handles + left.refs > 0) this.log.warn(`9p session ${this.id}: gave back ${left.handles} handles and ${left.refs} node references no fid held`);
  }

  /** The peer ended its side: answer what is in flight, then close ours. */
  private async end(): Promise<void> {
    if (this.ending || this.isClosed) return;
    this.ending = true;
    this.queue.length = 0;
    this.conn.pause();
    // Requests that wait (a blocking lock) end now; their replies are still sent.
    const running = [...this.tags.values()];
    for (const r of running) r.abort();
    await Promise.all(running.map((r) => r.done));
    if (this.conn.writable) await new Promise<void>((resolve) => this.conn.end(() => resolve()));
    if (!this.conn.destroyed) this.conn.destroy();
    await this.teardown();
  }

  private async teardown(): Promise<void> {
    if (this.isClosed) return this.closed;
    this.isClosed = true;
    this.queue.length = 0;
    this.watchPartialFrame();
    this.host.queued.unwait(this.onServerDrained);
    this.host.queued.sub(this.queued);
    this.queued = 0;
    await this.abortAll();
    await this.releaseAllFids();
    this.pool = [];
    this.resolveClosed();
  }
}
