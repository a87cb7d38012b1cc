// Byte stream -> whole 9P frames. Knows only the size[4] prefix of intro(5):
// "size[4] ... is the size of the message ... including the four bytes of
// size itself". A frame shorter than the 7-byte header, or longer than the
// negotiated msize, means framing is lost: the reader fails for good and the
// connection must close (a later size field cannot be trusted).
//
// Allocation: a frame that lies wholly inside one incoming chunk is handed
// over as a view of that chunk (no copy). Only a frame split across chunks
// is reassembled, into ONE buffer owned by the reader and reused for every
// such frame. So a delivered frame is valid only until onFrame returns: a
// consumer that keeps it (async handlers do) must copy it first. The chunks
// themselves may also be reused by the transport (net.Socket `onread`).
// Measured (test/ninep/codec/bench.ts): handing out views runs 5x to 30x
// faster than copying every frame, so copying is left to consumers that
// need it.
//
// Outgoing frames need no framing step: encode()/encodeInto() and the
// in-place data replies (codec/io.ts) already write size[4] first.

/** Why framing failed. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
  constructor(
    readonly reason: 'undersize' | 'oversize',
    readonly size: number,
    message: string,
  ) {
    super(message);
  }
}

/** size[4] type[1] tag[2]: the smallest possible message. */
export const MIN_FRAME = 7;

/** How much of a split frame is buffered before its announced size is allocated. */
const FIRST_PART = 64 * 1024;

export class FrameReader {
  private msize: number;
  /**
   * Reassembly buffer for frames split across chunks, kept for the next
   * ones. A frame's first bytes get at most FIRST_PART; only a frame that
   * goes past that gets its whole announced size (in one step, so growing
   * leaves little garbage). A peer that announces a big frame and sends a
   * few bytes of it costs little.
   */
  private acc: Buffer = Buffer.alloc(0);
  /** Bytes of a partial frame in acc. */
  private have = 0;
  private failed: FramingError | undefined;

  /**
   * @param msize largest frame accepted (before Tversion: the server's own maximum)
   * @param onFrame called synchronously with each whole frame, a view valid until it returns
   */
  constructor(
    msize: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {
    this.msize = checkMsize(msize);
  }

  /** The largest frame now accepted. Tversion lowers it to the negotiated msize. */
  get maxFrame(): number {
    return this.msize;
  }

  setMsize(msize: number): void {
    this.msize = checkMsize(msize);
  }

  /** Bytes held of a frame not yet complete (non-zero at end of stream = truncated). */
  get pending(): number {
    return this.have;
  }

  /**
   * Feeds bytes. Delivers every frame completed by them, in order. Throws
   * FramingError on a bad size field, then on every later call.
   * An exception from onFrame propagates and leaves the reader unusable.
   */
  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    let off = 0;
    const len = chunk.length;
    if (this.have > 0) {
      off = this.fill(chunk, 0);
      if (off < 0) return; // chunk used up, frame still partial
    }
    while (len - off >= 4) {
      const size = this.check(chunk.readUInt32LE(off));
      if (len - off < size) break;
      const frame = chunk.subarray(off, off + size);
      off += size;
      this.onFrame(frame);
    }
    this.stash(chunk, off);
  }

  /** Copies chunk[off..] into acc (the start of a frame). */
  private stash(chunk: Buffer, off: number): void {
    const rest = chunk.length - off;
    if (rest === 0) return;
    this.ensure(rest, rest >= 4 ? chunk.readUInt32LE(off) : rest);
    chunk.copy(this.acc, 0, off);
    this.have = rest;
  }

  /**
   * Completes the partial frame in acc from chunk[off..]. Returns the offset
   * after the bytes used, or -1 if the chunk ran out first.
   */
  private fill(chunk: Buffer, off: number): number {
    if (this.have < 4) {
      const n = Math.min(4 - this.have, chunk.length - off);
      this.ensure(this.have + n, this.have + n);
      chunk.copy(this.acc, this.have, off, off + n);
      this.have += n;
      off += n;
      if (this.have < 4) return -1;
    }
    const size = this.check(this.acc.readUInt32LE(0));
    const n = Math.min(size - this.have, chunk.length - off);
    this.ensure(this.have + n, size);
    chunk.copy(this.acc, this.have, off, off + n);
    this.have += n;
    off += n;
    if (this.have < size) return -1;
    this.have = 0;
    this.onFrame(this.acc.subarray(0, size));
    return off;
  }

  private check(size: number): number {
    if (size < MIN_FRAME) {
      this.failed = new FramingError('undersize', size, `frame size ${size} is below the ${MIN_FRAME}-byte header`);
      throw this.failed;
    }
    if (size > this.msize) {
      this.failed = new FramingError('oversize', size, `frame size ${size} exceeds msize ${this.msize}`);
      throw this.failed;
    }
    return size;
  }

  /** Room for `n` bytes of a frame of `size`: FIRST_PART while that holds them, else the whole frame. */
  private ensure(n: number, size: number): void {
    if (this.acc.length >= n) return;
    const next = Buffer.allocUnsafe(Math.max(n, n <= FIRST_PART ? Math.min(FIRST_PART, this.msize) : size));
    this.acc.copy(next, 0, 0, this.have);
    this.acc = next;
  }
}

function checkMsize(msize: number): number {
  if (!Number.isInteger(msize) || msize < MIN_FRAME || msize > 0xffffffff) {
    throw new RangeError(`msize ${msize} is not an integer in ${MIN_FRAME}..2^32-1`);
  }
  return msize;
}
