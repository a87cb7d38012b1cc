// Requests from bytes, replies into bytes. A request read from /dev/fuse is
//   fuse_in_header (40) | opN_in struct | names, data | extensions
// where in_header.len counts everything and total_extlen counts the
// extensions (security context, supplementary groups) in 8-byte units at
// the end. A reply is fuse_out_header (16) | body, matched by unique.
//
// Buffers in a decoded request (names, data) are VIEWS of the read buffer:
// a session that reuses its buffer copies what it keeps past the handler.

import { EncodeError, indexById, readFields, writeFields, type MessageOf } from '../../src/wire/index.js';
import { FuseDecodeError, FuseReader, FuseWriter } from './wire.js';
import { REQUESTS, SETXATTR_COMPAT, COUNTED } from './requests.js';
import { REPLIES } from './replies.js';

/** fuse_in_header */
export const IN_HEADER_SIZE = 40;
/** fuse_out_header */
export const OUT_HEADER_SIZE = 16;

export type FuseRequest = MessageOf<typeof REQUESTS>;
export type FuseReply = MessageOf<typeof REPLIES>;
export type RequestNamed<K extends FuseRequest['type']> = Extract<FuseRequest, { type: K }>;
export type ReplyNamed<K extends FuseReply['type']> = Extract<FuseReply, { type: K }>;

/** struct fuse_in_header, less its padding. */
export interface InHeader {
  len: number;
  opcode: number;
  unique: bigint;
  /** The inode the request is about (the parent directory for name operations). */
  nodeid: bigint;
  /** The caller: its fsuid, fsgid and tgid (0 for requests the kernel makes itself). */
  uid: number;
  gid: number;
  pid: number;
  /** Length of the extensions in 8-byte units. */
  total_extlen: number;
}

export interface DecodedRequest {
  header: InHeader;
  msg: FuseRequest;
  /** The extension bytes (fuse_ext_header records); empty when total_extlen is 0. */
  ext: Buffer;
}

export interface DecodeOptions {
  /** FUSE_SETXATTR_EXT was agreed at INIT: SETXATTR carries the 16-byte fuse_setxattr_in. */
  setxattrExt?: boolean;
}

const BY_OPCODE = indexById('FUSE', REQUESTS, 64);

/** The name of an opcode ('LOOKUP'), or undefined for one this codec lacks. */
export function opcodeName(opcode: number): FuseRequest['type'] | undefined {
  return BY_OPCODE[opcode]?.name as FuseRequest['type'] | undefined;
}

/**
 * Reads the header alone, so a request that fails to decode can still be
 * answered by unique. Throws FuseDecodeError('short-header') only.
 */
export function peekHeader(buf: Buffer): InHeader {
  if (buf.length < IN_HEADER_SIZE) {
    throw new FuseDecodeError('short-header', `${buf.length} bytes, fuse_in_header needs ${IN_HEADER_SIZE}`, 0);
  }
  return {
    len: buf.readUInt32LE(0),
    opcode: buf.readUInt32LE(4),
    unique: buf.readBigUInt64LE(8),
    nodeid: buf.readBigUInt64LE(16),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    total_extlen: buf.readUInt16LE(36),
  };
}

/**
 * Decodes one request (the bytes of one /dev/fuse read). Throws only
 * FuseDecodeError; its `unique` is set whenever the header was readable.
 */
export function decodeRequest(buf: Buffer, opts: DecodeOptions = {}): DecodedRequest {
  const header = peekHeader(buf);
  try {
    if (header.len !== buf.length) {
      throw new FuseDecodeError('length-mismatch', `len field ${header.len}, request holds ${buf.length} bytes`, 0);
    }
    const entry = BY_OPCODE[header.opcode];
    if (!entry) throw new FuseDecodeError('unknown-opcode', `opcode ${header.opcode} is unknown`, 4);
    const end = buf.length - header.total_extlen * 8;
    if (end < IN_HEADER_SIZE) {
      throw new FuseDecodeError('overrun', `total_extlen ${header.total_extlen} runs past the ${buf.length}-byte request`, 36);
    }
    const r = new FuseReader(buf, IN_HEADER_SIZE, end);
    const msg: Record<string, unknown> = { type: entry.name };
    if (entry.name === 'SETXATTR' && !opts.setxattrExt) {
      readFields(r, SETXATTR_COMPAT.fields, msg);
      msg['setxattr_flags'] = 0;
    } else {
      readFields(r, entry.spec.fields, msg);
    }
    r.done();
    const counted = COUNTED[entry.name as FuseRequest['type']];
    if (counted) checkCount(msg, counted[0], counted[1]);
    return { header, msg: msg as FuseRequest, ext: buf.subarray(end) };
  } catch (e) {
    if (e instanceof FuseDecodeError) e.unique = header.unique;
    throw e;
  }
}

function checkCount(msg: Record<string, unknown>, countField: string, dataField: string): void {
  const count = msg[countField] as number;
  const got = (msg[dataField] as Buffer).length;
  if (count > got) throw new FuseDecodeError('overrun', `${countField} ${count} but ${got} bytes follow`, IN_HEADER_SIZE);
  if (count < got) throw new FuseDecodeError('trailing-bytes', `${countField} ${count} but ${got} bytes follow`, IN_HEADER_SIZE);
}

/** The header fields a request encoder needs (len and opcode are computed). */
export type RequestHeader = Omit<InHeader, 'len' | 'opcode' | 'total_extlen'>;

/**
 * Encodes a request as the kernel would (for tests and tools; a server
 * only decodes requests). `ext` is appended as the extensions.
 */
export function encodeRequest(h: RequestHeader, msg: FuseRequest, opts: DecodeOptions = {}, ext?: Buffer): Buffer {
  const spec = Object.hasOwn(REQUESTS, msg.type) ? REQUESTS[msg.type] : undefined;
  if (!spec) throw new EncodeError(`${String(msg.type)} is not a FUSE request`);
  if (ext && ext.length % 8 !== 0) throw new EncodeError(`extensions of ${ext.length} bytes are not whole 8-byte units`);
  const w = new FuseWriter();
  w.reserve(IN_HEADER_SIZE);
  const m = msg as unknown as Record<string, unknown>;
  writeFields(w, msg.type === 'SETXATTR' && !opts.setxattrExt ? SETXATTR_COMPAT.fields : spec.fields, m, msg.type);
  if (ext) w.bytes(ext);
  const b = w.buf;
  b.writeUInt32LE(w.pos, 0);
  b.writeUInt32LE(spec.id, 4);
  b.writeBigUInt64LE(h.unique, 8);
  b.writeBigUInt64LE(h.nodeid, 16);
  b.writeUInt32LE(h.uid, 24);
  b.writeUInt32LE(h.gid, 28);
  b.writeUInt32LE(h.pid, 32);
  b.writeUInt16LE(ext ? ext.length / 8 : 0, 36);
  b.writeUInt16LE(0, 38);
  return w.view();
}

function outHeader(w: FuseWriter, start: number, error: number, unique: bigint): number {
  const len = w.pos - start;
  w.buf.writeUInt32LE(len, start);
  w.buf.writeInt32LE(error, start + 4);
  w.buf.writeBigUInt64LE(unique, start + 8);
  return len;
}

function checkUnique(unique: bigint): void {
  if (typeof unique !== 'bigint' || unique < 0n || unique >= 1n << 64n) throw new EncodeError(`unique out of range: ${String(unique)}`);
}

/**
 * Encodes a successful reply with a struct body at the writer's position;
 * returns its length. With a FuseWriter over a reused buffer this
 * allocates nothing. On EncodeError the writer is left where it was.
 */
export function encodeReply(w: FuseWriter, unique: bigint, reply: FuseReply): number {
  const spec = Object.hasOwn(REPLIES, reply.type) ? REPLIES[reply.type] : undefined;
  if (!spec) throw new EncodeError(`${String(reply.type)} is not a FUSE reply`);
  checkUnique(unique);
  const start = w.reserve(OUT_HEADER_SIZE);
  try {
    writeFields(w, spec.fields, reply as unknown as Record<string, unknown>, reply.type);
  } catch (e) {
    w.pos = start;
    throw e;
  }
  return outHeader(w, start, 0, unique);
}

/** A reply with no body: success (errno 0) or the error -errno. `errno` is a positive host errno. */
export function encodeStatus(w: FuseWriter, unique: bigint, errno = 0): number {
  if (!Number.isInteger(errno) || errno < 0 || errno > 4095) throw new EncodeError(`errno out of range: ${errno}`);
  checkUnique(unique);
  const start = w.reserve(OUT_HEADER_SIZE);
  return outHeader(w, start, -errno, unique);
}

/**
 * Zero-copy byte replies (READ data, READLINK target, xattr values and
 * lists, READDIR/READDIRPLUS entries): write the header at buf[0] and
 * return the slice the bytes go in; finishData completes it.
 *
 *   const slot = beginData(reply, unique);
 *   const n = await read(fd, slot.subarray(0, size));
 *   write(devFuse, finishData(reply, n));
 */
export function beginData(buf: Buffer, unique: bigint): Buffer {
  if (buf.length < OUT_HEADER_SIZE) throw new EncodeError(`buffer of ${buf.length} bytes cannot hold a header`);
  checkUnique(unique);
  buf.writeInt32LE(0, 4);
  buf.writeBigUInt64LE(unique, 8);
  return buf.subarray(OUT_HEADER_SIZE);
}

/** Completes a reply begun with beginData once `count` bytes are in place; returns it (a view of buf). */
export function finishData(buf: Buffer, count: number): Buffer {
  const len = OUT_HEADER_SIZE + count;
  if (!Number.isInteger(count) || count < 0 || len > buf.length) {
    throw new EncodeError(`count ${count} does not fit a buffer of ${buf.length} bytes`);
  }
  buf.writeUInt32LE(len, 0);
  return buf.subarray(0, len);
}

export interface OutHeader {
  len: number;
  /** 0, -errno, or for unique 0 a NOTIFY code. */
  error: number;
  unique: bigint;
}

/** Reads a reply's header (tests, tools). */
export function decodeOutHeader(buf: Buffer): OutHeader {
  const r = new FuseReader(buf);
  return { len: r.u32(), error: r.i32(), unique: r.u64() };
}

/** Decodes a struct reply of a known kind (tests, tools). Throws FuseDecodeError. */
export function decodeReply<K extends FuseReply['type']>(type: K, buf: Buffer): { header: OutHeader; reply: ReplyNamed<K> } {
  const header = decodeOutHeader(buf);
  if (header.len !== buf.length) throw new FuseDecodeError('length-mismatch', `len ${header.len}, reply holds ${buf.length} bytes`, 0);
  const r = new FuseReader(buf, OUT_HEADER_SIZE);
  const reply: Record<string, unknown> = { type };
  readFields(r, REPLIES[type].fields, reply);
  r.done();
  return { header, reply: reply as ReplyNamed<K> };
}
