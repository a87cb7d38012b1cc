import type { ChangeListener } from './changes.js';
import type { Attr, Cred, DirEntry, Entry, HandleId, NodeId, SetAttr, StatFs } from './types.js';

/**
 * Who checks permissions (ExportOptions.access): the client's kernel
 * (`client`) or the Vfs, for each caller (`user`).
 */
export type AccessModel = 'client' | 'user';

/** A byte-range lock as POSIX fcntl describes it. */
export interface LockRange {
  type: 'read' | 'write' | 'unlock';
  start: bigint;
  /** 0n means "to the end of the file, however long it grows". */
  length: bigint;
  /** The process that holds or asks, for getlk answers. */
  pid: number;
  /**
   * A flock(2) lock (whole file): any open handle may take either type,
   * where fcntl wants a readable handle for a read lock and a writable one
   * for a write lock.
   */
  flock?: boolean;
}

/**
 * How many lock ranges one holder (a client, as the front end names it:
 * opaque to the Vfs) may hold at once in this Vfs; setlk refuses a change
 * that would take it over with ENOLCK.
 */
export interface LockQuota {
  holder: string;
  max: number;
}

/** A conflicting lock found by getlk, with who holds it. */
export interface LockConflict extends LockRange {
  owner: string;
}

/**
 * THE contract between the front ends (9P server, FUSE session) and the
 * store. Every method resolves or rejects with a VfsError carrying an errno
 * code; nothing else is thrown.
 *
 * References ("lookup counts", as virtiofsd and FUSE call them):
 * - `root` is always valid; it is never forgotten.
 * - Every method returning an Entry (lookup, create, mkdir, mknod, symlink,
 *   link) adds ONE reference to that node. The front end gives references
 *   back with forget(id, n). A node whose count reaches zero may be dropped
 *   from memory, but the file keeps its NodeId: looking the same host file
 *   up again, by any of its names, yields the same NodeId for the life of
 *   the Vfs (front ends use it as inode number and qid path). The bound:
 *   only the last `maxRememberedNodes` forgotten files are remembered; an
 *   older one comes back with a new NodeId.
 * - A NodeId is never handed out for another file: a file deleted and
 *   created again (even on the same host inode number) gets a new one. For
 *   deletes made through the Vfs this always holds; for deletes made on the
 *   host behind the server's back it rests on the host's birth time (statx
 *   btime), and where the filesystem has none, a new file on a reused inode
 *   number may show the old file's NodeId.
 * - A NodeId passed to any method must hold at least one reference (or be
 *   the root); otherwise the call rejects with ESTALE.
 * - A hard-linked inode has ONE NodeId, whichever name finds it.
 *
 * Handles:
 * - open/create/opendir return a HandleId that stays valid until
 *   release/releasedir, even when the file is unlinked or renamed meanwhile
 *   (reads, writes, getattr and setattr through the handle keep working).
 * - An open handle keeps its node alive as one reference would.
 *
 * Concurrency: any number of calls may be in flight at once on any nodes
 * and handles; each call is atomic towards the others as far as the host
 * syscall it maps to is. Reads and writes carry explicit 64-bit offsets:
 * there is no shared file position.
 *
 * Names are single path components as raw bytes: never empty, never
 * containing '/' or NUL, never '.' or '..' (EINVAL otherwise). Walking to a
 * parent is done by the front end with `parent`.
 *
 * Permissions: `cred` names the caller. Whether the store checks POSIX
 * permissions itself against the (virtual) owner and mode, or leaves that
 * to the client, is an export option; either way new nodes belong to
 * cred.uid and cred.gid (or the setgid parent's group) where the store can
 * record that.
 */
export interface Vfs {
  readonly root: NodeId;

  /** Its access model: whether it checks permissions itself (`user`) or leaves that to the client. */
  readonly accessModel: AccessModel;

  /** Find `name` in directory `parent`. ENOENT, ENOTDIR, EACCES. */
  lookup(cred: Cred, parent: NodeId, name: Buffer): Promise<Entry>;

  /**
   * The parent of a directory node, with one new reference; the root is its
   * own parent (`..` never leaves the export). ENOTDIR for non-directories.
   */
  parent(cred: Cred, dir: NodeId): Promise<Entry>;

  /**
   * Where `id` was last seen: the directory and name it was last found by
   * (a lookup, a create, a rename through this Vfs, by any front end or
   * client). Adds no reference; the parent stays valid while `id` is.
   * The host may have changed since, so a caller that acts on the name
   * checks it with lookup first. EINVAL for the root, ESTALE once the
   * node's name was removed through the Vfs. A name removed or replaced on
   * the host (seen by the watcher) still answers: the name it was last seen
   * by, so a front end that answers for names (9P under cache=none) can
   * look it up again and find what is there now.
   */
  whereIs(id: NodeId): Promise<{ parent: NodeId; name: Buffer }>;

  /** Drop `count` references taken by lookup-like calls. Never fails. */
  forget(id: NodeId, count: number): void;

  /** Attributes, read through `handle` when given (works after unlink). */
  getattr(id: NodeId, handle?: HandleId): Promise<Attr>;

  /**
   * For a front end that answers for names (whereIs): the attributes of
   * `id` when the name it was last seen by still leads to it, told in one
   * step; undefined when that name leads elsewhere or nowhere now, or when
   * this Vfs cannot tell so cheaply (then whereIs, lookup and getattr).
   * Optional: a Vfs without it is asked those three.
   */
  getattrByName?(id: NodeId): Promise<Attr | undefined>;

  /**
   * Change attributes; truncation via `size`. Through `handle` when given
   * (ftruncate/fchmod semantics, works after unlink). Returns the new attributes.
   */
  setattr(cred: Cred, id: NodeId, set: SetAttr, handle?: HandleId): Promise<Attr>;

  /** Check access(2) mask bits (R_OK|W_OK|X_OK, or F_OK) for cred. EACCES. */
  access(cred: Cred, id: NodeId, mask: number): Promise<void>;

  /**
   * Open a regular file (flags: Linux O_* bits; O_CREAT is ignored here,
   * O_TRUNC truncates). EISDIR for directories (use opendir), ELOOP for
   * symlinks, ENXIO/EOPNOTSUPP-style refusals for devices, FIFOs and sockets
   * (the server never opens host special files). O_EXEC_OPEN (read-only)
   * asks execute permission instead of read. The handle remembers `cred`:
   * writes through it act for the opener.
   */
  open(cred: Cred, id: NodeId, flags: number): Promise<HandleId>;

  /**
   * open, answering with the file's attributes as the open found them (it
   * stats the file anyway), for a front end whose reply carries them (9P's
   * Rlopen qid, FUSE's keep-cache check). Optional: a Vfs without it is
   * asked open, then getattr through the handle (openThenStat).
   */
  openWithAttr?(cred: Cred, id: NodeId, flags: number): Promise<{ handle: HandleId; attr: Attr }>;

  /**
   * Create and open a regular file `name` in `parent` with permission bits
   * `mode` (already masked by the client's umask). EEXIST when it exists and
   * flags has O_EXCL; an existing file is opened (and truncated with O_TRUNC)
   * otherwise.
   */
  create(cred: Cred, parent: NodeId, name: Buffer, flags: number, mode: number): Promise<{ entry: Entry; handle: HandleId }>;

  /**
   * Read up to `into.length` bytes at `offset` into `into`; resolves with
   * the count (0 at end of file). Offsets are 64-bit.
   */
  read(handle: HandleId, offset: bigint, into: Buffer): Promise<number>;

  /**
   * Write `data` at `offset` (O_APPEND handles write at the end); resolves
   * with the count. When the handle's opener is not root, setuid (and
   * setgid with group execute) is cleared first, as Linux does; the same
   * for a truncate (setattr size, open O_TRUNC) by a caller other than root.
   */
  write(handle: HandleId, offset: bigint, data: Buffer): Promise<number>;

  fsync(handle: HandleId, datasync: boolean): Promise<void>;

  /**
   * fallocate(2) through a writable handle: `mode` is FALLOC_FL_* bits
   * (KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE;
   * others EOPNOTSUPP). Mode 0 past the end grows the file. Clears
   * setuid/setgid and announces a data change as write does.
   */
  fallocate(handle: HandleId, mode: number, offset: bigint, length: bigint): Promise<void>;

  /**
   * Copy up to `length` bytes from `inHandle` at `inOffset` to `outHandle`
   * at `outOffset` (copy_file_range(2)), with write's rules; stops early at
   * the end of the input. Resolves with the bytes copied.
   */
  copyRange(inHandle: HandleId, inOffset: bigint, outHandle: HandleId, outOffset: bigint, length: bigint): Promise<bigint>;

  /**
   * lseek(2) SEEK_DATA ('data') / SEEK_HOLE ('hole') through a file
   * handle: where data or a hole starts at or after `offset` (the end of
   * the file counts as a hole). ENXIO when `offset` is at or past the end
   * (or, for 'data', only a hole follows); ENOSYS when the host call is not
   * available (no native addon). Only FUSE asks: 9P has no lseek, and a
   * v9fs client answers SEEK_DATA/SEEK_HOLE with its kernel's generic
   * lseek (the whole file as data).
   */
  seek(handle: HandleId, offset: bigint, whence: 'data' | 'hole'): Promise<bigint>;

  /**
   * The host descriptor behind file handle `handle`, for a front end that
   * lets the kernel do its I/O (FUSE passthrough), or null: no such file
   * handle, a store that must see every write (humfs counts the bytes used
   * in its superblock), or a setuid/setgid file (a write by another user
   * clears those bits first). Decided per file, not per handle, so every
   * handle of one file gets the same answer (the kernel asks that all opens
   * of a passed-through file pass through), and every descriptor it gives
   * for one node names the same host file, for as long as the node lives
   * (a copy-on-write union gives none for a file still on its base, which
   * becomes another file when copied up). Writes made on it bypass the
   * Vfs: the front end then calls hostWritten, so other clients' caches drop.
   */
  hostDescriptor(handle: HandleId): number | null;

  /** Announces a `data` change of the file `handle` is open on, written through its host descriptor. */
  hostWritten(handle: HandleId): void;

  /** Close a file handle and drop the byte-range locks taken through it. */
  release(handle: HandleId): Promise<void>;

  /** Open a directory for readdir. ENOTDIR. */
  opendir(cred: Cred, id: NodeId): Promise<HandleId>;

  /**
   * Entries after `cookie` (0n = from the start), at most `max` of them.
   * Cookies stay valid while entries are added or removed: resuming from
   * one never repeats an entry and never skips one that existed for the
   * whole listing. "." and ".." are included at the start, with the root's
   * ".." being the root. An empty array means the end.
   */
  readdir(handle: HandleId, cookie: bigint, max: number): Promise<DirEntry[]>;

  releasedir(handle: HandleId): Promise<void>;

  mkdir(cred: Cred, parent: NodeId, name: Buffer, mode: number): Promise<Entry>;

  /**
   * Create a special file: `mode` carries the type (S_IFCHR, S_IFBLK,
   * S_IFIFO, S_IFSOCK, or S_IFREG) and permission bits; `rdev` the device.
   */
  mknod(cred: Cred, parent: NodeId, name: Buffer, mode: number, rdev: bigint): Promise<Entry>;

  /** Create a symlink; `target` is stored as given and never followed by the server. */
  symlink(cred: Cred, parent: NodeId, name: Buffer, target: Buffer): Promise<Entry>;

  /** The symlink's target bytes. EINVAL for non-symlinks. */
  readlink(id: NodeId): Promise<Buffer>;

  /** New hard link to `id` as `name` in `parent`. EPERM for directories. */
  link(cred: Cred, id: NodeId, parent: NodeId, name: Buffer): Promise<Entry>;

  /**
   * rename(2) semantics: replaces an existing target of a compatible type
   * (ENOTEMPTY for a non-empty directory, EISDIR/ENOTDIR for mismatches),
   * EINVAL when moving a directory into itself. flags: RENAME_NOREPLACE,
   * RENAME_EXCHANGE. Live NodeIds of moved entries stay valid.
   */
  rename(cred: Cred, parent: NodeId, name: Buffer, newParent: NodeId, newName: Buffer, flags: number): Promise<void>;

  /** Remove a non-directory. EISDIR for directories. */
  unlink(cred: Cred, parent: NodeId, name: Buffer): Promise<void>;

  /** Remove an empty directory. ENOTEMPTY, ENOTDIR. */
  rmdir(cred: Cred, parent: NodeId, name: Buffer): Promise<void>;

  /** Real values from the host (or, in humfs mode, from the superblock). */
  statfs(id: NodeId): Promise<StatFs>;

  /** ENODATA when absent. */
  getxattr(cred: Cred, id: NodeId, name: string): Promise<Buffer>;
  /** flags: XATTR_CREATE (EEXIST if present), XATTR_REPLACE (ENODATA if absent). */
  setxattr(cred: Cred, id: NodeId, name: string, value: Buffer, flags: number): Promise<void>;
  listxattr(cred: Cred, id: NodeId): Promise<string[]>;
  removexattr(cred: Cred, id: NodeId, name: string): Promise<void>;

  /**
   * Set or clear a POSIX byte-range lock through `handle` for `owner` (an
   * opaque string the front end builds, unique per locking process of one
   * client). Never waits: resolves false when a conflicting lock is held
   * (the front end retries or answers "blocked"), true when done. With
   * `quota`, ENOLCK when the change would leave quota.holder holding more
   * than quota.max ranges (an unlock that splits a range adds one); a
   * change that adds no range is never refused so.
   */
  setlk(handle: HandleId, owner: string, lock: LockRange, quota?: LockQuota): Promise<boolean>;

  /**
   * setlk that waits for a conflicting lock to go (F_SETLKW): resolves true
   * when granted, false when `signal` aborts first (the front end's timeout,
   * an interrupted request). Woken by every release in this Vfs (an unlock,
   * a handle released or closed) whichever front end made it, so locks of
   * 9P clients and FUSE callers wait for each other. Errors as setlk.
   */
  setlkw(handle: HandleId, owner: string, lock: LockRange, signal: AbortSignal, quota?: LockQuota): Promise<boolean>;

  /** The first lock that would conflict with `lock`, or null. */
  getlk(handle: HandleId, owner: string, lock: LockRange): Promise<LockConflict | null>;

  /**
   * Hear of every change made through this Vfs, by any front end (see
   * changes.ts for the kinds): data written or truncated, attributes,
   * names added or removed. Changes made on the host behind its back only
   * when it watches the host (ExportOptions.watch; see hostChangesSeen).
   * Returns the function that stops listening.
   */
  onChange(listener: ChangeListener): () => void;

  /**
   * Optional: whether edits made on the host behind the Vfs to node `id`
   * (its name, attributes, contents) are announced through onChange too,
   * because a watcher covers the directory holding it (ExportOptions.watch).
   * A front end may then let its clients cache the node for long.
   */
  hostChangesSeen?(id: NodeId): boolean;

  /** Close every handle and drop every node; the Vfs is unusable after. */
  close(): Promise<void>;
}

/** Vfs.openWithAttr where `vfs` has it, else openThenStat. */
export function openWithAttrOf(vfs: Vfs, cred: Cred, id: NodeId, flags: number): Promise<{ handle: HandleId; attr: Attr }> {
  return vfs.openWithAttr?.(cred, id, flags) ?? openThenStat(vfs, cred, id, flags);
}

/** open, then getattr through the new handle; the handle is released if the getattr fails. */
export async function openThenStat(vfs: Vfs, cred: Cred, id: NodeId, flags: number): Promise<{ handle: HandleId; attr: Attr }> {
  const handle = await vfs.open(cred, id, flags);
  try {
    return { handle, attr: await vfs.getattr(id, handle) };
  } catch (e) {
    await vfs.release(handle).catch(() => undefined);
    throw e;
  }
}
