// READDIR and READDIRPLUS reply bodies. Each record is
//   fuse_dirent      ino[8] off[8] namelen[4] type[4] name[namelen]
//   fuse_direntplus  fuse_entry_out[128] then a fuse_dirent
// padded with zeros to a multiple of 8 bytes (FUSE_DIRENT_ALIGN). A reply
// holds at most the request's `size` bytes and never half a record: the
// packers fill a caller-given slice (from beginData, cut to size) and say
// how many entries fit; the session resumes at the next entry's `off`.

import { EncodeError, readFields, writeFields } from '../../src/wire/index.js';
import { FuseReader, FuseWriter } from './wire.js';
import { REPLIES } from './replies.js';
import type { ReplyNamed } from './codec.js';

/** offsetof(struct fuse_dirent, name) */
export const DIRENT_NAME_OFFSET = 24;
/** offsetof(struct fuse_direntplus, dirent.name): 128 + 24 */
export const DIRENTPLUS_NAME_OFFSET = 152;
/** The kernel rejects longer names in a listing (FUSE_NAME_MAX). */
export const FUSE_NAME_MAX = 1024;

export interface FuseDirent {
  ino: bigint;
  /** Cookie that resumes the listing after this entry (the next READDIR's offset). */
  off: bigint;
  /** DT_* type (the mode's S_IFMT >> 12). */
  type: number;
  /** Name bytes: not empty, no '/' or NUL. */
  name: Buffer;
}

export type EntryOut = Omit<ReplyNamed<'entry_out'>, 'type'>;

export interface FuseDirentPlus {
  /** The entry as LOOKUP would answer it; nodeid 0 makes the kernel skip the lookup. */
  entry: EntryOut;
  dirent: FuseDirent;
}

export interface Packed {
  /** Bytes written at the start of the target. */
  bytes: number;
  /** How many entries (from the start of the list) fit. */
  entries: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Bytes one READDIR record takes, padding included. */
export function direntSize(nameLength: number): number {
  return align8(DIRENT_NAME_OFFSET + nameLength);
}

/** Bytes one READDIRPLUS record takes, padding included. */
export function direntPlusSize(nameLength: number): number {
  return align8(DIRENTPLUS_NAME_OFFSET + nameLength);
}

function checkName(name: Buffer): void {
  if (name.length === 0 || name.length > FUSE_NAME_MAX) throw new EncodeError(`dirent name of ${name.length} bytes`);
  if (name.includes(0x2f) || name.includes(0)) throw new EncodeError('a dirent name must not contain / or NUL');
}

function writeDirent(w: FuseWriter, d: FuseDirent): void {
  w.u64(d.ino);
  w.u64(d.off);
  w.u32(d.name.length);
  w.u32(d.type);
  w.bytes(d.name);
  w.zeros(align8(w.pos) - w.pos);
}

/** Packs READDIR records into `into` until the next one would not fit. */
export function packDirents(into: Buffer, entries: Iterable<FuseDirent>): Packed {
  const w = new FuseWriter(into);
  let n = 0;
  for (const d of entries) {
    checkName(d.name);
    if (w.pos + direntSize(d.name.length) > into.length) break;
    writeDirent(w, d);
    n++;
  }
  return { bytes: w.pos, entries: n };
}

/** Packs READDIRPLUS records into `into` until the next one would not fit. */
export function packDirentsPlus(into: Buffer, entries: Iterable<FuseDirentPlus>): Packed {
  const w = new FuseWriter(into);
  let n = 0;
  for (const e of entries) {
    checkName(e.dirent.name);
    if (w.pos + direntPlusSize(e.dirent.name.length) > into.length) break;
    writeFields(w, REPLIES.entry_out.fields, e.entry as unknown as Record<string, unknown>, 'direntplus');
    writeDirent(w, e.dirent);
    n++;
  }
  return { bytes: w.pos, entries: n };
}

function readDirent(r: FuseReader): FuseDirent {
  const start = r.pos;
  const ino = r.u64();
  const off = r.u64();
  const namelen = r.u32();
  const type = r.u32();
  const name = r.bytes(namelen, 'name');
  // the record's padding, if any, up to the next 8-byte boundary (relative to the buffer start)
  r.bytes(Math.min(align8(r.pos - start) - (r.pos - start), r.remaining), 'padding');
  return { ino, off, type, name };
}

/** Parses READDIR data (tests, tools). Names are views. Throws FuseDecodeError. */
export function unpackDirents(data: Buffer): FuseDirent[] {
  const r = new FuseReader(data);
  const out: FuseDirent[] = [];
  while (r.remaining > 0) out.push(readDirent(r));
  return out;
}

/** Parses READDIRPLUS data (tests, tools). Throws FuseDecodeError. */
export function unpackDirentsPlus(data: Buffer): FuseDirentPlus[] {
  const r = new FuseReader(data);
  const out: FuseDirentPlus[] = [];
  while (r.remaining > 0) {
    const entry: Record<string, unknown> = {};
    readFields(r, REPLIES.entry_out.fields, entry);
    out.push({ entry: entry as unknown as EntryOut, dirent: readDirent(r) });
  }
  return out;
}
