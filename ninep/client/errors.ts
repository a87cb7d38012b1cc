// What a 9P client call can fail with. Two kinds, kept apart:
//  - NinepError: the server answered with an error (Rlerror on 9P2000.L,
//    Rerror on 9P2000 and 9P2000.u). The request reached the server; the
//    connection is fine.
//  - ClientError: nothing usable came back (connection closed, a reply that
//    breaks the protocol, a request flushed before its reply, a refused
//    version, a caller mistake).

import { LINUX_ERRNO, STRERROR, type ErrnoCode } from '../../src/errno.js';

const CODE_BY_NUMBER: ReadonlyMap<number, ErrnoCode> = new Map(
  (Object.entries(LINUX_ERRNO) as [ErrnoCode, number][]).map(([code, n]) => [n, code]),
);
const CODE_BY_TEXT: ReadonlyMap<string, ErrnoCode> = new Map(
  (Object.entries(STRERROR) as [ErrnoCode, string][]).map(([code, text]) => [text.toLowerCase(), code]),
);

/** The symbolic code of a Linux errno number, if it is one we know. */
export function errnoCodeOf(errno: number): ErrnoCode | undefined {
  return CODE_BY_NUMBER.get(errno);
}

/** The symbolic code of an error text (strerror form), if it is one we know. */
export function errnoCodeOfText(ename: string): ErrnoCode | undefined {
  return CODE_BY_TEXT.get(ename.toLowerCase());
}

/** The server answered a request with an error. */
export class NinepError extends Error {
  override readonly name = 'NinepError';
  constructor(
    /** The request that failed, e.g. 'Twalk'. */
    readonly request: string,
    /** Symbolic code: from the Linux number when there is one, else from the text. */
    readonly code: ErrnoCode | undefined,
    /** The Linux errno number on the wire (Rlerror ecode, Rerror .u errno); 9P2000 has none. */
    readonly errno: number | undefined,
    /** The error text: Rerror's ename, or the strerror text of an Rlerror number. */
    readonly ename: string,
  ) {
    super(`${request}: ${ename}${code !== undefined ? ` (${code})` : errno !== undefined ? ` (errno ${errno})` : ''}`);
  }

  /** From Rlerror{ecode}. */
  static fromLerror(request: string, ecode: number): NinepError {
    const code = errnoCodeOf(ecode);
    return new NinepError(request, code, ecode, code !== undefined ? STRERROR[code] : `error ${ecode}`);
  }

  /**
   * From Rerror{ename[, errno]}. 9P2000.u: a zero errno means "none given"
   * (Plan 9 servers speaking .u send text only), so the text decides.
   */
  static fromRerror(request: string, ename: string, errno: number | undefined): NinepError {
    const byNumber = errno !== undefined && errno !== 0 ? errnoCodeOf(errno) : undefined;
    return new NinepError(request, byNumber ?? errnoCodeOfText(ename), errno, ename);
  }
}

export type ClientErrorReason =
  | 'closed' // the connection ended (or failed) before the reply
  | 'protocol' // the server sent something that breaks the protocol
  | 'flushed' // Tflush completed before the request's reply arrived
  | 'version' // the server refused every version we could speak
  | 'usage'; // the caller asked for something this client cannot send

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly reason: ClientErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${reason}: ${message}`, options);
  }
}
