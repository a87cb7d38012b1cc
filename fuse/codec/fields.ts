// FUSE field codecs. Tables (requests.ts, replies.ts) are lists of
// [name, Field] pairs built from these and src/wire's u8..u64.
//
// Padding, dummy and unused words of linux/fuse.h are not message fields:
// `padded(f, after, before)` skips them on decode (the kernel zeroes them;
// like libfuse we do not check) and writes zeros on encode, so a message
// carries only the fields that mean something.

import { u16, u32, u64, type BodyOf, type Field as WireField, type FieldSpec } from '../../src/wire/index.js';
import { FuseDecodeError, type FuseReader, type FuseWriter } from './wire.js';

/** A field codec over the FUSE Reader and Writer. */
export type Field<T> = WireField<T, FuseReader, FuseWriter>;

export { u16, u32, u64 };
export const i32: Field<number> = { kind: 'i32', read: (r) => r.i32(), write: (w, v) => w.i32(v) };
export const i64: Field<bigint> = { kind: 'i64', read: (r) => r.i64(), write: (w, v) => w.i64(v) };
/** A NUL-terminated name, as bytes without the NUL. */
export const cstr: Field<Buffer> = { kind: 'cstr', read: (r) => r.cstr(), write: (w, v) => w.cstr(v) };
/** The bytes to the end of the request (a payload whose count is a field before it). */
export const rest: Field<Buffer> = {
  kind: 'rest',
  read: (r) => r.rest(),
  write: (w, v) => w.bytes(v),
};

/** `field` with `before` and `after` bytes of padding around it. */
export function padded<T>(field: WireField<T, FuseReader, FuseWriter>, after: number, before = 0): Field<T> {
  return {
    kind: `${before ? `pad${before}+` : ''}${field.kind}+pad${after}`,
    read(r) {
      if (before) r.bytes(before, 'padding');
      const v = field.read(r);
      r.bytes(after, 'padding');
      return v;
    },
    write(w, v) {
      if (before) w.zeros(before);
      field.write(w, v);
      w.zeros(after);
    },
  };
}

/** A field that is a nested struct; `fields` lets tools and tests walk it. */
export type StructField<V> = Field<V> & { readonly fields: readonly FieldSpec[] };

/** A nested C struct (fuse_attr, fuse_file_lock, fuse_statx) as an object of its fields. */
export function struct<const F extends readonly FieldSpec[]>(kind: string, fields: F): StructField<BodyOf<{ id: number; fields: F }>> {
  type V = BodyOf<{ id: number; fields: F }>;
  return {
    kind,
    fields,
    read(r) {
      const out: Record<string, unknown> = {};
      for (const [name, f] of fields) out[name] = f.read(r);
      return out as V;
    },
    write(w, v) {
      const m = v as Record<string, unknown>;
      for (const [name, f] of fields) f.write(w, m[name]);
    },
  };
}

/** struct fuse_attr (88 bytes): what GETATTR, LOOKUP and READDIRPLUS return. */
export const attr = struct('fuse_attr', [
  ['ino', u64],
  ['size', u64],
  ['blocks', u64],
  ['atime', u64],
  ['mtime', u64],
  ['ctime', u64],
  ['atimensec', u32],
  ['mtimensec', u32],
  ['ctimensec', u32],
  ['mode', u32],
  ['nlink', u32],
  ['uid', u32],
  ['gid', u32],
  ['rdev', u32],
  ['blksize', u32],
  ['flags', u32],
] as const);
export type FuseAttr = ReturnType<typeof attr.read>;
export const ATTR_SIZE = 88;

/** struct fuse_file_lock (24 bytes). `type` is F_RDLCK/F_WRLCK/F_UNLCK; pid is the tgid. */
export const fileLock = struct('fuse_file_lock', [
  ['start', u64],
  ['end', u64],
  ['type', u32],
  ['pid', u32],
] as const);
export type FuseFileLock = ReturnType<typeof fileLock.read>;

/** struct fuse_sx_time (16 bytes): tv_sec, tv_nsec, __reserved. */
export const sxTime = struct('fuse_sx_time', [
  ['tv_sec', i64],
  ['tv_nsec', padded(u32, 4)],
] as const);

/** struct fuse_statx (256 bytes), bit for bit statx(2)'s struct statx. */
export const statx = struct('fuse_statx', [
  ['mask', u32],
  ['blksize', u32],
  ['attributes', u64],
  ['nlink', u32],
  ['uid', u32],
  ['gid', u32],
  ['mode', padded(u16, 2)],
  ['ino', u64],
  ['size', u64],
  ['blocks', u64],
  ['attributes_mask', u64],
  ['atime', sxTime],
  ['btime', sxTime],
  ['ctime', sxTime],
  ['mtime', sxTime],
  ['rdev_major', u32],
  ['rdev_minor', u32],
  ['dev_major', u32],
  ['dev_minor', padded(u32, 112)],
] as const);
export type FuseStatx = ReturnType<typeof statx.read>;

export interface ForgetOne {
  nodeid: bigint;
  nlookup: bigint;
}

/** BATCH_FORGET: fuse_batch_forget_in {count, dummy} then count × fuse_forget_one {nodeid, nlookup}. */
export const forgets: Field<readonly ForgetOne[]> = {
  kind: 'forgets',
  read(r) {
    const at = r.pos;
    const count = r.u32();
    r.u32(); // dummy
    if (count * 16 > r.remaining) throw new FuseDecodeError('overrun', `${count} forgets need ${count * 16} bytes, ${r.remaining} left`, at);
    const out: ForgetOne[] = new Array<ForgetOne>(count);
    for (let i = 0; i < count; i++) out[i] = { nodeid: r.u64(), nlookup: r.u64() };
    return out;
  },
  write(w, v) {
    w.u32(v.length);
    w.u32(0);
    for (const f of v) {
      w.u64(f.nodeid);
      w.u64(f.nlookup);
    }
  },
};
