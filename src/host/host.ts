// The only code that touches export paths (with special.ts, rename.ts,
// xattr.ts and tree.ts beside it). Every method takes descriptors and single
// names, never a host path string built from guest input, and every failure
// leaves as a VfsError.
//
// Sync or async: resolution and stat calls are sync, because they are cheap
// and measured here at ~6 µs for open(O_PATH)+fstat+close sync (~3 µs with
// the addon's openat and statx) against ~100 µs through the libuv thread
// pool; doing them sync also means a resolution never interleaves with
// another request. Creating a file and
// removing a name are sync too: they are the one host call of a create or
// an unlink, whose client waits for the answer (a FUSE create or unlink
// paid two thread hand-offs for it). Data I/O, directory listing and the
// other namespace changes are async; core/files.ts makes the cheap cases of
// them sync (opens without O_TRUNC, closes of read-only files, small reads).

import fs from 'node:fs';
import { fromNodeError, vfsError } from '../errors.js';
import type { Logger } from '../log.js';
import { childPath, fdPath, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH } from './paths.js';
import { Semaphore } from './semaphore.js';
import { loadNative, type Native } from '../../native/index.js';
import { seekData, setTimes, type HostTime, type SEEK_DATA, type SEEK_HOLE } from './times.js';
import { fromStatx, toHostStat, type HostStat } from './stat.js';
import { errnoCode, LINUX_ERRNO } from '../errno.js';
import { S_IFDIR, S_IFMT, S_IFREG } from '../types.js';

/**
 * Open flags the server passes through when it reopens a file for I/O:
 * access mode, O_TRUNC, O_APPEND, O_SYNC, O_DSYNC. Dropped: O_CREAT and
 * O_EXCL (meaningless on a reopen), O_DIRECT (Node's buffers are not
 * aligned, reads would fail with EINVAL), O_NOATIME (EPERM for non-owners),
 * O_NONBLOCK and O_NOCTTY (only for special files, never opened).
 */
const PASSED_OPEN_FLAGS = 0o3 | 0o1000 /* O_TRUNC */ | 0o2000 /* O_APPEND */ | 0o4010000 /* O_SYNC */ | 0o10000; /* O_DSYNC */

const ENOENT = LINUX_ERRNO.ENOENT;

/** mknod(1) children one Host runs at once unless told (ExportOptions.maxMknodProcesses). */
export const DEFAULT_MKNOD_PROCESSES = 4;

export class Host {
  /** Bounds the mknod(1) children of special.ts: each is a process of its own. */
  readonly mknodSlots: Semaphore;
  /** Where the addon's statx writes (read out at once: calls never interleave). */
  private readonly statBuf = new BigInt64Array(14);

  constructor(
    private readonly log: Logger,
    maxMknodProcesses = DEFAULT_MKNOD_PROCESSES,
    /** The addon's utimensat and lseek (times.ts); null: Node's utimes, and lseek ENOSYS. */
    private readonly native: Native | null = loadNative().native,
  ) {
    this.mknodSlots = new Semaphore(maxMknodProcesses);
  }

  private fail(e: unknown, op: string): never {
    throw fromNodeError(e, op, undefined, this.log);
  }

  /** An addon call's errno number as the VfsError of `op`. */
  private failErrno(errno: number, op: string): never {
    this.fail({ code: errnoCode(errno) }, op);
  }

  /**
   * The addon's statx of `name` in `dirfd` (null: of `dirfd`): the stat, an
   * errno number, or undefined without the addon (Node's stat then).
   */
  private statx(dirfd: number, name: Buffer | null): HostStat | number | undefined {
    const statx = this.native?.statx;
    if (statx === undefined) return undefined;
    const r = statx(dirfd, name, this.statBuf);
    return r === 0 ? fromStatx(this.statBuf) : -r;
  }

  /** O_PATH descriptor of the export root. The administrator's path may contain symlinks. */
  openRoot(path: string): number {
    try {
      return fs.openSync(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    } catch (e) {
      this.fail(e, 'open export');
    }
  }

  /** O_PATH descriptor of `name` in directory `dirfd`; a symlink is opened as itself. */
  openAt(dirfd: number, name: Buffer): number {
    const openat = this.native?.openat;
    if (openat !== undefined) {
      const fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
      return fd >= 0 ? fd : this.failErrno(-fd, 'lookup');
    }
    try {
      return fs.openSync(childPath(dirfd, name), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    } catch (e) {
      this.fail(e, 'lookup');
    }
  }

  /**
   * The regular file `name` in directory `dirfd` opened for I/O with the
   * open flags a client may pass, never following it, with its stat; ENXIO
   * for anything else. Undefined without the addon (callers reopen a
   * resolved O_PATH descriptor instead).
   */
  openFileAt(dirfd: number, name: Buffer, flags: number): { fd: number; st: HostStat } | undefined {
    const openFile = this.native?.openFile;
    if (openFile === undefined) return undefined;
    const fd = openFile(dirfd, name, (flags & PASSED_OPEN_FLAGS & ~0o1000) | O_CLOEXEC, this.statBuf);
    return fd >= 0 ? { fd, st: fromStatx(this.statBuf) } : this.failErrno(-fd, 'open');
  }

  /** A second, independent O_PATH descriptor of the same inode. */
  dupPath(fd: number): number {
    try {
      return fs.openSync(fdPath(fd), O_PATH | O_CLOEXEC);
    } catch (e) {
      this.fail(e, 'dup');
    }
  }

  fstat(fd: number): HostStat {
    const got = this.statx(fd, null);
    if (got !== undefined) return typeof got === 'number' ? this.failErrno(got, 'fstat') : got;
    try {
      return toHostStat(fs.fstatSync(fd, { bigint: true }));
    } catch (e) {
      this.fail(e, 'fstat');
    }
  }

  /** lstat of `name` in directory `dirfd` (never follows `name`); errors name `op`. */
  lstatAt(dirfd: number, name: Buffer, op = 'lstat'): HostStat {
    const got = this.statx(dirfd, name);
    if (got !== undefined) return typeof got === 'number' ? this.failErrno(got, op) : got;
    try {
      return toHostStat(fs.lstatSync(childPath(dirfd, name), { bigint: true }));
    } catch (e) {
      this.fail(e, op);
    }
  }

  /** Like lstatAt, but null when the name does not exist. */
  lstatAtMaybe(dirfd: number, name: Buffer): HostStat | null {
    const got = this.statx(dirfd, name);
    if (got === ENOENT) return null;
    if (got !== undefined) return typeof got === 'number' ? this.failErrno(got, 'lstat') : got;
    try {
      // throwIfNoEntry: clients probe missing names all the time, and an
      // exception from Node's fs costs three times the lstat itself.
      const st = fs.lstatSync(childPath(dirfd, name), { bigint: true, throwIfNoEntry: false });
      return st === undefined ? null : toHostStat(st);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return null;
      this.fail(e, 'lstat');
    }
  }

  close(fd: number): void {
    try {
      fs.closeSync(fd);
    } catch (e) {
      this.log.warn(`close ${fd}: ${String(e)}`);
    }
  }

  /**
   * An I/O descriptor for the regular file or directory that O_PATH `fd`
   * holds. Host devices, FIFOs and sockets are never opened: opening a FIFO
   * blocks and opening a device acts on the host.
   */
  async reopen(fd: number, flags: number): Promise<number> {
    this.checkType(this.fstat(fd));
    try {
      return await openFd(fdPath(fd), (flags & PASSED_OPEN_FLAGS) | O_CLOEXEC, 0);
    } catch (e) {
      this.fail(e, 'open');
    }
  }

  /**
   * reopen without the thread pool, for opens that cannot wait on the disk
   * (no O_TRUNC): the inode is already resolved, so this is one cheap
   * open(2), where a pool round trip costs two thread wake-ups. `st` is the
   * caller's fresh fstat of `fd`, which saves stating it again.
   */
  reopenSync(fd: number, flags: number, st: HostStat): number {
    this.checkType(st);
    try {
      return fs.openSync(fdPath(fd), (flags & PASSED_OPEN_FLAGS) | O_CLOEXEC, 0);
    } catch (e) {
      this.fail(e, 'open');
    }
  }

  private checkType(st: HostStat): void {
    const type = st.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR) throw vfsError('ENXIO', 'open');
  }

  /** Create and open a new regular file; EEXIST if `name` exists (a symlink included). */
  async createAt(dirfd: number, name: Buffer, flags: number, mode: number): Promise<number> {
    const f = (flags & PASSED_OPEN_FLAGS & ~0o1000) | 0o100 /* O_CREAT */ | 0o200 /* O_EXCL */ | O_NOFOLLOW | O_CLOEXEC;
    const openat = this.native?.openat;
    if (openat !== undefined) {
      const fd = openat(dirfd, name, f, mode & 0o7777);
      return fd >= 0 ? fd : this.failErrno(-fd, 'create');
    }
    try {
      return fs.openSync(childPath(dirfd, name), f, mode & 0o7777);
    } catch (e) {
      this.fail(e, 'create');
    }
  }

  async closeAsync(fd: number): Promise<void> {
    await new Promise<void>((resolve) => fs.close(fd, (e) => {
      if (e) this.log.warn(`close ${fd}: ${e.message}`);
      resolve();
    }));
  }

  /** pread(2) on the calling thread: see SYNC_READ_MAX in core/files.ts for when. */
  readSync(fd: number, into: Buffer, offset: bigint): number {
    try {
      return fs.readSync(fd, into, 0, into.length, position(offset));
    } catch (e) {
      this.fail(e, 'read');
    }
  }

  read(fd: number, into: Buffer, offset: bigint): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(fd, into, 0, into.length, position(offset), (e, n) => (e ? reject(fromNodeError(e, 'read', undefined, this.log)) : resolve(n)));
    });
  }

  /** pwrite(2) on the calling thread: see SYNC_WRITE_MAX in core/files.ts for when. */
  writeSync(fd: number, data: Buffer, offset: bigint): number {
    try {
      return fs.writeSync(fd, data, 0, data.length, position(offset));
    } catch (e) {
      this.fail(e, 'write');
    }
  }

  write(fd: number, data: Buffer, offset: bigint): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.write(fd, data, 0, data.length, position(offset), (e, n) =>
        e ? reject(fromNodeError(e, 'write', undefined, this.log)) : resolve(n),
      );
    });
  }

  fsync(fd: number, datasync: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (e: NodeJS.ErrnoException | null) => (e ? reject(fromNodeError(e, 'fsync', undefined, this.log)) : resolve());
      if (datasync) fs.fdatasync(fd, done);
      else fs.fsync(fd, done);
    });
  }

  ftruncate(fd: number, size: bigint): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.ftruncate(fd, position(size), (e) => (e ? reject(fromNodeError(e, 'truncate', undefined, this.log)) : resolve()));
    });
  }

  /** Truncate the regular file O_PATH `fd` holds (reopened for writing). */
  async truncate(fd: number, size: bigint): Promise<void> {
    const io = await this.reopen(fd, 1 /* O_WRONLY */);
    try {
      await this.ftruncate(io, size);
    } finally {
      await this.closeAsync(io);
    }
  }

  /** Every name in the directory O_PATH `fd` holds, '.' and '..' excluded. */
  async list(fd: number): Promise<Buffer[]> {
    try {
      return await fs.promises.readdir(fdPath(fd), { encoding: 'buffer' });
    } catch (e) {
      this.fail(e, 'readdir');
    }
  }

  /** Target bytes of symlink `name` in `dirfd`. */
  readlinkAt(dirfd: number, name: Buffer): Buffer {
    try {
      return fs.readlinkSync(childPath(dirfd, name), { encoding: 'buffer' });
    } catch (e) {
      this.fail(e, 'readlink');
    }
  }

  async mkdirAt(dirfd: number, name: Buffer, mode: number): Promise<void> {
    try {
      await fs.promises.mkdir(childPath(dirfd, name), mode & 0o7777);
    } catch (e) {
      this.fail(e, 'mkdir');
    }
  }

  async symlinkAt(dirfd: number, name: Buffer, target: Buffer): Promise<void> {
    try {
      await fs.promises.symlink(target, childPath(dirfd, name));
    } catch (e) {
      this.fail(e, 'symlink');
    }
  }

  /** link(2) never follows `name` when it is a symlink. */
  async linkAt(dirfd: number, name: Buffer, newDirfd: number, newName: Buffer): Promise<void> {
    try {
      await fs.promises.link(childPath(dirfd, name), childPath(newDirfd, newName));
    } catch (e) {
      this.fail(e, 'link');
    }
  }

  async unlinkAt(dirfd: number, name: Buffer): Promise<void> {
    const unlinkat = this.native?.unlinkat;
    if (unlinkat !== undefined) {
      const r = unlinkat(dirfd, name, 0);
      if (r < 0) this.failErrno(-r, 'unlink');
      return;
    }
    try {
      fs.unlinkSync(childPath(dirfd, name));
    } catch (e) {
      this.fail(e, 'unlink');
    }
  }

  async rmdirAt(dirfd: number, name: Buffer): Promise<void> {
    try {
      await fs.promises.rmdir(childPath(dirfd, name));
    } catch (e) {
      this.fail(e, 'rmdir');
    }
  }

  /**
   * renameat2 with `flags` in one kernel step (the native addon). False when
   * that cannot be had here (no addon, or EINVAL: the filesystem lacks the
   * flag), and the caller emulates it; VfsErrors otherwise.
   */
  renameFlags(dirfd: number, name: Buffer, newDirfd: number, newName: Buffer, flags: number): boolean {
    const rename2 = this.native?.renameat2;
    if (rename2 === undefined) return false;
    try {
      rename2(dirfd, name, newDirfd, newName, flags);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EINVAL') return false;
      this.fail(e, 'rename');
    }
  }

  /** Plain rename(2): replaces the target. Flags live in rename.ts. */
  async renameAt(dirfd: number, name: Buffer, newDirfd: number, newName: Buffer): Promise<void> {
    try {
      await fs.promises.rename(childPath(dirfd, name), childPath(newDirfd, newName));
    } catch (e) {
      this.fail(e, 'rename');
    }
  }

  /**
   * chmod of the inode O_PATH `fd` holds. Never call it for a symlink node:
   * Linux has no symlink modes (the magic link would not be followed further,
   * but the answer would be EOPNOTSUPP anyway).
   */
  chmod(fd: number, mode: number): void {
    try {
      fs.chmodSync(fdPath(fd), mode & 0o7777);
    } catch (e) {
      this.fail(e, 'chmod');
    }
  }

  /**
   * chown of exactly the inode `fd` holds. Checked here: a magic link to a
   * symlink's O_PATH descriptor ends at the symlink itself, so this changes
   * the link, never its target.
   */
  chown(fd: number, uid: number, gid: number): void {
    try {
      fs.chownSync(fdPath(fd), uid, gid);
    } catch (e) {
      this.fail(e, 'chown');
    }
  }

  /**
   * Times of exactly the inode `fd` holds; for a symlink's descriptor that
   * is the link itself (checked here). Exact to the nanosecond with the
   * addon, to the microsecond without (times.ts).
   */
  utimens(fd: number, atime: HostTime, mtime: HostTime): void {
    try {
      setTimes(this.native, fd, atime, mtime);
    } catch (e) {
      this.fail(e, 'utimes');
    }
  }

  /** lseek(2) SEEK_DATA/SEEK_HOLE on the open file `fd`: ENXIO past the end, ENOSYS without the addon. */
  seek(fd: number, offset: bigint, whence: typeof SEEK_DATA | typeof SEEK_HOLE): bigint {
    try {
      return seekData(this.native, fd, offset, whence);
    } catch (e) {
      this.fail(e, 'lseek');
    }
  }

  async statfs(fd: number): Promise<fs.BigIntStatsFs> {
    try {
      return await fs.promises.statfs(fdPath(fd), { bigint: true });
    } catch (e) {
      this.fail(e, 'statfs');
    }
  }
}

function openFd(path: string | Buffer, flags: number, mode: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/**
 * A 64-bit offset as Node's fs takes it. Node 20 silently treats a bigint
 * position of fs.write as "the current position", so it must be a number;
 * every offset up to 2^53 is exact, and no Linux filesystem allows files
 * that large (ext4: 16 TiB, XFS and btrfs: 8 EiB but the VFS caps at 2^63).
 */
function position(offset: bigint): number {
  if (offset < 0n) throw vfsError('EINVAL', 'offset');
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw vfsError('EFBIG', 'offset');
  return Number(offset);
}
