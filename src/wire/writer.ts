// Writes little-endian fixed fields into a Buffer. Given a buffer, it writes
// into it and throws EncodeError when full (the hot path: one reply buffer
// reused for every reply). Without one, it allocates and grows as needed.

import { EncodeError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffffn;

export class WireWriter {
  // `declare` fields, assigned in the constructor (see WireReader: emitted
  // class fields slow down subclass construction on Node 20).
  declare buf: Buffer;
  declare pos: number;
  private declare readonly growable: boolean;

  constructor(buf?: Buffer) {
    this.growable = buf === undefined;
    this.buf = buf ?? Buffer.allocUnsafe(256);
    this.pos = 0;
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
  /** The bytes written so far (a view). */
  view(start = 0): Buffer {
    return this.buf.subarray(start, this.pos);
  }
}
