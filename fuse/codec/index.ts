// The kernel FUSE protocol (linux/fuse.h 7.45) as data: pure functions from
// /dev/fuse request bytes to typed requests, and from typed replies to
// bytes. No I/O. See codec.ts for the entry points and README.md.

export { FuseDecodeError, FuseReader, FuseWriter, type FuseDecodeReason } from './wire.js';
export { EncodeError } from '../../src/wire/index.js';
export { attr, fileLock, statx, sxTime, ATTR_SIZE, type FuseAttr, type FuseFileLock, type FuseStatx, type ForgetOne, type Field, type StructField } from './fields.js';
export { REQUESTS, SETXATTR_COMPAT } from './requests.js';
export { REPLIES } from './replies.js';
export {
  IN_HEADER_SIZE,
  OUT_HEADER_SIZE,
  opcodeName,
  peekHeader,
  decodeRequest,
  encodeRequest,
  encodeReply,
  encodeStatus,
  beginData,
  finishData,
  decodeOutHeader,
  decodeReply,
  type InHeader,
  type OutHeader,
  type DecodedRequest,
  type DecodeOptions,
  type RequestHeader,
  type FuseRequest,
  type FuseReply,
  type RequestNamed,
  type ReplyNamed,
} from './codec.js';
export {
  packDirents,
  packDirentsPlus,
  unpackDirents,
  unpackDirentsPlus,
  direntSize,
  direntPlusSize,
  DIRENT_NAME_OFFSET,
  DIRENTPLUS_NAME_OFFSET,
  FUSE_NAME_MAX,
  type FuseDirent,
  type FuseDirentPlus,
  type EntryOut,
  type Packed,
} from './dirents.js';
export { encodeNotify, decodeNotify, type FuseNotify } from './notify.js';
export { format, formatRequest, formatReply } from './format.js';
export * from './constants.js';
