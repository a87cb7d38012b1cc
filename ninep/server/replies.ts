// Errors on the wire, decided at one point (STYLE 2.3): a VfsError's
// symbolic code becomes Rlerror{ecode: Linux errno} on 9P2000.L,
// Rerror{ename: strerror text, errno: Linux errno} on 9P2000.u and
// Rerror{ename} on 9P2000. Anything else thrown by a handler is a bug: it
// is answered EIO and its stack is logged, and the connection goes on.

import type { AnyMessage, DialectName } from '../codec/index.js';
import { LINUX_ERRNO, STRERROR, type ErrnoCode } from '../../src/errno.js';
import { VfsError } from '../../src/errors.js';

/** The error reply for `code` in `dialect`; `text` replaces the strerror text where the wire carries one. */
export function errorReply(dialect: DialectName, code: ErrnoCode, text?: string): AnyMessage {
  const ename = text ?? STRERROR[code];
  switch (dialect) {
    case '9P2000.L':
      return { type: 'Rlerror', ecode: LINUX_ERRNO[code] };
    case '9P2000.u':
      return { type: 'Rerror', ename, errno: LINUX_ERRNO[code] };
    default:
      return { type: 'Rerror', ename };
  }
}

/** An error about the protocol itself (bad fid, fid in use, ...), with an optional text for Rerror. */
export class ProtocolError extends VfsError {
  constructor(
    code: ErrnoCode,
    op: string,
    why: string,
    readonly text?: string,
  ) {
    super(code, op, why);
  }
}

export function protocolError(code: ErrnoCode, op: string, why: string, text?: string): ProtocolError {
  return new ProtocolError(code, op, why, text);
}
