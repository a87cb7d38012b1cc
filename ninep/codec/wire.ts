// The byte layer of 9P: a Reader and a Writer over Buffers with 9P's
// strings, counted data and qids, plus the one DecodeError.
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
//
// The protocol-neutral part (fixed-width fields, byte ranges, growth, the
// base decode error) lives in src/wire, shared with the FUSE codec.

import { EncodeError, WireDecodeError, WireReader, WireWriter, type WireReason } from '../../src/wire/index.js';

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
export class DecodeError extends WireDecodeError<DecodeReason> {}

export { EncodeError };

export interface Qid {
  /** QT* bits: the high byte of the file mode. */
  type: number;
  version: number;
  path: bigint;
}

export const QID_SIZE = 13;

/**
 * The generic reader (src/wire) plus the 9P string, data and qid forms.
 * Every overrun throws DecodeError.
 */
export class Reader extends WireReader {
  // explicit: the implicit constructor forwards ...args, slower per instance on Node 20
  constructor(buf: Buffer, start = 0, end = buf.length) {
    super(buf, start, end);
  }

  protected override fail(reason: WireReason, message: string, at: number): never {
    throw new DecodeError(reason, message, at);
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
}

/**
 * The generic writer (src/wire: fixed fields, growth, caller buffers) plus
 * the 9P string, data and qid forms.
 */
export class Writer extends WireWriter {
  // explicit: the implicit constructor forwards ...args, slower per instance on Node 20
  constructor(buf?: Buffer) {
    super(buf);
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
}
