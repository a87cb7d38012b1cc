// The byte layer of 9P (and of any little-endian fixed-field protocol):
// a Reader and a Writer over Buffers, plus the one DecodeError.
//
// intro(5): "Each message consists of a sequence of bytes. Two-, four-, and
// eight-byte fields hold unsigned integers represented in little-endian
// order". A string is "a two-byte count ... followed by count bytes of UTF-8
// text"; a qid is type[1] version[4] path[8].
//
// Strings come in two flavours here, because Linux file names are bytes:
//  - `str`: UTF-8 text (version, uname, aname, ename, xattr names,
//    client_id). Invalid UTF-8 decodes lossily (U+FFFD); these never name
//    host files.
//  - `raw`: the same wire form carried as a Buffer, byte for byte. Every
//    file name, walk element, symlink target and .u extension uses it, so a
//    non-UTF-8 host name round-trips exactly (the VFS takes names as Buffer).
// Decoded Buffers are views into the frame, not copies (see decode()).

/** Why a frame failed to decode. Stable codes for tests and logs. */
export type DecodeReason =
  | 'short-frame' // fewer than 7 bytes: no size[4] type[1] tag[2] header
  | 'size-mismatch' // size[4] differs from the frame length
  | 'unknown-type' // type not in the dialect's table
  | 'overrun' // a field runs past the end of the frame
  | 'trailing-bytes' // bytes left after the last field
  | 'bad-count' // a data count[4] larger than the bytes that follow
  | 'too-many-wnames' // Twalk nwname > MAXWELEM
  | 'too-many-wqids' // Rwalk nwqid > MAXWELEM
  | 'bad-stat-size'; // a stat's size prefixes disagree with its contents

/** The only error decode() throws: the frame is malformed. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly reason: DecodeReason,
    message: string,
    /** Byte offset in the frame where decoding stopped. */
    readonly offset = -1,
  ) {
    super(`${reason}: ${message}`);
  }
}

/** Thrown by encoding when a value cannot be put on the wire (a caller bug). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}

export interface Qid {
  /** QT* bits: the high byte of the file mode. */
  type: number;
  version: number;
  path: bigint;
}

export const QID_SIZE = 13;

/** Reads fields in order from buf[start, end). Every overrun throws DecodeError. */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.end - at) {
      throw new DecodeError('overrun', `${what} needs ${n} bytes, ${this.end - at} left`, at);
    }
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1, 'u8')] as number;
  }
  u16(): number {
    return this.buf.readUInt16LE(this.need(2, 'u16'));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.need(4, 'u32'));
  }
  u64(): bigint {
    return this.buf.readBigUInt64LE(this.need(8, 'u64'));
  }
  /** n bytes as a view of the frame. */
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }
  /** len[2] + bytes, as a view. */
  raw(): Buffer {
    return this.bytes(this.u16(), 'string');
  }
  /** len[2] + UTF-8 text. */
  str(): string {
    const len = this.u16();
    const at = this.need(len, 'string');
    return this.buf.toString('utf8', at, at + len);
  }
  /** count[4] + bytes, as a view. */
  data(): Buffer {
    const at = this.pos;
    const count = this.u32();
    if (count > this.remaining) {
      throw new DecodeError('bad-count', `count ${count} but ${this.remaining} bytes follow`, at);
    }
    return this.bytes(count, 'data');
  }
  qid(): Qid {
    const at = this.need(QID_SIZE, 'qid');
    return {
      type: this.buf[at] as number,
      version: this.buf.readUInt32LE(at + 1),
      path: this.buf.readBigUInt64LE(at + 5),
    };
  }
  /** Rejects bytes left over after the last field. */
  done(): void {
    if (this.pos !== this.end) {
      throw new DecodeError('trailing-bytes', `${this.end - this.pos} bytes after the last field`, this.pos);
    }
  }
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;

/**
 * Writes fields into a Buffer. Given a buffer, it writes into it and throws
 * EncodeError when full (the hot path: a reply buffer of msize bytes reused
 * for every reply). Without one, it allocates and grows as needed.
 */
export class Writer {
  buf: Buffer;
  pos = 0;
  private readonly growable: boolean;

  constructor(buf?: Buffer) {
    this.growable = buf === undefined;
    this.buf = buf ?? Buffer.allocUnsafe(256);
  }

  /** Starts over at offset 0, optionally in another buffer (the growth policy stays). */
  reset(buf?: Buffer): this {
    if (buf !== undefined) this.buf = buf;
    this.pos = 0;
    return this;
  }

  /**
   * Makes room for n more bytes and returns the offset where they go. It may
   * replace this.buf: call it before reading this.buf.
   */
  reserve(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      if (!this.growable) {
        throw new EncodeError(`message does not fit: needs ${at + n} bytes, buffer holds ${this.buf.length}`);
      }
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    this.pos = at + n;
    return at;
  }

  u8(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new EncodeError(`u8 out of range: ${v}`);
    const at = this.reserve(1);
    this.buf[at] = v;
  }
  u16(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new EncodeError(`u16 out of range: ${v}`);
    const at = this.reserve(2);
    this.buf.writeUInt16LE(v, at);
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(`u32 out of range: ${v}`);
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v, at);
  }
  u64(v: bigint): void {
    if (typeof v !== 'bigint') throw new EncodeError(`u64 out of range: ${String(v)}`);
    // Two u32 writes, without bigint arithmetic for the usual small values
    // (sizes, times, counts): Buffer.writeBigUInt64LE makes several
    // temporary bigints per call and showed in profiles of Rgetattr.
    if (v >= 0n && v <= U32_MAX) {
      const at = this.reserve(8);
      this.buf.writeUInt32LE(Number(v), at);
      this.buf.writeUInt32LE(0, at + 4);
      return;
    }
    if (v < 0n || v > U64_MAX) throw new EncodeError(`u64 out of range: ${String(v)}`);
    const at = this.reserve(8);
    this.buf.writeUInt32LE(Number(v & U32_MAX), at);
    this.buf.writeUInt32LE(Number(v >> 32n), at + 4);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  /** len[2] + bytes. */
  raw(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw new EncodeError(`expected bytes, got ${typeof b}`);
    if (b.length > 0xffff) throw new EncodeError(`string of ${b.length} bytes exceeds 65535`);
    this.u16(b.length);
    this.bytes(b);
  }
  /** len[2] + UTF-8 text. */
  str(s: string): void {
    if (typeof s !== 'string') throw new EncodeError(`expected a string, got ${typeof s}`);
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0xffff) throw new EncodeError(`string of ${len} bytes exceeds 65535`);
    this.u16(len);
    const at = this.reserve(len);
    this.buf.write(s, at, len, 'utf8');
  }
  /** count[4] + bytes. */
  data(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw new EncodeError(`expected bytes, got ${typeof b}`);
    this.u32(b.length);
    this.bytes(b);
  }
  qid(q: Qid): void {
    this.u8(q.type);
    this.u32(q.version);
    this.u64(q.path);
  }
  /** The bytes written so far (a view). */
  view(start = 0): Buffer {
    return this.buf.subarray(start, this.pos);
  }
}
