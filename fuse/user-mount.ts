// Mounting without root through fuse3's setuid fusermount3: it opens
// /dev/fuse, mounts it at the mountpoint for the calling user, and sends the
// descriptor back over the unix socket named by _FUSE_COMMFD (SCM_RIGHTS).
// Node cannot make that socket pair nor receive a descriptor, so the small
// addon (native/) does both; without it a user mount is refused with
// the reason.

import fs from 'node:fs';
import { MountError } from './mount-error.js';
import { loadNative } from '../native/index.js';
import { runProgram, type ProgramResult } from './run-program.js';

export const FUSE_CONF = '/etc/fuse.conf';

/** Whether /etc/fuse.conf lets users mount with allow_other (a line `user_allow_other`). */
export function userAllowOther(conf = FUSE_CONF): boolean {
  let text: string;
  try {
    text = fs.readFileSync(conf, 'utf8');
  } catch {
    return false;
  }
  return text.split('\n').some((l) => l.trim() === 'user_allow_other');
}

/** The -o options handed to fusermount3 (it adds rootmode, user_id and group_id itself). */
export function userMountOptions(allowOther: boolean): string {
  // fusermount3 forces nosuid,nodev for users anyway; saying so keeps /proc/mounts honest.
  const o = ['fsname=humbridge', 'subtype=humbridge', 'default_permissions', 'nosuid', 'nodev'];
  if (allowOther) o.push('allow_other');
  return o.join(',');
}

/**
 * Mounts /dev/fuse at `mountpoint` with fusermount3 and returns the
 * descriptor to serve. Throws a MountError naming what is missing: the
 * addon, fusermount3, user_allow_other for allow_other, or fusermount3's
 * own complaint.
 */
export async function fusermountAttach(mountpoint: string, allowOther: boolean): Promise<number> {
  const { native, reason } = loadNative();
  if (!native) throw new MountError(`mounting as a user needs fusermount3 and the native addon, but ${reason}`);
  if (allowOther && process.getuid?.() !== 0 && !userAllowOther()) {
    throw new MountError(`allow_other as a user needs a line "user_allow_other" in ${FUSE_CONF}`);
  }
  const [ours, theirs] = native.socketpair();
  try {
    const r = await runProgram('fusermount3', ['-o', userMountOptions(allowOther), '--', mountpoint], [theirs], { _FUSE_COMMFD: '3' });
    if (r.code !== 0) {
      const hint = r.code === -1 ? ' (install Debian package fuse3)' : '';
      throw new MountError(`fusermount3 could not mount ${mountpoint} (exit ${r.code}): ${r.stderr.trim()}${hint}`);
    }
    try {
      // fusermount3 has exited, so the descriptor is queued already.
      return native.recvFd(ours);
    } catch (e) {
      throw new MountError(`fusermount3 mounted ${mountpoint} but sent no /dev/fuse descriptor (${(e as Error).message})`);
    }
  } finally {
    fs.closeSync(ours);
    fs.closeSync(theirs);
  }
}

/** The user method's unmount: `fusermount3 -u`, or `-u -z` (lazy: detached now, ended when the last user leaves). */
export function fusermountDetach(mountpoint: string, lazy: boolean): Promise<ProgramResult> {
  return runProgram('fusermount3', ['-u', ...(lazy ? ['-z'] : []), '--', mountpoint]);
}
