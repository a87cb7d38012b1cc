// The seam between the VFS core and where ownership, modes, file types and
// device numbers live. The core does all host I/O on the served tree (data,
// names, sizes, times); the store answers "what does this entry look like"
// and is told about every change so it can keep its own records.
//
// - `hostfs` (hostfs.ts): the host lstat is the truth; changes are applied
//   to the host inode (chown, chmod).
// - `humfs`: the served tree is EXPORT/data; each entry's mode, owner, type
//   and rdev live in EXPORT/file_metadata/<path> or
//   EXPORT/dir_metadata/<path>/metadata. That store needs the entry's path
//   from the export root (StoreEntry.path()) and does its own anchored I/O in
//   the sibling trees with src/host/tree.ts.
//
// Every method is called while the entry's descriptor is held open, so
// `fd` is valid for the whole call (not after it).

import type { HostStat } from '../host/stat.js';
import type { StatFs } from '../types.js';

export interface EntryInfo {
  /** Components from the served root to the entry ([] for the root), computed on demand. */
  path(): Buffer[];
  /** Host lstat of the entry as the core just read it. */
  readonly st: HostStat;
  /**
   * The name the entry was last known by was removed or replaced through
   * the Vfs: `path()` is where it was, not where it is (it may have other
   * hard links, or none left).
   */
  readonly detached?: boolean;
}

export interface StoreEntry extends EntryInfo {
  /** A descriptor holding exactly this inode (O_PATH or I/O; a symlink's descriptor holds the link). */
  readonly fd: number;
}

/** What a store says an entry is. */
export interface VirtualAttr {
  /** Full st_mode: type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
}

export interface SetOwnerMode {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface MetadataStore {
  readonly kind: 'hostfs' | 'humfs';
  /**
   * How the core makes a special file (FIFO, device, socket): `host` makes
   * the real thing with mknod; `placeholder` makes an empty regular file and
   * the store records the type in `created`.
   */
  readonly specialFiles: 'host' | 'placeholder';
  /**
   * Whether changes must run one at a time (core/gate.ts): true when a
   * change is a data step plus a record step that other calls must not see
   * half done or interleave with.
   */
  readonly ordered: boolean;

  /**
   * Optional: throw (a VfsError, with the reason logged) when the store
   * cannot keep a directory called `name`; the core asks before a mkdir, and
   * before a rename that gives a directory that name, so nothing is made.
   */
  checkDirName?(name: Buffer, op: string): void;

  /** The entry's virtual attributes; null hides it (ENOENT on lookup, absent from readdir). */
  attr(e: EntryInfo): VirtualAttr | null;

  /** A new entry exists on the host; `init` is what it must look like (owner, full mode, rdev). */
  created(e: StoreEntry, init: VirtualAttr): Promise<void>;

  /**
   * Optional: a create, mkdir, mknod, symlink or link failed after its data
   * step, and the core removed the new data entry `st` at `path` again: drop
   * whatever record the store made for it, so records are as before.
   */
  uncreated?(path: Buffer[], st: HostStat): Promise<void>;

  /** `e` (at its existing name, `e.path()`) got another name, `newPath` (a hard link). */
  linked(e: StoreEntry, newPath: Buffer[]): Promise<void>;

  /**
   * `from` was renamed to `to` (flags as rename(2)). `replaced` is the host
   * lstat of an entry the rename replaced, if any; for RENAME_EXCHANGE, the
   * entry that went the other way.
   */
  renamed(from: Buffer[], to: Buffer[], st: HostStat, replaced: HostStat | null, flags: number): Promise<void>;

  /** The name `path` was removed; `st` is its host lstat before removal. */
  removed(path: Buffer[], st: HostStat): Promise<void>;

  /** Change owner and/or permission bits. */
  setattr(e: StoreEntry, set: SetOwnerMode): Promise<void>;

  /** The export's statfs, given the host's for the served tree. */
  statfs(host: StatFs): Promise<StatFs>;

  /**
   * Optional: run `change`, a write or truncate that moves the size of the
   * regular file `fd` holds (any descriptor of it) to `newSize(size now)`.
   * The store may refuse it before anything is written (ENOSPC) and
   * accounts the space the change took or freed. Without it, changes run as they are.
   */
  resize?<T>(fd: number, newSize: (size: bigint) => bigint, change: () => Promise<T>): Promise<T>;

  /**
   * Optional: the regular file `st` (an lstat from before its last name was
   * removed, or of it since) has no name and no open file left through the
   * Vfs, so the host frees its bytes. The core says so right after the
   * removal (removed, or renamed over it) when nothing had it open, else when
   * its last open file is released.
   */
  closedUnlinked?(st: HostStat): void;

  /**
   * Optional: the host made or changed the entry `e` behind the Vfs (the
   * watcher saw it): give it what the store needs (a record) if it has none.
   */
  hostAdded?(e: StoreEntry): Promise<void>;

  /** Optional: the host removed the name `path` behind the Vfs: drop what the store keeps for it. */
  hostRemoved?(path: Buffer[]): Promise<void>;

  /** Optional: write out what the store keeps in memory; Vfs.close calls it once, last. */
  close?(): Promise<void>;
}
