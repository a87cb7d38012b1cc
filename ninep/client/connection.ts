// One 9P conversation over a byte stream: frames out, frames in, replies
// matched to requests by tag. Any number of requests may be in flight
// (pipelining); replies may come back in any order. Knows nothing of fids or
// files: client.ts builds the operations on top.
//
// Frames from FrameReader are views valid only inside its callback, and a
// reply is consumed later (after a promise resolves), so each reply frame is
// copied once before decoding.

import type { Duplex } from 'node:stream';
import {
  decode,
  dialect9P2000,
  dialect9P2000L,
  encode,
  format,
  peekHeader,
  NOTAG,
  type AnyDialect,
  type AnyMessage,
} from '../codec/index.js';
import { FrameReader } from '../framing.js';
import { nullLogger, type Logger } from '../../src/log.js';
import { ClientError, NinepError } from './errors.js';
import { TagPool } from './tags.js';

/** Every T-message of every dialect. */
export type Request = Extract<AnyMessage, { type: `T${string}` }>;
/** The R-message that answers a T-message type ('Twalk' → Rwalk). */
export type ReplyTo<T extends string> = T extends `T${infer S}` ? Extract<AnyMessage, { type: `R${S}` }> : never;

/** A request on the wire: its tag (for Tflush) and its coming reply. */
export interface InFlight<R> {
  tag: number;
  reply: Promise<R>;
}

interface Pending {
  request: string;
  resolve: (msg: AnyMessage) => void;
  reject: (e: Error) => void;
  /** The reply (or flush) has settled the request. */
  settled: boolean;
  /** Tflush requests outstanding for this tag: the tag stays taken until they end. */
  flushes: number;
  /** Hand the tag back when done (false for caller-chosen raw tags). */
  pooled: boolean;
  /** Raw requests get error replies as messages instead of NinepError. */
  raw: boolean;
}

export interface ConnectionOptions {
  /** Largest frame accepted before Tversion settles msize. Default 1 MiB + header room. */
  maxFrame?: number;
  /** How many requests may be in flight at once (tags). Default 65535. */
  maxInFlight?: number;
  logger?: Logger;
  /** Log every frame at debug level. */
  trace?: boolean;
}

export class Connection {
  /** The dialect replies are decoded with; set by Tversion. */
  dialect: AnyDialect = dialect9P2000;
  private readonly tags: TagPool;
  private readonly pending = new Map<number, Pending>();
  private readonly reader: FrameReader;
  private readonly logger: Logger;
  private readonly trace: boolean;
  private failure: ClientError | undefined;
  /** Resolves once the stream has ended and every request has been settled. */
  readonly closed: Promise<void>;

  constructor(
    private readonly stream: Duplex,
    opts: ConnectionOptions = {},
  ) {
    this.logger = opts.logger ?? nullLogger;
    this.trace = opts.trace ?? false;
    this.tags = new TagPool(opts.maxInFlight ?? NOTAG);
    this.reader = new FrameReader(opts.maxFrame ?? (1 << 20) + 4096, (frame) => this.onFrame(frame));
    this.closed = new Promise((resolve) => {
      stream.on('close', () => {
        this.fail(new ClientError('closed', 'connection closed'));
        resolve();
      });
    });
    stream.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      try {
        this.reader.push(chunk);
      } catch (e) {
        this.fail(new ClientError('protocol', `bad frame from server: ${(e as Error).message}`, { cause: e }));
        stream.destroy();
      }
    });
    stream.on('end', () => {
      this.fail(new ClientError('closed', 'server closed the connection'));
      stream.end();
    });
    stream.on('error', (e: Error) => this.fail(new ClientError('closed', `connection failed: ${e.message}`, { cause: e })));
  }

  /** Why the connection is unusable, or undefined while it works. */
  get error(): ClientError | undefined {
    return this.failure;
  }

  /** Requests in flight (tags taken). */
  get inFlight(): number {
    return this.tags.inUse;
  }

  /** Lowers the largest accepted frame to the negotiated msize. */
  setMsize(msize: number): void {
    this.reader.setMsize(msize);
  }

  /** Sends a request and returns its tag at once, with a promise of the reply. */
  async send<M extends Request>(msg: M): Promise<InFlight<ReplyTo<M['type']>>> {
    if (this.failure) throw this.failure;
    const tag = msg.type === 'Tversion' ? NOTAG : await this.tags.take();
    if (this.failure) {
      if (tag !== NOTAG) this.tags.give(tag);
      throw this.failure;
    }
    let frame: Buffer;
    try {
      frame = encode(this.dialect, tag, msg);
    } catch (e) {
      if (tag !== NOTAG) this.tags.give(tag);
      throw new ClientError('usage', `cannot encode ${msg.type} in ${this.dialect.name}: ${(e as Error).message}`, { cause: e });
    }
    const reply = this.expect(tag, msg.type, tag !== NOTAG, false) as Promise<ReplyTo<M['type']>>;
    if (this.trace) this.logger.debug(`send [${tag}] ${format(msg)}`);
    this.stream.write(frame);
    return { tag, reply };
  }

  /** Sends a request and waits for its reply; an error reply rejects with NinepError. */
  async rpc<M extends Request>(msg: M): Promise<ReplyTo<M['type']>> {
    return (await this.send(msg)).reply;
  }

  /**
   * Sends bytes as they are, for a reply on `tag` (tests of malformed input).
   * The reply, error replies included, comes back as a message. The tag is
   * the caller's: it must not be one this connection has in flight.
   */
  sendRaw(frame: Buffer, tag: number): Promise<AnyMessage> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.has(tag)) return Promise.reject(new ClientError('usage', `tag ${tag} is in flight`));
    const reply = this.expect(tag, 'raw', false, true);
    this.stream.write(frame);
    return reply;
  }

  /** Takes a tag out of the pool (for a caller building raw frames); give it back with releaseTag. */
  takeTag(): Promise<number> {
    return this.tags.take();
  }

  releaseTag(tag: number): void {
    this.tags.give(tag);
  }

  /**
   * flush(5): asks the server to abandon the request on `oldtag`. If the
   * request's reply comes first it settles the request as usual; if Rflush
   * comes first the request rejects with ClientError('flushed'). Either way
   * the old tag is reused only after Rflush.
   */
  async flush(oldtag: number): Promise<void> {
    const old = this.pending.get(oldtag);
    if (old) old.flushes++;
    try {
      await this.rpc({ type: 'Tflush', oldtag });
    } finally {
      if (old) {
        old.flushes--;
        if (!old.settled) {
          old.settled = true;
          old.reject(new ClientError('flushed', `${old.request} [${oldtag}] flushed before its reply`));
        }
        if (old.flushes === 0) this.retire(oldtag, old);
      }
    }
  }

  /** Ends the stream; requests still in flight reject with ClientError('closed'). */
  async close(): Promise<void> {
    this.stream.end();
    const timer = setTimeout(() => this.stream.destroy(), 2000);
    await this.closed;
    clearTimeout(timer);
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.stream.destroy();
  }

  private expect(tag: number, request: string, pooled: boolean, raw: boolean): Promise<AnyMessage> {
    return new Promise<AnyMessage>((resolve, reject) => {
      this.pending.set(tag, { request, resolve, reject, settled: false, flushes: 0, pooled, raw });
    });
  }

  private retire(tag: number, p: Pending): void {
    if (this.pending.get(tag) !== p) return;
    this.pending.delete(tag);
    if (p.pooled) this.tags.give(tag);
  }

  private onFrame(view: Buffer): void {
    const frame = Buffer.from(view);
    const { tag, type } = peekHeader(frame);
    const p = this.pending.get(tag);
    if (!p || p.settled) {
      throw new ClientError('protocol', `reply type ${type} on tag ${tag}, which has no request waiting`);
    }
    p.settled = true;
    if (p.flushes === 0) this.retire(tag, p);
    let msg: AnyMessage;
    try {
      // Rversion has the same layout in every dialect; an Rlerror can answer
      // Tversion too, and only the .L table knows it.
      const d = p.request === 'Tversion' ? (type === 7 ? dialect9P2000L : dialect9P2000) : this.dialect;
      msg = decode(d, frame).msg;
    } catch (e) {
      p.reject(new ClientError('protocol', `undecodable reply to ${p.request}: ${(e as Error).message}`, { cause: e }));
      return;
    }
    if (this.trace) this.logger.debug(`recv [${tag}] ${format(msg)}`);
    if (p.raw) return p.resolve(msg);
    if (msg.type === 'Rlerror') return p.reject(NinepError.fromLerror(p.request, msg.ecode));
    if (msg.type === 'Rerror') {
      return p.reject(NinepError.fromRerror(p.request, msg.ename, 'errno' in msg ? msg.errno : undefined));
    }
    if (msg.type !== `R${p.request.slice(1)}`) {
      return p.reject(new ClientError('protocol', `${msg.type} answers ${p.request}`));
    }
    p.resolve(msg);
  }

  private fail(e: ClientError): void {
    if (this.failure) return;
    this.failure = e;
    for (const [tag, p] of this.pending) {
      this.pending.delete(tag);
      if (!p.settled) {
        p.settled = true;
        p.reject(e);
      }
    }
    // Queued senders wake with a tag, see the failure and throw it.
    for (const waiter of this.tags.dropWaiters()) waiter(NOTAG);
  }
}
