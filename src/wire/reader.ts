// Reads little-endian fixed fields in order from buf[start, end). Views,
// not copies: bytes(n) returns a subarray of the frame.
//
// Every overrun goes through fail(), which a protocol's subclass overrides
// to throw its own decode error class (see ninep/codec/wire.ts).

import { WireDecodeError, type WireReason } from './errors.js';

export class WireReader {
  // `declare` fields, assigned in the constructor: emitted class fields
  // make every subclass construction (one per decoded frame) measurably
  // slower on Node 20.
  declare readonly buf: Buffer;
  declare readonly end: number;
  declare pos: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.end = end;
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws the protocol's decode error. Subclasses override it. */
  protected fail(reason: WireReason, message: string, at: number): never {
    throw new WireDecodeError(reason, message, at);
  }

  /** Claims n bytes and returns where they start. */
  protected need(n: number, what: string): number {
    const at = this.pos;
    if (n > this.end - at) this.fail('overrun', `${what} needs ${n} bytes, ${this.end - at} left`, at);
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
  /** Rejects bytes left over after the last field. */
  done(): void {
    if (this.pos !== this.end) this.fail('trailing-bytes', `${this.end - this.pos} bytes after the last field`, this.pos);
  }
}
