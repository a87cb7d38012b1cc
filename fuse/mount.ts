// Mounting a Vfs with the kernel's FUSE (root only for now): open
// /dev/fuse, let mount(8) attach it at the mountpoint with the descriptor
// passed as its fd 3, then serve requests. Unmounting ends the kernel's
// connection, so every read of /dev/fuse fails with ENODEV and the session
// ends; what it still held in the Vfs is given back.

import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { Logger, Vfs } from '../src/index.js';
import { FuseSession } from './session.js';

export class MountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MountError';
  }
}

export interface MountOptions {
  log: Logger;
  /** Reads of /dev/fuse in flight at once (see SessionOptions.readers). */
  readers?: number;
}

export interface FuseMount {
  readonly mountpoint: string;
  readonly session: FuseSession;
  /** Unmounts (umount, then umount -l), waits for the session to end and gives back what it held. */
  unmount(): Promise<void>;
}

/** Where mount(8) and umount(8) live: some PATHs (a non-login shell, a test runner) lack the sbin folders. */
const PATH = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`;

export async function mountFuse(vfs: Vfs, mountpoint: string, opts: MountOptions): Promise<FuseMount> {
  if (process.getuid?.() !== 0) {
    throw new MountError('mounting with FUSE needs root for now (unprivileged mounts are not supported yet)');
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(mountpoint);
  } catch {
    throw new MountError(`mountpoint ${mountpoint} does not exist`);
  }
  if (!st.isDirectory()) throw new MountError(`mountpoint ${mountpoint} is not a directory`);
  if (fs.readdirSync(mountpoint).length > 0) throw new MountError(`mountpoint ${mountpoint} is not empty`);

  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  const session = new FuseSession(vfs, { log: opts.log, readers: opts.readers });
  try {
    // allow_other: without it the kernel lets only uid 0 in, whatever the modes say;
    // default_permissions then checks each caller against the modes the Vfs answers.
    const options = 'fd=3,rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other,nosuid,nodev';
    const r = await run('mount', ['-i', '-t', 'fuse.humbridge', '-o', options, 'humbridge', mountpoint], fd);
    if (r.code !== 0) throw new MountError(`mount of ${mountpoint} failed (exit ${r.code}): ${r.stderr.trim()}`);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  session.start(fd);
  let done: Promise<void> | undefined;
  return {
    mountpoint,
    session,
    unmount: () => (done ??= unmount(mountpoint, fd, session, opts.log)),
  };
}

async function unmount(mountpoint: string, fd: number, session: FuseSession, log: Logger): Promise<void> {
  const r = await run('umount', [mountpoint]);
  if (r.code !== 0) {
    log.warn(`umount ${mountpoint} failed (${r.stderr.trim()}): detaching it lazily`);
    const l = await run('umount', ['-l', mountpoint]);
    if (l.code !== 0) throw new MountError(`umount -l ${mountpoint} failed: ${l.stderr.trim()}`);
  }
  await session.whenEnded();
  fs.closeSync(fd);
  const back = await session.ledger.releaseAll();
  log.debug(`fuse: unmounted ${mountpoint}, gave back ${back.refs} references and ${back.handles} handles`);
}

function run(cmd: string, args: string[], fd?: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', fd],
      env: { ...process.env, PATH },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    child.on('error', (e) => resolve({ code: -1, stderr: `${cmd}: ${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
