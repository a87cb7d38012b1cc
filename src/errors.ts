import { isErrnoCode, LINUX_ERRNO, type ErrnoCode } from './errno.js';
import type { Logger } from './log.js';

/**
 * The only error the VFS core lets out. It carries a symbolic errno code
 * (never a host number), the operation and, for logs, a path or node.
 */
export class VfsError extends Error {
  readonly code: ErrnoCode;
  readonly op: string;
  readonly where: string | undefined;

  constructor(code: ErrnoCode, op: string, where?: string) {
    // No stack: a VfsError is an answer (ENOENT for a name a client probes,
    // EACCES...), not a fault, and capturing one cost more than the lookup
    // it reports. Unexpected errors keep theirs (fromNodeError logs it).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(where === undefined ? `${op}: ${code}` : `${op} ${where}: ${code}`);
    Error.stackTraceLimit = limit;
    this.name = 'VfsError';
    this.code = code;
    this.op = op;
    this.where = where;
  }
}

export function vfsError(code: ErrnoCode, op: string, where?: string): VfsError {
  return new VfsError(code, op, where);
}

/**
 * Turns anything thrown by Node's fs (or by our own code) into a VfsError.
 * Only the symbolic `code` is kept; an unknown code becomes EIO and is
 * logged, because a host-specific number must never reach a client.
 */
export function fromNodeError(e: unknown, op: string, where?: string, log?: Logger): VfsError {
  if (e instanceof VfsError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (isErrnoCode(code)) return new VfsError(code, op, where);
  // Node spells a few codes differently from errno(3).
  if (code === 'EOPNOTSUPP') return new VfsError('ENOTSUP', op, where);
  if (code === 'EWOULDBLOCK') return new VfsError('EAGAIN', op, where);
  log?.error(`${op}${where === undefined ? '' : ' ' + where}: unexpected error mapped to EIO: ${describe(e)}`);
  return new VfsError('EIO', op, where);
}

/**
 * The errno code a front end answers for anything its handler threw: a
 * VfsError's own code; anything else is a bug, answered EIO and logged with
 * its stack (`context` says where). Every front end turns the code into its
 * wire form (9P Rlerror/Rerror, a negative FUSE error).
 */
export function errnoOf(e: unknown, log: Logger, context: string): ErrnoCode {
  if (e instanceof VfsError) return e.code;
  log.error(`${context}: unexpected exception answered EIO: ${describe(e)}`);
  return 'EIO';
}

/** The Linux errno number for anything a handler threw (see errnoOf). */
export function linuxErrnoOf(e: unknown, log: Logger, context: string): number {
  return LINUX_ERRNO[errnoOf(e, log, context)];
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}
