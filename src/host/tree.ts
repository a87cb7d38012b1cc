// Anchored access to trees beside the served one (humfs keeps file_metadata/
// and dir_metadata/ next to data/): walk a list of components one at a time
// from a directory descriptor, never following a symlink, and read or
// atomically replace small files. Guests never reach these trees; the
// helpers exist so a metadata store does its own I/O as safely as the core.

import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fromNodeError, vfsError } from '../errors.js';
import { childPath, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH } from './paths.js';

/**
 * O_PATH descriptor of the directory `comps` below `dirfd` (the caller
 * closes it). With `create`, missing directories are made with `mode`.
 * ENOTDIR when a component is a symlink or not a directory.
 */
export function walkBeneath(dirfd: number, comps: readonly Buffer[], create?: { mode: number }): number {
  let fd = fs.openSync(`/proc/self/fd/${dirfd}`, O_PATH | O_DIRECTORY | O_CLOEXEC);
  try {
    for (const c of comps) {
      let next: number;
      try {
        next = fs.openSync(childPath(fd, c), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      } catch (e) {
        if (!create || (e as { code?: unknown }).code !== 'ENOENT') throw e;
        try {
          fs.mkdirSync(childPath(fd, c), create.mode);
        } catch (m) {
          if ((m as { code?: unknown }).code !== 'EEXIST') throw m;
        }
        next = fs.openSync(childPath(fd, c), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      fs.closeSync(fd);
      fd = next;
    }
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw fromNodeError(e, 'walk');
  }
}

/** Contents of regular file `name` in `dirfd`; null when absent. Never follows a symlink. */
export function readFileAt(dirfd: number, name: Buffer): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(childPath(dirfd, name), fs.constants.O_RDONLY | O_NOFOLLOW | O_CLOEXEC | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return null;
    throw fromNodeError(e, 'read metadata');
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw vfsError('EIO', 'read metadata', 'not a regular file');
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replace `name` in `dirfd` with `data` atomically (temporary file, then rename). */
export function writeFileAt(dirfd: number, name: Buffer, data: Buffer, mode = 0o644): void {
  const tmp = Buffer.from(`.humbridge-tmp-${randomBytes(8).toString('hex')}`);
  try {
    const fd = fs.openSync(childPath(dirfd, tmp), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(childPath(dirfd, tmp), childPath(dirfd, name));
  } catch (e) {
    try {
      fs.unlinkSync(childPath(dirfd, tmp));
    } catch {
      // already renamed or never created
    }
    throw fromNodeError(e, 'write metadata');
  }
}

/**
 * Remove `name` in `dirfd`; with `dir`, a whole directory tree (or a
 * non-directory). Absent is fine. The tree is walked by descriptors, one
 * name at a time, so a directory swapped for a symlink while it is removed
 * makes us remove the symlink, never what it points to (fs.rm walks path
 * strings, which would follow it).
 */
export function removeAt(dirfd: number, name: Buffer, dir = false): void {
  try {
    if (dir) removeEither(dirfd, name);
    else fs.unlinkSync(childPath(dirfd, name));
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return;
    throw fromNodeError(e, 'remove metadata');
  }
}

/** A file goes by one unlink, which needs no descriptor (a rollback may run when none is left); a directory tree by removeTree. */
function removeEither(dirfd: number, name: Buffer): void {
  try {
    fs.unlinkSync(childPath(dirfd, name));
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'EISDIR') throw e;
    removeTree(dirfd, name);
  }
}

function removeTree(dirfd: number, name: Buffer): void {
  let fd: number;
  try {
    fd = fs.openSync(childPath(dirfd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOTDIR' && (e as { code?: unknown }).code !== 'ELOOP') throw e;
    fs.unlinkSync(childPath(dirfd, name));
    return;
  }
  try {
    for (const child of fs.readdirSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' })) {
      try {
        removeTree(fd, child);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.rmdirSync(childPath(dirfd, name));
}
