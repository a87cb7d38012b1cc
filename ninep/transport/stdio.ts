// One connection over inherited descriptors: stdin/stdout, or a pair
// "fd:R,W" (trans=fd through QEMU virtio-serial, socat, a parent process).
// Pipes and sockets become net.Sockets (libuv streams, no thread pool);
// anything else (a character device) is read and written through fs streams.

import fs from 'node:fs';
import net from 'node:net';
import { Duplex, type Readable, type Writable } from 'node:stream';

export interface FdPair {
  read: number;
  write: number;
}

/** Parses "stdio" or "fd:R,W" (R and W may be equal). */
export function parseFdPair(spec: string): FdPair {
  if (spec === 'stdio') return { read: 0, write: 1 };
  const m = /^fd:(\d+),(\d+)$/.exec(spec);
  if (m === null) throw new RangeError(`"${spec}" is not stdio or fd:R,W`);
  return { read: Number(m[1]), write: Number(m[2]) };
}

export interface FdOptions {
  /**
   * Receive incoming bytes here instead of as 'data' events: the chunk is a
   * view of ONE buffer reused for every read (net.Socket `onread`; measured
   * 4.3 GB/s against 2.3 for 'data' events), valid only during the call.
   * Only pipes and sockets support it; other descriptors still emit 'data'.
   */
  onread?: (chunk: Buffer) => void;
  /** Size of that buffer (default 1 MiB + 64 KiB). */
  readBufferSize?: number;
}

function socketOn(fd: number, readable: boolean, writable: boolean, opts: FdOptions): net.Socket | undefined {
  const onread = readable ? opts.onread : undefined;
  const base = { fd, readable, writable, allowHalfOpen: false };
  try {
    if (onread === undefined) return new net.Socket(base);
    const buffer = Buffer.allocUnsafe(opts.readBufferSize ?? (1 << 20) + (1 << 16));
    // `onread` is accepted by the Socket constructor (Node >= 12) though
    // @types/node lists it only for connect().
    const withOnread = { ...base, onread: { buffer, callback: (n: number, buf: Uint8Array): void => onread(Buffer.from(buf.buffer, buf.byteOffset, n)) } };
    return new net.Socket(withOnread);
  } catch {
    return undefined; // not a pipe or socket
  }
}

/**
 * Two one-way streams as one Duplex. Unlike Duplex.from, pause() and
 * resume() reach the readable side, so a reader that stops reading (the 9P
 * session's backpressure) really stops the descriptor being read, also
 * when bytes arrive through `onread`.
 */
class FdPairStream extends Duplex {
  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    // Half-open: after the input ends, replies still in flight are written.
    super({ allowHalfOpen: true });
    input.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) input.pause();
    });
    input.once('end', () => this.push(null));
    input.on('error', (e: Error) => this.destroy(e));
    output.on('error', (e: Error) => this.destroy(e));
  }

  override _read(): void {
    this.input.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.output.write(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.output.cork();
    chunks.forEach((c, i) => this.output.write(c.chunk, i === chunks.length - 1 ? cb : undefined));
    this.output.uncork();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.output.end(cb);
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.input.destroy();
    this.output.destroy();
    cb(e);
  }

  override pause(): this {
    this.input.pause();
    return super.pause();
  }

  override resume(): this {
    this.input.resume();
    return super.resume();
  }
}

/** A Duplex over the descriptor pair; the descriptors are closed with it. */
export function fdConnection(pair: FdPair, opts: FdOptions = {}): Duplex {
  if (pair.read === pair.write) {
    const both = socketOn(pair.read, true, true, opts);
    if (both !== undefined) return both;
  }
  const readable: Readable = socketOn(pair.read, true, false, opts) ?? fs.createReadStream('', { fd: pair.read, highWaterMark: 1 << 20 });
  const writable: Writable = socketOn(pair.write, false, true, opts) ?? fs.createWriteStream('', { fd: pair.write });
  return new FdPairStream(readable, writable);
}
