// What the kernel says about mounts (/proc/self/mountinfo) and the checks a
// mountpoint must pass before a FUSE mount: it exists, is a directory, is
// empty (unless allowed), and is not a mountpoint already. A FUSE mount whose
// server died answers every call with ENOTCONN: it is detached lazily and
// reported, so a crash does not leave the folder unusable.
// Nothing here makes a call on a live FUSE mount of this process.

import fs from 'node:fs';
import path from 'node:path';
import { MountError } from './mount-error.js';

export { MountError };

export interface MountInfo {
  /** Absolute path of the mountpoint, unescaped. */
  mountpoint: string;
  fstype: string;
  source: string;
  /** The superblock's device number, as /sys/fs/fuse/connections names a FUSE connection. */
  dev: number;
  options: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every mount this process sees. */
export function mounts(): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const [major, minor] = (left[2] ?? '0:0').split(':').map(Number);
    out.push({
      mountpoint: Buffer.from(unescape(left[4] ?? ''), 'latin1').toString(),
      fstype: right[0] ?? '',
      source: Buffer.from(unescape(right[1] ?? ''), 'latin1').toString(),
      dev: (((major ?? 0) << 20) | (minor ?? 0)) >>> 0,
      options: [...(left[5] ?? '').split(','), ...(right[2] ?? '').split(',')],
    });
  }
  return out;
}

/** The topmost mount at `abs` (an absolute, canonical path), if any. */
export function mountAt(abs: string): MountInfo | undefined {
  return mounts().filter((m) => m.mountpoint === abs).pop();
}

/**
 * `p` made absolute with its parent's symlinks resolved, without touching
 * `p` itself (a stale FUSE mount there fails every call).
 */
export function canonicalMountpoint(p: string): string {
  const abs = path.resolve(p);
  if (abs === '/') return abs;
  try {
    return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    throw new MountError(`mountpoint ${p} does not exist`);
  }
}

export interface CheckOptions {
  /** Allow a mountpoint that has entries (-o nonempty). */
  nonempty?: boolean;
  /** Detaches a stale mount (umount -l); rejects when it cannot. */
  detach(mountpoint: string): Promise<void>;
  /** Told when a stale mount was detached. */
  recovered(message: string): void;
}

/** Checks `abs` (from canonicalMountpoint) and recovers a stale FUSE mount there. */
export async function checkMountpoint(abs: string, o: CheckOptions): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MountError(`mountpoint ${abs} does not exist`);
    if (code !== 'ENOTCONN') throw new MountError(`mountpoint ${abs}: ${(e as Error).message}`);
    const stale = mountAt(abs);
    await o.detach(abs);
    o.recovered(
      `${abs} held a stale FUSE mount (${stale?.fstype ?? 'fuse'} of ${stale?.source ?? '?'}, "transport endpoint is not connected": its server had ended); detached it with umount -l`,
    );
    return checkMountpoint(abs, o);
  }
  if (!st.isDirectory()) throw new MountError(`mountpoint ${abs} is not a directory`);
  const there = mountAt(abs);
  if (there !== undefined) {
    throw new MountError(`mountpoint ${abs} is busy: ${there.fstype} of ${there.source} is mounted there already (unmount it first)`);
  }
  if (!o.nonempty && fs.readdirSync(abs).length > 0) {
    throw new MountError(`mountpoint ${abs} is not empty (its entries would be hidden; -o nonempty mounts over them anyway)`);
  }
}
