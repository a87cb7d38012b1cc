// Mounting a Vfs with the kernel's FUSE. As root: open /dev/fuse and let
// mount(8) attach it at the mountpoint with the descriptor passed as its
// fd 3. As any other user: fusermount3 mounts and hands the descriptor back
// (fuse/user-mount.ts). Then serve requests. Unmounting ends the kernel's
// connection, so every read of /dev/fuse fails with ENODEV and the session
// ends; what it still held in the Vfs is given back.

import fs from 'node:fs';
import type { Logger, Vfs } from '../src/index.js';
import { MountError } from './mount-error.js';
import { runProgram } from './run-program.js';
import { FuseSession } from './session.js';
import { fusermountAttach, fusermountDetach } from './user-mount.js';

export { MountError };

export interface MountOptions {
  log: Logger;
  /** Reads of /dev/fuse in flight at once (see SessionOptions.readers). */
  readers?: number;
  /** Each reader on its own cloned /dev/fuse descriptor (see SessionOptions.cloneReaders). */
  cloneReaders?: boolean;
  /** Let users other than the mounting one in (as a user: needs user_allow_other in /etc/fuse.conf). */
  allowOther?: boolean;
  /** Kernel passthrough I/O where possible (root only; see fuse/passthrough.ts). Default true; `--no-passthrough` sets false. */
  passthrough?: boolean;
  /** Mount through fusermount3 even as root (tests; root normally uses mount(8)). */
  viaFusermount?: boolean;
}

export interface FuseMount {
  readonly mountpoint: string;
  readonly session: FuseSession;
  /** How it was mounted: `mount` (root, mount(8)) or `fusermount3`. */
  readonly method: 'mount' | 'fusermount3';
  /** Unmounts (umount or fusermount3 -u, then lazily), waits for the session to end and gives back what it held. */
  unmount(): Promise<void>;
}

export async function mountFuse(vfs: Vfs, mountpoint: string, opts: MountOptions): Promise<FuseMount> {
  let st: fs.Stats;
  try {
    st = fs.statSync(mountpoint);
  } catch {
    throw new MountError(`mountpoint ${mountpoint} does not exist`);
  }
  if (!st.isDirectory()) throw new MountError(`mountpoint ${mountpoint} is not a directory`);
  if (fs.readdirSync(mountpoint).length > 0) throw new MountError(`mountpoint ${mountpoint} is not empty`);

  const method = process.getuid?.() === 0 && !opts.viaFusermount ? 'mount' : 'fusermount3';
  const allowOther = opts.allowOther ?? false;
  const fd = method === 'mount' ? await attachAsRoot(mountpoint, allowOther) : await fusermountAttach(mountpoint, allowOther);
  const session = new FuseSession(vfs, { log: opts.log, readers: opts.readers, cloneReaders: opts.cloneReaders, passthrough: opts.passthrough });
  session.start(fd);
  const detach = method === 'mount' ? () => umount(mountpoint, opts.log) : () => fusermountDetach(mountpoint, (m) => opts.log.warn(m));
  let done: Promise<void> | undefined;
  return {
    mountpoint,
    session,
    method,
    unmount: () => (done ??= unmount(mountpoint, fd, session, detach, opts.log)),
  };
}

async function attachAsRoot(mountpoint: string, allowOther: boolean): Promise<number> {
  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  try {
    const options = `fd=3,rootmode=40000,user_id=0,group_id=0,default_permissions,nosuid,nodev${allowOther ? ',allow_other' : ''}`;
    const r = await runProgram('mount', ['-i', '-t', 'fuse.humbridge', '-o', options, 'humbridge', mountpoint], [fd]);
    if (r.code !== 0) throw new MountError(`mount of ${mountpoint} failed (exit ${r.code}): ${r.stderr.trim()}`);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

async function umount(mountpoint: string, log: Logger): Promise<void> {
  const r = await runProgram('umount', [mountpoint]);
  if (r.code === 0) return;
  log.warn(`umount ${mountpoint} failed (${r.stderr.trim()}): detaching it lazily`);
  const l = await runProgram('umount', ['-l', mountpoint]);
  if (l.code !== 0) throw new MountError(`umount -l ${mountpoint} failed: ${l.stderr.trim()}`);
}

async function unmount(mountpoint: string, fd: number, session: FuseSession, detach: () => Promise<void>, log: Logger): Promise<void> {
  // Unmounted from outside already (`fusermount3 -u`, `umount`): the session has ended, nothing to detach.
  if (!(await ended(session))) await detach();
  await session.whenEnded();
  fs.closeSync(fd);
  const back = await session.ledger.releaseAll();
  log.debug(`fuse: unmounted ${mountpoint}, gave back ${back.refs} references and ${back.handles} handles`);
}

/** Whether the session has ended by now (its end is announced without waiting on anything else). */
async function ended(session: FuseSession): Promise<boolean> {
  let yes = false;
  void session.whenEnded().then(() => (yes = true));
  await new Promise((r) => setImmediate(r));
  return yes;
}
