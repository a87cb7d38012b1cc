// The field-codec shape: each Field knows how one kind of field sits on the
// wire. Message tables are lists of [name, Field] pairs. A protocol adds its
// own irregular fields (9P strings and stat, FUSE NUL-terminated names) on
// its own Reader/Writer subclass, named by the R and W parameters.

import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

export interface Field<T, R extends WireReader = WireReader, W extends WireWriter = WireWriter> {
  /** Stable name of the wire form, for tests and tools. */
  readonly kind: string;
  read(r: R): T;
  write(w: W, v: T): void;
}

/** The value type a field carries. */
export type FieldValue<F> = F extends { read(r: never): infer T } ? T : never;

export const u8: Field<number> = { kind: 'u8', read: (r) => r.u8(), write: (w, v) => w.u8(v) };
export const u16: Field<number> = { kind: 'u16', read: (r) => r.u16(), write: (w, v) => w.u16(v) };
export const u32: Field<number> = { kind: 'u32', read: (r) => r.u32(), write: (w, v) => w.u32(v) };
export const u64: Field<bigint> = { kind: 'u64', read: (r) => r.u64(), write: (w, v) => w.u64(v) };
