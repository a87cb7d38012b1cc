// Typed messages <-> frames, for any dialect. A frame is a whole message:
// size[4] type[1] tag[2] fields..., with size counting itself (intro(5)).
//
// Buffers in a decoded message (names, data) are VIEWS into the frame: they
// stay valid only as long as the frame's bytes do. A consumer that keeps a
// message past the frame's lifetime (framing.ts reuses its buffer) copies
// the frame first, once: `decode(d, Buffer.from(frame))`.

import { readFields, writeFields } from '../../src/wire/index.js';
import { DecodeError, EncodeError, Reader, Writer } from './wire.js';
import { makeDialect, type Dialect, type MessageOf } from './table.js';
import { P9P2000 } from './dialects/p9p2000.js';
import { P9P2000u } from './dialects/p9p2000u.js';
import { P9P2000L } from './dialects/p9p2000L.js';

export const dialect9P2000 = makeDialect('9P2000', P9P2000);
export const dialect9P2000u = makeDialect('9P2000.u', P9P2000u);
export const dialect9P2000L = makeDialect('9P2000.L', P9P2000L);

export type Message9P2000 = MessageOf<typeof P9P2000>;
export type Message9P2000u = MessageOf<typeof P9P2000u>;
export type Message9P2000L = MessageOf<typeof P9P2000L>;
/** Any message of any dialect. */
export type AnyMessage = Message9P2000 | Message9P2000u | Message9P2000L;

export type AnyDialect = typeof dialect9P2000 | typeof dialect9P2000u | typeof dialect9P2000L;

/**
 * The messages of a dialect. Distributes over a union, so a session whose
 * dialect is only known at run time (AnyDialect) gets AnyMessage.
 */
export type MessageOfDialect<D> = D extends Dialect<infer Tb> ? MessageOf<Tb> : never;

/** The dialect for a Tversion version string, or undefined if unknown. */
export function dialectByName(version: string): AnyDialect | undefined {
  switch (version) {
    case '9P2000':
      return dialect9P2000;
    case '9P2000.u':
      return dialect9P2000u;
    case '9P2000.L':
      return dialect9P2000L;
    default:
      return undefined;
  }
}

/** size[4] type[1] tag[2] */
export const HEADER_SIZE = 7;

export interface Header {
  size: number;
  type: number;
  tag: number;
}

/**
 * Reads the header of a frame without looking at the body, so a server can
 * answer an error for the tag of a frame it cannot decode. Throws
 * DecodeError('short-frame') only when the 7 header bytes are missing.
 */
export function peekHeader(frame: Buffer): Header {
  if (frame.length < HEADER_SIZE) {
    throw new DecodeError('short-frame', `${frame.length} bytes, a header needs ${HEADER_SIZE}`, 0);
  }
  return { size: frame.readUInt32LE(0), type: frame[4] as number, tag: frame.readUInt16LE(5) };
}

/** The message name of a type byte in a dialect ('Twalk'), or undefined. */
export function messageName(d: Dialect, type: number): string | undefined {
  return d.byId[type]?.name;
}

/**
 * Decodes one whole frame. Throws only DecodeError: a short frame, a size
 * field that is not the frame length, a type the dialect lacks, a field
 * running past the end, bytes left over, or an irregular field's own check.
 */
export function decode<D extends Dialect>(d: D, frame: Buffer): { tag: number; msg: MessageOfDialect<D> } {
  const h = peekHeader(frame);
  if (h.size !== frame.length) {
    throw new DecodeError('size-mismatch', `size field ${h.size}, frame holds ${frame.length} bytes`, 0);
  }
  const entry = d.byId[h.type];
  if (!entry) throw new DecodeError('unknown-type', `type ${h.type} is not a ${d.name} message`, 4);
  const r = new Reader(frame, HEADER_SIZE);
  const msg: Record<string, unknown> = { type: entry.name };
  readFields(r, entry.spec.fields, msg);
  r.done();
  return { tag: h.tag, msg: msg as MessageOfDialect<D> };
}

/**
 * Encodes a message at the writer's position and returns the frame length;
 * the frame is `w.buf.subarray(start, w.pos)`. With a Writer over a reused
 * buffer this allocates nothing but what the field values need.
 * Throws EncodeError for a type the dialect lacks, a missing field or a
 * value out of range (or a full caller buffer); the writer is then left at
 * its starting position.
 *
 * Tversion has the same layout in every dialect, so a server decodes and
 * answers it with dialect9P2000 before a dialect is chosen.
 */
export function encodeInto<D extends Dialect>(d: D, w: Writer, tag: number, msg: MessageOfDialect<D>): number {
  const m = msg as { type: string } & Record<string, unknown>;
  const spec = Object.hasOwn(d.table, m.type) ? d.table[m.type] : undefined;
  if (!spec) throw new EncodeError(`${m.type} is not a ${d.name} message`);
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff) throw new EncodeError(`tag out of range: ${tag}`);
  const start = w.reserve(HEADER_SIZE);
  try {
    w.buf[start + 4] = spec.id;
    w.buf.writeUInt16LE(tag, start + 5);
    writeFields(w, spec.fields, m, m.type);
  } catch (e) {
    w.pos = start; // leave the writer as it was: no half frame
    throw e;
  }
  const size = w.pos - start;
  w.buf.writeUInt32LE(size, start);
  return size;
}

/** Encodes a message into a new Buffer holding exactly the frame. */
export function encode<D extends Dialect>(d: D, tag: number, msg: MessageOfDialect<D>): Buffer {
  const w = new Writer();
  encodeInto(d, w, tag, msg);
  return w.view();
}
