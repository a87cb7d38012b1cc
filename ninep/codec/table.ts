// Dialect: a 9P message table indexed by type byte. The table shape and the
// types derived from it (MessageOf, MessageNamed) are src/wire's; the tables
// in dialects/ are the single source of truth.

import { indexById, type Entry, type Table } from '../../src/wire/index.js';

export type { BodyOf, Entry, FieldSpec, MessageNamed, MessageOf, MessageSpec, Table } from '../../src/wire/index.js';

export type DialectName = '9P2000' | '9P2000.u' | '9P2000.L';

export interface Dialect<Tb extends Table = Table> {
  /** The version string negotiated by Tversion. */
  readonly name: DialectName;
  readonly table: Tb;
  /** Index by type byte (0..255). */
  readonly byId: readonly (Entry | undefined)[];
}

/** Builds the type-byte index; rejects two messages with one id. */
export function makeDialect<Tb extends Table>(name: DialectName, table: Tb): Dialect<Tb> {
  return { name, table, byId: indexById(name, table, 256) };
}
