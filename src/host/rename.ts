// rename(2) with renameat2(2) flags: the kernel's renameat2 from the native
// addon, atomic. Without the addon (or on a filesystem that lacks the flag,
// EINVAL), Node has no renameat2, so the flags are emulated with anchored
// calls:
// - RENAME_NOREPLACE on a non-directory: link(2) then unlink(2) of the old
//   name. link fails with EEXIST atomically, so nothing is ever replaced.
//   For a directory (which cannot be hard-linked) the target is checked with
//   lstat first: a racing creator of the target in between can lose its entry
//   to ours (an empty directory) or make us fail with ENOTEMPTY/EISDIR.
// - RENAME_EXCHANGE: three renames through a private temporary name in the
//   source directory. Another client can observe the intermediate states;
//   a failure in the middle is rolled back as far as the host allows.

import { randomBytes } from 'node:crypto';
import { vfsError } from '../errors.js';
import type { Host } from './host.js';
import { S_IFDIR, S_IFMT } from '../types.js';

export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;

export async function renameAt(host: Host, dirfd: number, name: Buffer, newDirfd: number, newName: Buffer, flags: number): Promise<void> {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) !== 0) throw vfsError('EINVAL', 'rename');
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) throw vfsError('EINVAL', 'rename');
  if (flags !== 0 && host.renameFlags(dirfd, name, newDirfd, newName, flags)) return;
  if (flags & RENAME_EXCHANGE) return exchange(host, dirfd, name, newDirfd, newName);
  if (flags & RENAME_NOREPLACE) return noReplace(host, dirfd, name, newDirfd, newName);
  return host.renameAt(dirfd, name, newDirfd, newName);
}

async function noReplace(host: Host, dirfd: number, name: Buffer, newDirfd: number, newName: Buffer): Promise<void> {
  const st = host.lstatAt(dirfd, name);
  if (host.lstatAtMaybe(newDirfd, newName) !== null) throw vfsError('EEXIST', 'rename');
  if ((st.mode & S_IFMT) === S_IFDIR) return host.renameAt(dirfd, name, newDirfd, newName);
  await host.linkAt(dirfd, name, newDirfd, newName);
  await host.unlinkAt(dirfd, name);
}

async function exchange(host: Host, dirfd: number, name: Buffer, newDirfd: number, newName: Buffer): Promise<void> {
  const a = host.lstatAt(dirfd, name);
  const b = host.lstatAt(newDirfd, newName);
  if (a.dev === b.dev && a.ino === b.ino) return;
  const tmp = Buffer.from(`.humbridge-xchg-${randomBytes(8).toString('hex')}`);
  await host.renameAt(dirfd, name, dirfd, tmp);
  try {
    await host.renameAt(newDirfd, newName, dirfd, name);
  } catch (e) {
    await host.renameAt(dirfd, tmp, dirfd, name).catch(() => undefined);
    throw e;
  }
  try {
    await host.renameAt(dirfd, tmp, newDirfd, newName);
  } catch (e) {
    await host.renameAt(dirfd, name, newDirfd, newName).catch(() => undefined);
    await host.renameAt(dirfd, tmp, dirfd, name).catch(() => undefined);
    throw e;
  }
}
