// The bytes a tree's regular files hold, counted the way the humfs `used`
// counts them (meta/humfs/space.ts): apparent sizes, each inode once however
// many names it has. Walked by descriptors one name at a time, never
// following a symlink, like every other walk of an export.

import fs from 'node:fs';
import { fromNodeError } from '../errors.js';
import { childPath, fdPath, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH } from './paths.js';

export interface TreeUsage {
  /** Sum of the sizes of the regular files, each inode once. */
  bytes: bigint;
  /** Entries seen (the root not included). */
  entries: number;
}

/** Sizes of the regular files below the directory `dirfd` holds. */
export function fileBytesBelow(dirfd: number): TreeUsage {
  const seen = new Set<string>();
  const usage: TreeUsage = { bytes: 0n, entries: 0 };
  const visit = (fd: number): void => {
    for (const d of fs.readdirSync(fdPath(fd), { withFileTypes: true, encoding: 'buffer' })) {
      usage.entries++;
      const name = d.name as unknown as Buffer;
      // Some filesystems give no type in the listing: lstat tells then.
      const known = d.isDirectory() || d.isFile() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() || d.isCharacterDevice() || d.isBlockDevice();
      const isDir = known ? d.isDirectory() : fs.lstatSync(childPath(fd, name)).isDirectory();
      if (isDir) {
        let sub: number;
        try {
          sub = fs.openSync(childPath(fd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        } catch (e) {
          if ((e as { code?: unknown }).code === 'ENOENT' || (e as { code?: unknown }).code === 'ENOTDIR') continue;
          throw e;
        }
        try {
          visit(sub);
        } finally {
          fs.closeSync(sub);
        }
      } else if (!known || d.isFile()) {
        let st: fs.BigIntStats;
        try {
          st = fs.lstatSync(childPath(fd, name), { bigint: true });
        } catch (e) {
          if ((e as { code?: unknown }).code === 'ENOENT') continue;
          throw e;
        }
        if (!st.isFile()) continue;
        if (st.nlink > 1n) {
          const key = `${st.dev}:${st.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        usage.bytes += st.size;
      }
    }
  };
  try {
    visit(dirfd);
  } catch (e) {
    throw fromNodeError(e, 'measure used space');
  }
  return usage;
}
