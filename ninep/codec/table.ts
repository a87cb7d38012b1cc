// The shape of a message table, the types derived from it, and Dialect: a
// table indexed by type byte. The tables in dialects/ are the single source
// of truth: TypeScript message types are computed from them, so a field
// added to a table appears in the type.

import type { Field } from './fields.js';

/** [field name, codec], in wire order. */
export type FieldSpec = readonly [string, Field<unknown>];

export interface MessageSpec {
  /** The type byte. */
  readonly id: number;
  readonly fields: readonly FieldSpec[];
}

export type Table = { readonly [name: string]: MessageSpec };

type FieldValue<F> = F extends Field<infer T> ? T : never;

/** The body of a message: one property per field, typed by its codec. */
export type BodyOf<S extends MessageSpec> = {
  -readonly [E in S['fields'][number] as E[0]]: FieldValue<E[1]>;
};

type Flatten<T> = { [K in keyof T]: T[K] };

/** Discriminated union of the messages a table defines, on `type`. */
export type MessageOf<Tb extends Table> = {
  [K in keyof Tb & string]: Flatten<{ type: K } & BodyOf<Tb[K]>>;
}[keyof Tb & string];

/** One message of a table by name: MessageNamed<typeof P9P2000L, 'Twalk'>. */
export type MessageNamed<Tb extends Table, K extends keyof Tb & string> = Extract<MessageOf<Tb>, { type: K }>;

export type DialectName = '9P2000' | '9P2000.u' | '9P2000.L';

export interface Entry {
  readonly name: string;
  readonly spec: MessageSpec;
}

export interface Dialect<Tb extends Table = Table> {
  /** The version string negotiated by Tversion. */
  readonly name: DialectName;
  readonly table: Tb;
  /** Index by type byte (0..255). */
  readonly byId: readonly (Entry | undefined)[];
}

/** Builds the type-byte index; rejects two messages with one id. */
export function makeDialect<Tb extends Table>(name: DialectName, table: Tb): Dialect<Tb> {
  const byId: (Entry | undefined)[] = new Array<Entry | undefined>(256).fill(undefined);
  for (const [msgName, spec] of Object.entries(table)) {
    if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id > 255) {
      throw new Error(`${name}: ${msgName} has type ${spec.id} outside 0..255`);
    }
    const prev = byId[spec.id];
    if (prev) throw new Error(`${name}: ${msgName} and ${prev.name} share type ${spec.id}`);
    byId[spec.id] = { name: msgName, spec };
  }
  return { name, table, byId };
}
