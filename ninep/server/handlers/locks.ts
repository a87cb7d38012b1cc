// Tlock and Tgetlock: POSIX byte-range locks through the Vfs lock table,
// which every connection of the server shares, so locks are honoured among
// all clients.
//
// The owner of a lock is the locking process: (connection, proc_id,
// client_id). The connection is part of it because client_id is only the
// guest's host name, which two guests may share.
//
// Blocking requests (P9_LOCK_FLAGS_BLOCK, from F_SETLKW): Linux
// (v9fs_file_do_lock) answers P9_LOCK_BLOCKED by sleeping for the session's
// lock timeout (30 s by default) and asking again. To spare the guest most
// of those sleeps, the server keeps a conflicting blocking request waiting
// (Vfs.setlkw) for up to ServerOptions.blockingLockWait, trying again each
// time anyone (any client, any front end of the Vfs) unlocks or closes a
// file; it answers P9_LOCK_BLOCKED when
// that time is up, when the request is flushed (the guest process was
// killed) or when the connection closes.
//
// Every lock range a connection holds counts against its quota
// (ServerOptions.maxLocks, per export): past it a Tlock fails with ENOLCK.

import {
  P9_LOCK_BLOCKED,
  P9_LOCK_FLAGS_BLOCK,
  P9_LOCK_SUCCESS,
  P9_LOCK_TYPE_RDLCK,
  P9_LOCK_TYPE_UNLCK,
  P9_LOCK_TYPE_WRLCK,
} from '../../codec/index.js';
import type { LockRange } from '../../../src/vfs.js';
import type { Fid } from '../fids.js';
import { protocolError } from '../replies.js';
import type { HandlerTable, Msg, Reply, RequestContext } from './types.js';

function lockType(t: number, op: string): LockRange['type'] {
  if (t === P9_LOCK_TYPE_RDLCK) return 'read';
  if (t === P9_LOCK_TYPE_WRLCK) return 'write';
  if (t === P9_LOCK_TYPE_UNLCK) return 'unlock';
  throw protocolError('EINVAL', op, `lock type ${t}`);
}

function wireType(t: LockRange['type']): number {
  return t === 'read' ? P9_LOCK_TYPE_RDLCK : t === 'write' ? P9_LOCK_TYPE_WRLCK : P9_LOCK_TYPE_UNLCK;
}

export function lockOwner(session: number, procId: number, clientId: string): string {
  return `${session}/${procId}/${clientId}`;
}

/** client_id of an owner made by lockOwner. */
function clientIdOf(owner: string): string {
  const first = owner.indexOf('/');
  const second = owner.indexOf('/', first + 1);
  return second < 0 ? '' : owner.slice(second + 1);
}

function openHandle(f: Fid, op: string): number {
  if (f.open?.kind !== 'file') throw protocolError('EBADF', op, 'not an open file');
  return f.open.handle;
}

async function lock(ctx: RequestContext, msg: Msg<'Tlock'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.get(msg.fid, 'lock');
  const handle = openHandle(f, 'lock');
  const range: LockRange = { type: lockType(msg.lock_type, 'lock'), start: msg.start, length: msg.length, pid: msg.proc_id };
  const owner = lockOwner(s.id, msg.proc_id, msg.client_id);
  const vfs = f.exp.vfs;
  const quota = { holder: `session ${s.id}`, max: s.options.maxLocks };
  if (!(msg.flags & P9_LOCK_FLAGS_BLOCK)) {
    const granted = await vfs.setlk(handle, owner, range, quota);
    return { type: 'Rlock', status: granted ? P9_LOCK_SUCCESS : P9_LOCK_BLOCKED };
  }
  // Waits in the Vfs until the lock is free, the wait is up, or the request is flushed.
  const stop = new AbortController();
  const abort = (): void => stop.abort();
  const timer = setTimeout(abort, s.options.blockingLockWait);
  ctx.signal.addEventListener('abort', abort, { once: true });
  if (ctx.signal.aborted) abort();
  try {
    const granted = await vfs.setlkw(handle, owner, range, stop.signal, quota);
    return { type: 'Rlock', status: granted ? P9_LOCK_SUCCESS : P9_LOCK_BLOCKED };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', abort);
  }
}

async function getlock(ctx: RequestContext, msg: Msg<'Tgetlock'>): Promise<Reply> {
  const s = ctx.session;
  const f = s.fids.get(msg.fid, 'getlock');
  const handle = openHandle(f, 'getlock');
  const range: LockRange = { type: lockType(msg.lock_type, 'getlock'), start: msg.start, length: msg.length, pid: msg.proc_id };
  const conflict = await f.exp.vfs.getlk(handle, lockOwner(s.id, msg.proc_id, msg.client_id), range);
  if (conflict === null) {
    return { type: 'Rgetlock', lock_type: P9_LOCK_TYPE_UNLCK, start: msg.start, length: msg.length, proc_id: msg.proc_id, client_id: msg.client_id };
  }
  return {
    type: 'Rgetlock',
    lock_type: wireType(conflict.type),
    start: conflict.start,
    length: conflict.length,
    proc_id: conflict.pid,
    client_id: clientIdOf(conflict.owner),
  };
}

export const LOCK_HANDLERS: HandlerTable = {
  Tlock: lock,
  Tgetlock: getlock,
};
