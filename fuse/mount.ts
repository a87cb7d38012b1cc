// Mounting a Vfs with the kernel's FUSE. As root: open /dev/fuse and let
// mount(8) attach it at the mountpoint with the descriptor passed as its
// fd 3. As any other user: fusermount3 mounts and hands the descriptor back
// (fuse/user-mount.ts). Then serve requests. Unmounting ends the kernel's
// connection, so every read of /dev/fuse fails with ENODEV and the session
// ends; what it still held in the Vfs is given back. The same happens when
// the mount is unmounted from outside (`ended`).

import fs from 'node:fs';
import type { Logger, Vfs } from '../src/index.js';
import { MountError } from './mount-error.js';
import { runProgram } from './run-program.js';
import { FuseSession } from './session.js';
import { canonicalMountpoint, checkMountpoint, mountAt } from './mountpoint.js';
import { fusermountAttach, fusermountDetach } from './user-mount.js';

export { MountError };

export interface MountOptions {
  log: Logger;
  /** Reads of /dev/fuse in flight at once (see SessionOptions.readers). */
  readers?: number;
  /** Let the kernel cache writes (see SessionOptions.writeback). */
  writeback?: boolean;
  /** Kernel read-only mount (writes fail EROFS before they reach the Vfs). */
  readonly?: boolean;
  /** Let users other than the mounter use the mount. */
  allowOther?: boolean;
  /** The kernel checks modes and owners itself (default true; false leaves checks to the Vfs). */
  defaultPermissions?: boolean;
  /** Honour setuid/setgid bits (default false: nosuid). */
  suid?: boolean;
  /** Honour device nodes (default false: nodev). */
  dev?: boolean;
  /** Allow running programs (default true). */
  exec?: boolean;
  /** The mount's source as /proc/mounts shows it (default "humbridge"). */
  fsname?: string;
  /** The type shows as fuse.SUBTYPE (default "humbridge"). */
  subtype?: string;
  /** Mount over a folder that has entries. */
  nonempty?: boolean;
  /** Entry and attribute timeouts, seconds (see SessionOptions). */
  entryTimeout?: number;
  attrTimeout?: number;
  /** After a lazy unmount, how long to wait for the last user before aborting the connection. Default 10000. */
  lazyWaitMs?: number;
  /** Each reader on its own cloned /dev/fuse descriptor (see SessionOptions.cloneReaders). */
  cloneReaders?: boolean;
  /** Read /dev/fuse on the event loop through the addon (see SessionOptions.loopReader). Default true. */
  loopReader?: boolean;
  /** Keep a file's cached pages across opens while its mtime and size stay (see SessionOptions.keepCache). Default true. */
  keepCache?: boolean;
  /** Kernel passthrough I/O where possible (root only; see fuse/passthrough.ts). Default true; `--no-passthrough` sets false. */
  passthrough?: boolean;
  /** Mount through fusermount3 even as root (tests; root normally uses mount(8)). */
  viaFusermount?: boolean;
}

export interface FuseMount {
  /** Absolute mountpoint. */
  readonly mountpoint: string;
  readonly session: FuseSession;
  /** How it was mounted: `mount` (root, mount(8)) or `fusermount3`. */
  readonly method: 'mount' | 'fusermount3';
  /** Unmounts (umount or fusermount3 -u, then lazily), waits for the session to end and gives back what it held. */
  unmount(): Promise<void>;
  /** Resolves once the session ended for any reason (our unmount or one from outside) and its resources are back. */
  readonly ended: Promise<void>;
}

/** The -o string given to mount(8) (fd 3 is /dev/fuse). */
export function kernelOptions(o: MountOptions): string {
  const opts = ['fd=3', 'rootmode=40000', 'user_id=0', 'group_id=0'];
  if (o.defaultPermissions ?? true) opts.push('default_permissions');
  if (o.allowOther) opts.push('allow_other');
  opts.push(o.suid ? 'suid' : 'nosuid', o.dev ? 'dev' : 'nodev');
  if (o.exec === false) opts.push('noexec');
  if (o.readonly) opts.push('ro');
  return opts.join(',');
}

export async function mountFuse(vfs: Vfs, mountpoint: string, opts: MountOptions): Promise<FuseMount> {
  const method = process.getuid?.() === 0 && !opts.viaFusermount ? 'mount' : 'fusermount3';
  const abs = canonicalMountpoint(mountpoint);
  await checkMountpoint(abs, {
    nonempty: opts.nonempty,
    detach: async (p) => {
      const r = await detach(method, p, true);
      if (r.code !== 0) throw new MountError(`${p} holds a stale FUSE mount and a lazy unmount failed: ${r.stderr.trim()}`);
    },
    recovered: (m) => opts.log.warn(m),
  });

  // Made first: bad options fail here, before anything is mounted.
  const session = new FuseSession(vfs, {
    log: opts.log,
    readers: opts.readers,
    writeback: opts.writeback,
    entryTimeout: opts.entryTimeout,
    attrTimeout: opts.attrTimeout,
    cloneReaders: opts.cloneReaders,
    passthrough: opts.passthrough,
    loopReader: opts.loopReader,
    keepCache: opts.keepCache,
  });
  const fd = method === 'mount' ? await attachRoot(abs, opts) : await fusermountAttach(abs, opts.allowOther ?? false);
  // The connection's number, for an abort if a lazy unmount never finishes (read now: later the mount may be detached).
  const conn = mountAt(abs)?.dev;
  session.start(fd);
  const ended = session.whenEnded().then(async () => {
    fs.closeSync(fd);
    const back = await session.ledger.releaseAll();
    opts.log.debug(`fuse: session of ${abs} ended, gave back ${back.refs} references and ${back.handles} handles`);
    if (session.unsupported.size > 0) opts.log.info(`fuse: answered ENOSYS: ${[...session.unsupported].sort().join(' ')}`);
  });
  let done: Promise<void> | undefined;
  return {
    mountpoint: abs,
    session,
    method,
    ended,
    unmount: () => (done ??= unmount(abs, method, session, ended, conn, opts)),
  };
}

/** The 'root' method: mount(8) attaches a /dev/fuse descriptor we opened; returns it. */
async function attachRoot(abs: string, opts: MountOptions): Promise<number> {
  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  try {
    const r = await runProgram('mount', ['-i', '-t', `fuse.${opts.subtype ?? 'humbridge'}`, '-o', kernelOptions(opts), opts.fsname ?? 'humbridge', abs], [fd]);
    if (r.code !== 0) throw new MountError(`mount of ${abs} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** The 'root' method's unmount: umount, or umount -l (lazy: detached now, ended when the last user leaves). */
function detachRoot(abs: string, lazy: boolean): Promise<{ code: number; stderr: string }> {
  return runProgram('umount', lazy ? ['-l', abs] : [abs]);
}

/** Unmounts by the method that mounted. */
function detach(method: FuseMount['method'], abs: string, lazy: boolean): Promise<{ code: number; stderr: string }> {
  return method === 'mount' ? detachRoot(abs, lazy) : fusermountDetach(abs, lazy);
}

async function unmount(mountpoint: string, method: FuseMount['method'], session: FuseSession, ended: Promise<void>, conn: number | undefined, o: MountOptions): Promise<void> {
  if (!session.isEnded) {
    const r = await detach(method, mountpoint, false);
    if (r.code !== 0 && !session.isEnded) {
      o.log.warn(`umount ${mountpoint} failed (${r.stderr.trim()}): detaching it lazily`);
      const l = await detach(method, mountpoint, true);
      if (l.code !== 0 && !session.isEnded) throw new MountError(`umount -l ${mountpoint} failed: ${l.stderr.trim()}`);
      // Lazy: the connection lives on while a process still uses the mount. Wait for it, but not forever.
      const waitMs = o.lazyWaitMs ?? 10_000;
      if (!(await within(ended, waitMs))) {
        o.log.warn(`${mountpoint}: still in use ${waitMs / 1000} s after the lazy unmount: aborting the FUSE connection (its users get ENOTCONN)`);
        await abortConnection(conn, o.log);
        if (!(await within(ended, waitMs))) throw new MountError(`${mountpoint}: the FUSE session did not end after the abort`);
      }
    }
  }
  await ended;
  o.log.debug(`fuse: unmounted ${mountpoint}`);
}

function within(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Writes to /sys/fs/fuse/connections/N/abort (mounting fusectl there first if needed): every pending and future request fails. */
async function abortConnection(conn: number | undefined, log: Logger): Promise<void> {
  if (conn === undefined) {
    log.warn('fuse: the connection number is unknown: cannot abort it');
    return;
  }
  const dir = '/sys/fs/fuse/connections';
  if (!fs.existsSync(`${dir}/${conn}`)) await runProgram('mount', ['-t', 'fusectl', 'fusectl', dir]);
  try {
    fs.writeFileSync(`${dir}/${conn}/abort`, '1');
    log.warn(`fuse: aborted connection ${conn}`);
  } catch (e) {
    log.warn(`fuse: abort of connection ${conn} failed: ${(e as Error).message}`);
  }
}
