// The byte layer of FUSE: src/wire's Reader/Writer plus what linux/fuse.h
// adds: NUL-terminated names (kept as bytes, without the NUL), trailing
// data that runs to the end of the request, and signed 32/64-bit fields
// (the reply's error, backing_id, notify offsets). One decode error class.

import { EncodeError, WireDecodeError, WireReader, WireWriter, type WireReason } from '../../src/wire/index.js';

/** Why a request failed to decode. Stable codes for tests and logs. */
export type FuseDecodeReason =
  | 'short-header' // fewer than 40 bytes: no fuse_in_header
  | 'length-mismatch' // in_header.len differs from the bytes read
  | 'unknown-opcode' // an opcode this codec has no table entry for (answer ENOSYS)
  | 'overrun' // a field, a counted payload or the extensions run past the end
  | 'trailing-bytes' // bytes left after the last field, or fewer payload bytes than the count says
  | 'missing-nul'; // a name without its terminating NUL

/** The only error decodeRequest() throws. */
export class FuseDecodeError extends WireDecodeError<FuseDecodeReason> {
  override readonly name = 'FuseDecodeError';
  /**
   * The request's unique id when the header was readable, so the session
   * can still answer it (ENOSYS for 'unknown-opcode', EINVAL otherwise).
   */
  unique: bigint | undefined = undefined;
}

export class FuseReader extends WireReader {
  // explicit: the implicit constructor forwards ...args, slower per instance on Node 20
  constructor(buf: Buffer, start = 0, end = buf.length) {
    super(buf, start, end);
  }

  protected override fail(reason: WireReason, message: string, at: number): never {
    throw new FuseDecodeError(reason, message, at);
  }

  i32(): number {
    return this.buf.readInt32LE(this.need(4, 'i32'));
  }
  i64(): bigint {
    return this.buf.readBigInt64LE(this.need(8, 'i64'));
  }
  /** A NUL-terminated name: the bytes before the NUL, as a view; the NUL is consumed. */
  cstr(): Buffer {
    const at = this.pos;
    const nul = this.buf.indexOf(0, at);
    if (nul < 0 || nul >= this.end) throw new FuseDecodeError('missing-nul', `no NUL in the ${this.end - at} bytes left`, at);
    this.pos = nul + 1;
    return this.buf.subarray(at, nul);
  }
  /** Everything up to the end, as a view (WRITE data, xattr values). */
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

export class FuseWriter extends WireWriter {
  // explicit: the implicit constructor forwards ...args, slower per instance on Node 20
  constructor(buf?: Buffer) {
    super(buf);
  }

  i32(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new EncodeError(`i32 out of range: ${v}`);
    const at = this.reserve(4);
    this.buf.writeInt32LE(v, at);
  }
  i64(v: bigint): void {
    if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) throw new EncodeError(`i64 out of range: ${String(v)}`);
    const at = this.reserve(8);
    this.buf.writeBigInt64LE(v, at);
  }
  /** name + NUL. A name holding a NUL cannot be sent. */
  cstr(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw new EncodeError(`expected bytes, got ${typeof b}`);
    if (b.includes(0)) throw new EncodeError('a name must not contain NUL');
    const at = this.reserve(b.length + 1);
    this.buf.set(b, at);
    this.buf[at + b.length] = 0;
  }
  /** n zero bytes (padding). */
  zeros(n: number): void {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
  }
}
