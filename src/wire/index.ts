// The binary wire layer both front ends build on: little-endian readers and
// writers over Buffers, field codecs, message tables and the generic walk.
// Protocol-neutral; imports nothing but node:buffer's global Buffer.

export { WireDecodeError, EncodeError, type WireReason } from './errors.js';
export { WireReader } from './reader.js';
export { WireWriter } from './writer.js';
export { u8, u16, u32, u64, type Field, type FieldValue } from './field.js';
export {
  indexById,
  readFields,
  writeFields,
  type BodyOf,
  type Entry,
  type FieldSpec,
  type MessageNamed,
  type MessageOf,
  type MessageSpec,
  type Table,
} from './table.js';
export { format, showName } from './format.js';
