// Unsolicited messages from the server to the kernel: a fuse_out_header
// with unique 0 and the NOTIFY code in `error`, then the notify struct.
// Written by hand: the name's length sits in the struct, away from the
// name, which the kernel wants NUL-terminated after namelen bytes.

import { EncodeError } from '../../src/wire/index.js';
import { FuseDecodeError, FuseReader, FuseWriter } from './wire.js';
import { NOTIFY } from './constants.js';
import { OUT_HEADER_SIZE } from './codec.js';

export type FuseNotify =
  /** Drop cached data of an inode: `len` bytes from `off` (len 0: to the end; off < 0: attributes only). */
  | { type: 'inval_inode'; ino: bigint; off: bigint; len: bigint }
  /** Drop the dentry `name` in directory `parent` (flags: FUSE_EXPIRE_ONLY). */
  | { type: 'inval_entry'; parent: bigint; name: Buffer; flags: number }
  /** `name` in `parent` (inode `child`) was deleted. */
  | { type: 'delete'; parent: bigint; child: bigint; name: Buffer };

function checkName(name: Buffer): void {
  if (!(name instanceof Uint8Array) || name.length === 0 || name.includes(0)) throw new EncodeError('a notify name must be non-empty bytes without NUL');
}

/** Writes one notify message at the writer's position; returns its length. */
export function encodeNotify(w: FuseWriter, n: FuseNotify): number {
  const start = w.reserve(OUT_HEADER_SIZE);
  let code: number;
  try {
    switch (n.type) {
      case 'inval_inode':
        code = NOTIFY.INVAL_INODE;
        w.u64(n.ino);
        w.i64(n.off);
        w.i64(n.len);
        break;
      case 'inval_entry':
        checkName(n.name);
        code = NOTIFY.INVAL_ENTRY;
        w.u64(n.parent);
        w.u32(n.name.length);
        w.u32(n.flags);
        w.cstr(n.name);
        break;
      case 'delete':
        checkName(n.name);
        code = NOTIFY.DELETE;
        w.u64(n.parent);
        w.u64(n.child);
        w.u32(n.name.length);
        w.u32(0);
        w.cstr(n.name);
        break;
    }
  } catch (e) {
    w.pos = start;
    throw e;
  }
  const len = w.pos - start;
  w.buf.writeUInt32LE(len, start);
  w.buf.writeInt32LE(code, start + 4);
  w.buf.writeBigUInt64LE(0n, start + 8);
  return len;
}

function nameAfter(r: FuseReader, namelen: number): Buffer {
  const at = r.pos;
  const name = r.cstr();
  if (name.length !== namelen) throw new FuseDecodeError('length-mismatch', `namelen ${namelen}, name has ${name.length} bytes`, at);
  return name;
}

/** Decodes a notify message (tests, tools). Throws FuseDecodeError. */
export function decodeNotify(buf: Buffer): FuseNotify {
  const r = new FuseReader(buf);
  const len = r.u32();
  const code = r.i32();
  const unique = r.u64();
  if (len !== buf.length) throw new FuseDecodeError('length-mismatch', `len ${len}, message holds ${buf.length} bytes`, 0);
  if (unique !== 0n) throw new FuseDecodeError('unknown-opcode', `unique ${unique}: not a notify message`, 8);
  let n: FuseNotify;
  if (code === NOTIFY.INVAL_INODE) {
    n = { type: 'inval_inode', ino: r.u64(), off: r.i64(), len: r.i64() };
  } else if (code === NOTIFY.INVAL_ENTRY) {
    const parent = r.u64();
    const namelen = r.u32();
    const flags = r.u32();
    n = { type: 'inval_entry', parent, name: nameAfter(r, namelen), flags };
  } else if (code === NOTIFY.DELETE) {
    const parent = r.u64();
    const child = r.u64();
    const namelen = r.u32();
    r.u32();
    n = { type: 'delete', parent, child, name: nameAfter(r, namelen) };
  } else {
    throw new FuseDecodeError('unknown-opcode', `notify code ${code} is not one this codec writes`, 4);
  }
  r.done();
  return n;
}
