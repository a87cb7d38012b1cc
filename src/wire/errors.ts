// The two errors of the wire layer. Each protocol narrows the decode error
// to its own reasons (ninep/codec DecodeError, fuse/codec FuseDecodeError),
// so `e instanceof WireDecodeError` catches either and `e.reason` stays a
// stable code for tests and logs.

/** The reasons the generic Reader itself can give. */
export type WireReason =
  | 'overrun' // a field runs past the end of the frame
  | 'trailing-bytes'; // bytes left after the last field

/** A frame (or part of one) is malformed. */
export class WireDecodeError<R extends string = string> extends Error {
  override readonly name: string = 'DecodeError';
  constructor(
    readonly reason: R,
    message: string,
    /** Byte offset in the frame where decoding stopped. */
    readonly offset = -1,
  ) {
    super(`${reason}: ${message}`);
  }
}

/** Thrown by encoding when a value cannot be put on the wire (a caller bug). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}
