// The shape of a message table, the TypeScript types derived from it, and
// the one generic walk that decodes and encodes a field list. A protocol's
// tables are the single source of truth: its message types are computed
// from them, so a field added to a table appears in the type.

import { EncodeError } from './errors.js';
import type { Field, FieldValue } from './field.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

/** [field name, codec], in wire order. */
export type FieldSpec = readonly [string, Field<unknown>];

export interface MessageSpec {
  /** The number that names the message on the wire (9P type byte, FUSE opcode). */
  readonly id: number;
  readonly fields: readonly FieldSpec[];
}

export type Table = { readonly [name: string]: MessageSpec };

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

export interface Entry {
  readonly name: string;
  readonly spec: MessageSpec;
}

/**
 * Indexes a table by message id (0 <= id < limit); rejects an id out of
 * range and two messages with one id. `label` names the table in errors.
 */
export function indexById(label: string, table: Table, limit: number): (Entry | undefined)[] {
  const byId: (Entry | undefined)[] = new Array<Entry | undefined>(limit).fill(undefined);
  for (const [msgName, spec] of Object.entries(table)) {
    if (!Number.isInteger(spec.id) || spec.id < 0 || spec.id >= limit) {
      throw new Error(`${label}: ${msgName} has type ${spec.id} outside 0..${limit - 1}`);
    }
    const prev = byId[spec.id];
    if (prev) throw new Error(`${label}: ${msgName} and ${prev.name} share type ${spec.id}`);
    byId[spec.id] = { name: msgName, spec };
  }
  return byId;
}

/** Reads each field in order into `into` (a message object under construction). */
export function readFields(r: WireReader, fields: readonly FieldSpec[], into: Record<string, unknown>): void {
  for (const [name, field] of fields) into[name] = field.read(r);
}

/** Writes each field of `msg` in order. `what` names the message in errors. */
export function writeFields(w: WireWriter, fields: readonly FieldSpec[], msg: Record<string, unknown>, what: string): void {
  for (const [name, field] of fields) {
    if (!(name in msg)) throw new EncodeError(`${what} lacks field ${name}`);
    field.write(w, msg[name]);
  }
}
