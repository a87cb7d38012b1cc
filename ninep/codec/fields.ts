// 9P's field codecs: each knows how one kind of field sits on the wire.
// Message tables (dialects/) are lists of [name, Field] pairs built from
// these and from the fixed-width fields of src/wire.
// The irregular parts of 9P (walk element lists, stat structures with their
// nested size prefixes, counted data) are fields too, so every message,
// regular or not, goes through the same table walk.

import { u8, u16, u32, u64, type Field as WireField } from '../../src/wire/index.js';
import { DecodeError, EncodeError, Reader, type Writer, type Qid } from './wire.js';

/** A field codec over the 9P Reader and Writer (the shape is src/wire's). */
export type Field<T> = WireField<T, Reader, Writer>;

export { u8, u16, u32, u64 };
/** UTF-8 text with a u16 length. */
export const str: Field<string> = { kind: 'str', read: (r) => r.str(), write: (w, v) => w.str(v) };
/** A file name or path as raw bytes with a u16 length (exact for non-UTF-8 names). */
export const raw: Field<Buffer> = { kind: 'raw', read: (r) => r.raw(), write: (w, v) => w.raw(v) };
/** count[4] data[count]: Rread, Twrite, Rreaddir. */
export const data: Field<Buffer> = { kind: 'data', read: (r) => r.data(), write: (w, v) => w.data(v) };
export const qid: Field<Qid> = { kind: 'qid', read: (r) => r.qid(), write: (w, v) => w.qid(v) };

/** walk(5): "nwname ... may not exceed MAXWELEM, 16". */
export const MAXWELEM = 16;

/** Twalk: nwname[2] nwname*(wname[s]). */
export const wnames: Field<readonly Buffer[]> = {
  kind: 'wnames',
  read(r) {
    const at = r.pos;
    const n = r.u16();
    if (n > MAXWELEM) throw new DecodeError('too-many-wnames', `nwname ${n} > ${MAXWELEM}`, at);
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(r.raw());
    return out;
  },
  write(w, v) {
    if (v.length > MAXWELEM) throw new EncodeError(`nwname ${v.length} > ${MAXWELEM}`);
    w.u16(v.length);
    for (const name of v) w.raw(name);
  },
};

/** Rwalk: nwqid[2] nwqid*(wqid[13]). walk(5): nwqid <= nwname <= MAXWELEM. */
export const wqids: Field<readonly Qid[]> = {
  kind: 'wqids',
  read(r) {
    const at = r.pos;
    const n = r.u16();
    if (n > MAXWELEM) throw new DecodeError('too-many-wqids', `nwqid ${n} > ${MAXWELEM}`, at);
    const out: Qid[] = [];
    for (let i = 0; i < n; i++) out.push(r.qid());
    return out;
  },
  write(w, v) {
    if (v.length > MAXWELEM) throw new EncodeError(`nwqid ${v.length} > ${MAXWELEM}`);
    w.u16(v.length);
    for (const q of v) w.qid(q);
  },
};

/** A directory entry as stat(5) lays it out (9P2000). */
export interface Stat {
  /** "for kernel use" */
  type: number;
  /** "for kernel use" */
  dev: number;
  qid: Qid;
  /** DM* bits and permissions. */
  mode: number;
  atime: number;
  mtime: number;
  length: bigint;
  /** File name bytes ("/" for the root). */
  name: Buffer;
  uid: string;
  gid: string;
  muid: string;
}

/** 9P2000.u adds extension[s] n_uid[4] n_gid[4] n_muid[4] after muid. */
export interface StatU extends Stat {
  /** Symlink target, "c major minor"/"b major minor" for devices, else empty. Bytes. */
  extension: Buffer;
  n_uid: number;
  n_gid: number;
  n_muid: number;
}

function readStatBody(r: Reader, dotu: boolean): Stat | StatU {
  const base: Stat = {
    type: r.u16(),
    dev: r.u32(),
    qid: r.qid(),
    mode: r.u32(),
    atime: r.u32(),
    mtime: r.u32(),
    length: r.u64(),
    name: r.raw(),
    uid: r.str(),
    gid: r.str(),
    muid: r.str(),
  };
  if (!dotu) return base;
  return { ...base, extension: r.raw(), n_uid: r.u32(), n_gid: r.u32(), n_muid: r.u32() };
}

/**
 * One stat entry, starting with its own size[2] ("total byte count of the
 * following data", stat(5)). This is the form a directory read returns.
 * The size must match the fields exactly.
 */
function statEntry<T extends Stat>(kind: string, dotu: boolean): Field<T> {
  return {
    kind,
    read(r) {
      const at = r.pos;
      const size = r.u16();
      if (size > r.remaining) {
        throw new DecodeError('bad-stat-size', `stat size ${size} exceeds the ${r.remaining} bytes left`, at);
      }
      const inner = new Reader(r.buf, r.pos, r.pos + size);
      let st: Stat | StatU;
      try {
        st = readStatBody(inner, dotu);
        inner.done();
      } catch (e) {
        if (e instanceof DecodeError) {
          throw new DecodeError('bad-stat-size', `stat size ${size} does not match its fields (${e.message})`, at);
        }
        throw e;
      }
      r.pos += size;
      return st as T;
    },
    write(w, v) {
      const at = w.reserve(2);
      const start = w.pos;
      w.u16(v.type);
      w.u32(v.dev);
      w.qid(v.qid);
      w.u32(v.mode);
      w.u32(v.atime);
      w.u32(v.mtime);
      w.u64(v.length);
      w.raw(v.name);
      w.str(v.uid);
      w.str(v.gid);
      w.str(v.muid);
      if (dotu) {
        const u = v as unknown as StatU;
        w.raw(u.extension);
        w.u32(u.n_uid);
        w.u32(u.n_gid);
        w.u32(u.n_muid);
      }
      const size = w.pos - start;
      if (size > 0xffff) throw new EncodeError(`stat of ${size} bytes exceeds 65535`);
      w.buf.writeUInt16LE(size, at);
    },
  };
}

export const statEntry2000: Field<Stat> = statEntry<Stat>('stat', false);
export const statEntry2000u: Field<StatU> = statEntry<StatU>('stat.u', true);

/**
 * Rstat and Twstat carry stat[n]: an n[2] count and then the stat entry,
 * which has its own size[2] (stat(5) BUGS: "the size appears twice"; Linux
 * sends wst->size + 2). n must equal the entry's size + 2.
 */
function statMessage<T extends Stat>(entry: Field<T>): Field<T> {
  return {
    kind: `n+${entry.kind}`,
    read(r) {
      const at = r.pos;
      const n = r.u16();
      if (n > r.remaining) throw new DecodeError('bad-stat-size', `stat[n] n=${n} exceeds the ${r.remaining} bytes left`, at);
      const end = r.pos + n;
      const st = entry.read(new Reader(r.buf, r.pos, end));
      const used = 2 + r.buf.readUInt16LE(r.pos);
      if (used !== n) throw new DecodeError('bad-stat-size', `stat[n] n=${n} but the stat holds ${used} bytes`, at);
      r.pos = end;
      return st;
    },
    write(w, v) {
      const at = w.reserve(2);
      const start = w.pos;
      entry.write(w, v);
      w.buf.writeUInt16LE(w.pos - start, at);
    },
  };
}

export const stat2000: Field<Stat> = statMessage(statEntry2000);
export const stat2000u: Field<StatU> = statMessage(statEntry2000u);
