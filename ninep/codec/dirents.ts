// Directory listings, which travel inside the `data` of a reply:
//  - 9P2000.L Rreaddir: entries qid[13] offset[8] type[1] name[s].
//  - 9P2000/.u Rread on a directory: stat entries, each with its size[2].
// A reply holds at most `count` bytes (the request's count, itself at most
// msize - header) and never a partial entry (read(5): "read ... of a
// directory returns an integral number of directory entries"), so the
// packers fill a caller-given slice and say how many entries fit; the
// caller resumes from the next entry in the next request.

import { DecodeError, Reader, Writer, QID_SIZE, type Qid } from './wire.js';
import { statEntry2000, statEntry2000u, type Stat, type StatU } from './fields.js';

export interface Dirent {
  qid: Qid;
  /** Cookie that resumes the listing after this entry (Treaddir offset). */
  offset: bigint;
  /** DT_* type, as Linux getdents reports it. */
  type: number;
  /** Name bytes. */
  name: Buffer;
}

/** Wire size of one Rreaddir entry. */
export function direntSize(d: Dirent): number {
  return QID_SIZE + 8 + 1 + 2 + d.name.length;
}

export interface Packed {
  /** Bytes written at the start of the target. */
  bytes: number;
  /** How many entries (from the start of the list) fit. */
  entries: number;
}

/**
 * Packs Rreaddir entries into `into` (its length is the byte budget, e.g.
 * the slice from beginRreaddir cut to the request's count) until the next
 * entry would not fit.
 */
export function packDirents(into: Buffer, entries: Iterable<Dirent>): Packed {
  const w = new Writer(into);
  let n = 0;
  for (const d of entries) {
    if (w.pos + direntSize(d) > into.length) break;
    w.qid(d.qid);
    w.u64(d.offset);
    w.u8(d.type);
    w.raw(d.name);
    n++;
  }
  return { bytes: w.pos, entries: n };
}

/** Parses Rreaddir data. Names are views into `data`. Throws DecodeError. */
export function unpackDirents(data: Buffer): Dirent[] {
  const r = new Reader(data);
  const out: Dirent[] = [];
  while (r.remaining > 0) out.push({ qid: r.qid(), offset: r.u64(), type: r.u8(), name: r.raw() });
  return out;
}

/** Packs stat entries (9P2000 form, or .u form when dotu) for a directory Rread. */
export function packStats(into: Buffer, stats: Iterable<Stat | StatU>, dotu: boolean): Packed {
  const field = dotu ? statEntry2000u : statEntry2000;
  const scratch = new Writer();
  const w = new Writer(into);
  let n = 0;
  for (const st of stats) {
    scratch.reset();
    field.write(scratch, st as StatU);
    if (w.pos + scratch.pos > into.length) break;
    w.bytes(scratch.view());
    n++;
  }
  return { bytes: w.pos, entries: n };
}

/** Parses a directory Rread's data as stat entries. Throws DecodeError. */
export function unpackStats(data: Buffer, dotu: boolean): (Stat | StatU)[] {
  const field = dotu ? statEntry2000u : statEntry2000;
  const r = new Reader(data);
  const out: (Stat | StatU)[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 2) throw new DecodeError('overrun', 'a stat entry needs its size[2]', r.pos);
    out.push(field.read(r));
  }
  return out;
}
