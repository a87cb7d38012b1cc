// Anchored operations on the humfs metadata trees (file_metadata/,
// dir_metadata/) and the superblock beside data/, completing tree.ts: hard
// links between records, moving whole record subtrees, lstat and listing.
// Every call takes directory descriptors and single names (never a path
// string built from guest names) and never follows a symlink; failures
// leave as VfsErrors.

import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fromNodeError } from '../errors.js';
import { childPath, fdPath, O_CLOEXEC, O_NOFOLLOW } from './paths.js';
import { removeAt } from './tree.js';

/** What the metadata store needs of an lstat in the sibling trees. */
export interface MetaStat {
  dev: bigint;
  ino: bigint;
  nlink: number;
  isFile: boolean;
  isDir: boolean;
}

function codeOf(e: unknown): unknown {
  return (e as { code?: unknown } | null)?.code;
}

function tempName(): Buffer {
  return Buffer.from(`.humbridge-tmp-${randomBytes(8).toString('hex')}`);
}

/** lstat of `name` in `dirfd`; null when absent. */
export function metaStatAt(dirfd: number, name: Buffer): MetaStat | null {
  try {
    const st = fs.lstatSync(childPath(dirfd, name), { bigint: true });
    return { dev: st.dev, ino: st.ino, nlink: Number(st.nlink), isFile: st.isFile(), isDir: st.isDirectory() };
  } catch (e) {
    if (codeOf(e) === 'ENOENT' || codeOf(e) === 'ENOTDIR') return null;
    throw fromNodeError(e, 'stat metadata');
  }
}

/** Names in the directory `fd` holds ('.' and '..' excluded). */
export function listNamesAt(fd: number): Buffer[] {
  try {
    return fs.readdirSync(fdPath(fd), { encoding: 'buffer' });
  } catch (e) {
    throw fromNodeError(e, 'list metadata');
  }
}

/** Close a descriptor the metadata helpers handed out. */
export function closeMeta(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Closing twice is a caller bug that must not take a request down.
  }
}

/**
 * Make `name` in `dirfd` a hard link of the file `name` in `fromDirfd`,
 * replacing whatever `name` was (a stale record from a crash): link to a
 * temporary name, then rename it into place, so `name` is never missing.
 */
export function linkOverAt(fromDirfd: number, fromName: Buffer, dirfd: number, name: Buffer): void {
  const tmp = tempName();
  try {
    fs.linkSync(childPath(fromDirfd, fromName), childPath(dirfd, tmp));
    try {
      fs.renameSync(childPath(dirfd, tmp), childPath(dirfd, name));
    } catch (e) {
      if (codeOf(e) !== 'EISDIR') throw e;
      // A directory sits where the record goes (data/ changed type behind us).
      removeAt(dirfd, name, true);
      fs.renameSync(childPath(dirfd, tmp), childPath(dirfd, name));
    }
  } catch (e) {
    try {
      fs.unlinkSync(childPath(dirfd, tmp));
    } catch {
      // never made, or already renamed
    }
    throw fromNodeError(e, 'link metadata');
  }
}

/**
 * Move entry `name` of `dirfd` (a record file or a whole record folder) to
 * `newName` in `newDirfd`, replacing what is there: rename(2) replaces a file
 * atomically; a folder in the way (not empty) is removed first. False when
 * the source is absent.
 */
export function moveOverAt(dirfd: number, name: Buffer, newDirfd: number, newName: Buffer): boolean {
  const from = childPath(dirfd, name);
  const to = childPath(newDirfd, newName);
  try {
    fs.renameSync(from, to);
    return true;
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT' && metaStatAt(dirfd, name) === null) return false;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR') throw fromNodeError(e, 'move metadata');
  }
  removeAt(newDirfd, newName, true);
  try {
    fs.renameSync(from, to);
    return true;
  } catch (e) {
    throw fromNodeError(e, 'move metadata');
  }
}

/**
 * Swap entries `a` in `dirA` and `b` in `dirB` (either may be absent)
 * through a temporary name in `dirA`, as RENAME_EXCHANGE swapped their data.
 */
export function swapAt(dirA: number, a: Buffer, dirB: number, b: Buffer): void {
  const tmp = tempName();
  const hadA = moveOverAt(dirA, a, dirA, tmp);
  // `a` is free now: b's entry (if any) takes it, and b's place is then free for a's.
  moveOverAt(dirB, b, dirA, a);
  if (hadA) moveOverAt(dirA, tmp, dirB, b);
}

/**
 * Give every name in `targets` the contents `data` as ONE shared file (hard
 * links): each name is replaced by a rename, so no name ever shows a torn or
 * missing record. Between two renames some names still show the old file;
 * `humfsify --check` reports such a split as link-not-shared.
 */
export function writeSharedAt(targets: readonly { dirfd: number; name: Buffer }[], data: Buffer, mode = 0o644): void {
  const first = targets[0];
  if (first === undefined) return;
  const tmp = tempName();
  const made: { dirfd: number; name: Buffer }[] = [];
  try {
    const fd = fs.openSync(childPath(first.dirfd, tmp), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    made.push({ dirfd: first.dirfd, name: tmp });
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    for (const t of targets.slice(1)) {
      const other = tempName();
      fs.linkSync(childPath(first.dirfd, tmp), childPath(t.dirfd, other));
      made.push({ dirfd: t.dirfd, name: other });
      fs.renameSync(childPath(t.dirfd, other), childPath(t.dirfd, t.name));
      made.pop();
    }
    fs.renameSync(childPath(first.dirfd, tmp), childPath(first.dirfd, first.name));
  } catch (e) {
    for (const m of made) {
      try {
        fs.unlinkSync(childPath(m.dirfd, m.name));
      } catch {
        // already renamed into place
      }
    }
    throw fromNodeError(e, 'write metadata');
  }
}
