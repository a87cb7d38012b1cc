// Zero-copy data replies. A server reads file data (or packs directory
// entries) straight into its reply buffer, between a reserved header and a
// count filled in afterwards:
//
//   const slot = beginRread(reply, tag);            // header reserved
//   const n = await read(fd, slot.subarray(0, count));
//   socket.write(finishData(reply, n));              // size and count set
//
// Rread (117) and Rreaddir (41) share the layout size[4] type[1] tag[2]
// count[4] data[count], so one pair of functions serves both, in every
// dialect. The same holds for a client's Twrite header (see beginTwrite).

import { EncodeError } from './wire.js';

/** size[4] type[1] tag[2] count[4] */
export const DATA_REPLY_HEADER = 11;

/**
 * The largest header any read/write message has: Twrite is
 * size[4] type[1] tag[2] fid[4] offset[8] count[4] = 23 bytes; Linux's
 * P9_IOHDRSZ rounds to 24. iounit = msize - IOHDRSZ keeps data in one frame.
 */
export const IOHDRSZ = 24;

/**
 * Linux's P9_READDIRHDRSZ: a client asks Treaddir count = msize - 24, so
 * the Rreaddir header (11 bytes) always fits with the entries.
 */
export const READDIRHDRSZ = 24;

const RREAD = 117;
const RREADDIR = 41;
const TWRITE = 118;

function begin(buf: Buffer, type: number, tag: number, header: number): Buffer {
  if (buf.length < header) throw new EncodeError(`buffer of ${buf.length} bytes cannot hold a header`);
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff) throw new EncodeError(`tag out of range: ${tag}`);
  buf[4] = type;
  buf.writeUInt16LE(tag, 5);
  return buf.subarray(header);
}

/** Writes an Rread header at buf[0] and returns the slice the data goes in. */
export function beginRread(buf: Buffer, tag: number): Buffer {
  return begin(buf, RREAD, tag, DATA_REPLY_HEADER);
}

/** Writes an Rreaddir header at buf[0] and returns the slice the entries go in. */
export function beginRreaddir(buf: Buffer, tag: number): Buffer {
  return begin(buf, RREADDIR, tag, DATA_REPLY_HEADER);
}

/**
 * Completes a frame begun with beginRread/beginRreaddir once `count` bytes
 * of data are in place; returns the frame (a view of buf).
 */
export function finishData(buf: Buffer, count: number): Buffer {
  const size = DATA_REPLY_HEADER + count;
  if (!Number.isInteger(count) || count < 0 || size > buf.length) {
    throw new EncodeError(`count ${count} does not fit a buffer of ${buf.length} bytes`);
  }
  buf.writeUInt32LE(size, 0);
  buf.writeUInt32LE(count, 7);
  return buf.subarray(0, size);
}

/** Twrite header is size[4] type[1] tag[2] fid[4] offset[8] count[4]. */
export const TWRITE_HEADER = 23;

/** Writes a Twrite header and returns the slice the data goes in. */
export function beginTwrite(buf: Buffer, tag: number, fid: number, offset: bigint): Buffer {
  const slot = begin(buf, TWRITE, tag, TWRITE_HEADER);
  buf.writeUInt32LE(fid, 7);
  buf.writeBigUInt64LE(offset, 11);
  return slot;
}

/** Completes a frame begun with beginTwrite. */
export function finishTwrite(buf: Buffer, count: number): Buffer {
  const size = TWRITE_HEADER + count;
  if (!Number.isInteger(count) || count < 0 || size > buf.length) {
    throw new EncodeError(`count ${count} does not fit a buffer of ${buf.length} bytes`);
  }
  buf.writeUInt32LE(size, 0);
  buf.writeUInt32LE(count, 19);
  return buf.subarray(0, size);
}
