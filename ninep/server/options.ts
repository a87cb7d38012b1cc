// ServerOptions: how the 9P server treats its connections. One typed object
// with its defaults and validation here; `humbridge serve` flags map onto it.

import { nullLogger, type Logger } from '../../src/log.js';

/** Now an export option (ExportOptions.access); named here too for the server's users. */
export type { AccessModel } from '../../src/vfs.js';

/** Identity squashing, as NFS's root_squash/all_squash and diod's allsquash. */
export type SquashMode = 'none' | 'root' | 'all';

export interface ServerOptions {
  /**
   * Largest msize granted (Tversion asks, the server clamps). Linux asks up
   * to 1 MiB on virtio and 512 KiB on tcp by default; diod caps at 64 KiB.
   */
  maxMsize: number;
  /** Smallest msize accepted: below it a Tversion is refused. */
  minMsize: number;
  /**
   * Fids one connection may hold at once; more are refused with EMFILE.
   * Linux keeps a fid per cached dentry, so a guest walking a big tree
   * holds many.
   */
  maxFids: number;
  /**
   * Requests one connection may have in flight. At the limit the server
   * stops reading that connection (backpressure) until one completes, so a
   * client never sees an error for sending too fast.
   */
  maxInFlight: number;
  /**
   * Bytes queued for the socket above which the server stops reading more
   * requests from it, so a client that does not read its replies cannot
   * make the server buffer without bound. The most a connection can queue
   * is about writeHighWater + maxInFlight × msize.
   */
  writeHighWater: number;
  /**
   * uid and gid used when the protocol carries no number: a 9P2000 uname
   * other than "root" or a decimal number, a .u/.L attach whose n_uname is
   * ~0 with such a uname (Linux's first attach is uname "nobody"), and the
   * gid of a user the server knows only by uid. Default 65534 (nobody/nogroup).
   */
  defaultUid: number;
  defaultGid: number;
  /**
   * Identities the server will not act as. `none` (default): the ids a
   * client names are used as they are. `root`: uid 0 becomes anonUid and
   * gid 0 anonGid (NFS root_squash). `all`: every uid becomes anonUid and
   * every gid anonGid (all_squash). Applied to the attach's identity and to
   * the group a creating request names (creds.ts). With access `client`
   * the guest kernel still checks permissions; squashing decides whom new
   * files belong to. With access `user` it also decides what is allowed.
   */
  squash: SquashMode;
  /** uid and gid squashed identities become. Default 65534 (nobody/nogroup). */
  anonUid: number;
  anonGid: number;
  /**
   * How long a blocking Tlock (F_SETLKW) that conflicts waits in the server
   * for the lock before answering P9_LOCK_BLOCKED, in ms. Linux then sleeps
   * its lock timeout (30 s unless mounted with locktimeout=) and asks again;
   * while the server holds the request the caller can only be killed, not
   * interrupted, so the wait is kept short.
   */
  blockingLockWait: number;
  /**
   * Bytes of xattr values one connection may hold at once: the values
   * announced by Txattrcreate (the buffer grows as Twrite brings the data)
   * and the values read by Txattrwalk, until their fids are clunked. Beyond
   * it Txattrcreate and Txattrwalk answer ENOMEM. Default 1 MiB (sixteen
   * values of Linux's largest, 64 KiB).
   */
  maxXattrBytes: number;
  /**
   * Bytes of read-ahead buffers (handlers/read-ahead.ts) the whole server
   * keeps at once; past it the read-aheads started longest ago are dropped,
   * so open fids left idle hold no buffer for long. 0 turns read-ahead off.
   * Default 64 MiB.
   */
  readAheadBytes: number;
  /**
   * Open files and directories one connection may hold (each is a host
   * descriptor); more are refused with EMFILE.
   */
  maxOpenFiles: number;
  /**
   * Open files and directories of all connections together; more are
   * refused with ENFILE. Keep it below the process's descriptor limit with
   * room for the exports' cached descriptors and the connections
   * themselves: `humbridge serve` derives it from RLIMIT_NOFILE.
   */
  maxOpenFilesTotal: number;
  /** Connections served at once; a new one beyond it is closed at once (logged). */
  maxConnections: number;
  /**
   * ms a connection may hold part of a frame while sending nothing more;
   * then it is closed (logged). Not counted while the server itself is not
   * reading the connection. 0: never.
   */
  frameTimeout: number;
  /**
   * Reply bytes queued for the sockets of all connections together. Above
   * it, every connection that still has replies waiting for its socket stops
   * reading requests until the total drains (or its own queue empties);
   * connections whose client reads its replies go on.
   */
  maxQueuedBytes: number;
  /**
   * Byte-range lock ranges one connection may hold at once in one export
   * (its processes together; a range split in two by an unlock counts
   * twice). A Tlock that would go past it fails with ENOLCK, which the
   * guest's fcntl returns. Each range costs about half a KiB; the table
   * stays O(log n) per lock whatever the count.
   */
  maxLocks: number;
  logger: Logger;
  /** Log every request and reply (debug level) as `recv [tag] Twalk{...}`. */
  trace: boolean;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  maxMsize: 1 << 20,
  minMsize: 4096,
  maxFids: 262144,
  maxInFlight: 64,
  writeHighWater: 4 << 20,
  defaultUid: 65534,
  defaultGid: 65534,
  squash: 'none',
  anonUid: 65534,
  anonGid: 65534,
  blockingLockWait: 1000,
  maxXattrBytes: 1 << 20,
  readAheadBytes: 64 << 20,
  maxOpenFiles: 4096,
  maxOpenFilesTotal: 16384,
  maxConnections: 256,
  frameTimeout: 30_000,
  maxQueuedBytes: 64 << 20,
  maxLocks: 16384,
  logger: nullLogger,
  trace: false,
};

export class ServerOptionsError extends Error {
  override readonly name = 'ServerOptionsError';
}

function integerIn(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ServerOptionsError(`${name} must be an integer from ${min} to ${max}, not ${v}`);
}

/** Defaults filled in and every field checked; throws ServerOptionsError. */
export function resolveServerOptions(partial: Partial<ServerOptions> = {}): ServerOptions {
  const o: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  integerIn('minMsize', o.minMsize, 256, 0xffffffff);
  integerIn('maxMsize', o.maxMsize, o.minMsize, 0x7fffffff);
  integerIn('maxFids', o.maxFids, 1, 1 << 24);
  integerIn('maxInFlight', o.maxInFlight, 1, 65535);
  integerIn('writeHighWater', o.writeHighWater, 1, 0x7fffffff);
  integerIn('defaultUid', o.defaultUid, 0, 0xfffffffe);
  integerIn('defaultGid', o.defaultGid, 0, 0xfffffffe);
  integerIn('anonUid', o.anonUid, 0, 0xfffffffe);
  integerIn('anonGid', o.anonGid, 0, 0xfffffffe);
  if (o.squash !== 'none' && o.squash !== 'root' && o.squash !== 'all') throw new ServerOptionsError(`squash must be "none", "root" or "all", not "${String(o.squash)}"`);
  integerIn('blockingLockWait', o.blockingLockWait, 0, 3_600_000);
  integerIn('maxXattrBytes', o.maxXattrBytes, 0, 0x7fffffff);
  integerIn('readAheadBytes', o.readAheadBytes, 0, 0x7fffffff);
  integerIn('maxOpenFiles', o.maxOpenFiles, 1, 1 << 24);
  integerIn('maxOpenFilesTotal', o.maxOpenFilesTotal, 1, 1 << 24);
  integerIn('maxConnections', o.maxConnections, 1, 1 << 20);
  integerIn('frameTimeout', o.frameTimeout, 0, 86_400_000);
  integerIn('maxQueuedBytes', o.maxQueuedBytes, 1, Number.MAX_SAFE_INTEGER);
  integerIn('maxLocks', o.maxLocks, 1, 1 << 24);
  return o;
}
