// The 9P codec: pure functions from typed messages to frames and back.
// No I/O, no knowledge of files. See codec.ts for the entry points.

export { DecodeError, EncodeError, Reader, Writer, QID_SIZE, type DecodeReason, type Qid } from './wire.js';
export { MAXWELEM, type Field, type Stat, type StatU } from './fields.js';
export type { Dialect, DialectName, MessageOf, MessageNamed, MessageSpec, Table } from './table.js';
export { P9P2000 } from './dialects/p9p2000.js';
export { P9P2000u } from './dialects/p9p2000u.js';
export { P9P2000L } from './dialects/p9p2000L.js';
export {
  dialect9P2000,
  dialect9P2000u,
  dialect9P2000L,
  dialectByName,
  decode,
  encode,
  encodeInto,
  peekHeader,
  messageName,
  HEADER_SIZE,
  type AnyDialect,
  type AnyMessage,
  type MessageOfDialect,
  type Header,
  type Message9P2000,
  type Message9P2000u,
  type Message9P2000L,
} from './codec.js';
export { format } from './format.js';
export { direntSize, packDirents, unpackDirents, packStats, unpackStats, type Dirent, type Packed } from './dirents.js';
export {
  beginRread,
  beginRreaddir,
  finishData,
  beginTwrite,
  finishTwrite,
  DATA_REPLY_HEADER,
  TWRITE_HEADER,
  IOHDRSZ,
  READDIRHDRSZ,
} from './io.js';
export * from './constants.js';
export * from './openflags.js';
