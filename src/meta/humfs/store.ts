// The humfs metadata store: the core serves EXPORT/data; what each entry
// looks like (type, permission bits 07777, owner, device number) lives in
// its record (records.ts), so a server running as an unprivileged host user
// can serve root-owned files, setuid bits and device nodes. Special files are
// empty placeholder regular files in data/ with their type in the record;
// data entries the store makes get host modes the serving user can always
// use (0755 directories, 0644 files), whatever the guest asked.
//
// Order of the data step and the metadata step, per operation, chosen so a
// crash in between leaves what `humfsify --check` reports and `--repair`
// fixes (repairs trust data/: a missing record is written from the data
// entry's lstat, a record without a data entry is removed):
//   create, mkdir, mknod, symlink  data first, then the record
//                                  → crash: missing-record (repaired with the host owner)
//   link                           data link first, then the record link
//                                  → crash: missing-record for the new name
//   unlink, rmdir                  data first, then the record(s)
//                                  → crash: orphan record (removed)
//   rename (also over a target,    data first, then the records move (a
//   whole directories, EXCHANGE)   directory's two subtrees in one rename each)
//                                  → crash: missing-record at the new name,
//                                    orphan at the old one
//   chmod, chown, setattr          the record alone, replaced by a rename
//                                  (every name of a shared record, each by rename;
//                                  a crash between two names: link-not-shared)
//   superblock `used`              space.ts (temporary file, then rename)
// A create that fails (rather than crashes) after its data step is taken back
// by the core (core/undo.ts), which then calls uncreated() for the record.
// A record is never written in place: a reader sees the old or the new file.
//
// Opening a special file for I/O fails with ENXIO (core/files.ts), never
// reading the placeholder's empty bytes: for a socket that is what open(2)
// answers on Linux; for devices the server must never act on a host device;
// for a FIFO, the pipe exists only in a guest kernel (v9fs and FUSE clients
// open FIFOs and devices locally and never ask the server), and ENXIO is
// open(2)'s answer for a FIFO with no peer (O_NONBLOCK writer).

import { vfsError } from '../../errors.js';
import type { Host } from '../../host/host.js';
import { identityKey, type HostStat } from '../../host/stat.js';
import { closeMeta, listNamesAt } from '../../host/meta-files.js';
import { walkBeneath } from '../../host/tree.js';
import { fileBytesBelow } from '../../host/usage.js';
import type { Logger } from '../../log.js';
import { RENAME_EXCHANGE, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type StatFs, major, makedev, minor } from '../../types.js';
import {
  HUMFS_LAYOUT,
  plainRecord,
  specialRecord,
  specialTypeOfMode,
  typeBitsOf,
  type MetadataRecord,
  type SpecialType,
} from '../humfs-format.js';
import type { EntryInfo, MetadataStore, SetOwnerMode, StoreEntry, VirtualAttr } from '../store.js';
import { RecordCache } from './cache.js';
import { MissingPolicy, type MissingPolicyOptions } from './missing.js';
import { hasDirFolder, RecordTrees } from './records.js';
import { SpaceAccount } from './space.js';

/** Records of unlinked files still open somewhere, kept in memory at most this many. */
const DETACHED_MAX = 4096;

export interface HumfsStoreParts {
  /** O_PATH descriptors the store owns (closed by close()). */
  exportFd: number;
  fileMetaFd: number;
  dirMetaFd: number;
  space: SpaceAccount;
}

/** Shown in logs: data/<path>. */
function showPath(path: readonly Buffer[]): string {
  return ['data', ...path.map((c) => c.toString('utf8'))].join('/');
}

export class HumfsStore implements MetadataStore {
  readonly kind = 'humfs';
  readonly specialFiles = 'placeholder';
  readonly ordered = true;
  private readonly records: RecordTrees;
  private readonly missing: MissingPolicy;
  private readonly space: SpaceAccount;
  private readonly cache = new RecordCache();
  /**
   * Records of files and directories whose last name is gone (host nlink 0),
   * by host inode: a handle or node still holding one shows (and may change)
   * its owner and mode, and a new entry made under the old name must neither
   * lend it its record nor have its own record overwritten by it.
   */
  private readonly detached = new Map<string, MetadataRecord>();

  constructor(
    private readonly host: Host,
    private readonly parts: HumfsStoreParts,
    options: MissingPolicyOptions,
    private readonly log: Logger,
  ) {
    this.records = new RecordTrees(parts.fileMetaFd, parts.dirMetaFd);
    this.missing = new MissingPolicy(options, log);
    this.space = parts.space;
  }

  checkDirName(name: Buffer, op: string): void {
    if (hasDirFolder([name])) return;
    const why = `a directory named "${HUMFS_LAYOUT.dirRecord}" cannot be stored in the humfs layout (dir_metadata/<parent>/${HUMFS_LAYOUT.dirRecord} is its parent's record)`;
    this.log.warn(`humfs: ${op} refused: ${why}`);
    throw vfsError('EINVAL', op, why);
  }

  attr(e: EntryInfo): VirtualAttr | null {
    const st = e.st;
    const isDir = (st.mode & S_IFMT) === S_IFDIR;
    // Without a name of its own: its last name is gone (nlink 0), or the
    // name the core knew was removed while other hard links remain. The
    // record at its old path belongs to whatever has that name now.
    if (st.nlink === 0 || e.detached === true) {
      const kept = this.detached.get(identityKey(st));
      return kept !== undefined ? virtualOf(kept, st) : this.missing.attr(st, isDir ? '(a removed directory)' : '(a removed name)', false, null);
    }
    const cached = this.cache.get(st);
    if (cached !== undefined) return virtualOf(cached, st);
    const path = e.path();
    const got = this.records.read(path, isDir);
    if (got.kind === 'ok') {
      this.cache.set(st, got.record);
      return virtualOf(got.record, st);
    }
    return this.missing.attr(st, showPath(path), path.length === 0, got.kind === 'bad' ? got.reason : null);
  }

  async created(e: StoreEntry, init: VirtualAttr): Promise<void> {
    this.cache.drop(e.st);
    const type = init.mode & S_IFMT;
    const path = e.path();
    // The data entry is there already (data step first): give it a host mode
    // the serving user can use, then write the record.
    if (type !== S_IFLNK) {
      const hostMode = type === S_IFDIR ? 0o755 : 0o644;
      if ((e.st.mode & 0o7777) !== hostMode) this.host.chmod(e.fd, hostMode);
    }
    if (type === S_IFDIR) this.records.ensureMirror(path);
    // A new entry's record is a file of its own, even over a stale shared one.
    this.records.write(path, type === S_IFDIR, recordOf(init), false);
    this.missing.settled(e.st);
  }

  async uncreated(path: Buffer[], st: HostStat): Promise<void> {
    this.cache.drop(st);
    this.missing.settled(st);
    // Only the new name's record: for a link, the other names keep theirs.
    this.records.remove(path, isDirStat(st));
  }

  async linked(e: StoreEntry, newPath: Buffer[]): Promise<void> {
    this.cache.drop(e.st);
    const path = e.path();
    // A file without a record gets one first, so both names share it.
    if (this.records.read(path, false).kind !== 'ok') {
      const v = this.attr(e);
      if (v !== null) this.records.write(path, false, recordOf(v), false);
    }
    this.records.link(path, newPath);
    this.missing.settled(e.st);
  }

  async renamed(from: Buffer[], to: Buffer[], st: HostStat, replaced: HostStat | null, flags: number): Promise<void> {
    this.cache.drop(st);
    if (replaced !== null) this.cache.drop(replaced);
    if (flags & RENAME_EXCHANGE) {
      this.records.exchange(from, to, isDirStat(st), replaced !== null && isDirStat(replaced));
      return;
    }
    if (replaced !== null) this.forgetName(to, replaced);
    this.records.move(from, to, isDirStat(st) || (replaced !== null && isDirStat(replaced)));
  }

  async removed(path: Buffer[], st: HostStat): Promise<void> {
    this.cache.drop(st);
    this.forgetName(path, st);
    this.records.remove(path, isDirStat(st));
  }

  /**
   * A name in data/ that the host made or changed behind the Vfs (the
   * watcher saw it): one without a record gets it as the missing-record
   * policy says (nothing under `hide`), and a new directory's whole subtree
   * too. The bytes may have changed: `used` is measured again soon.
   */
  async hostAdded(e: StoreEntry): Promise<void> {
    this.space.hostChanged(() => this.measureData());
    this.cache.drop(e.st);
    const isDir = isDirStat(e.st);
    const path = e.path();
    if (isDir && !hasDirFolder(path)) return;
    if (this.records.read(path, isDir).kind !== 'missing') return;
    const v = this.missing.attr(e.st, showPath(path), false, null);
    if (v === null) return;
    if (isDir) this.records.ensureMirror(path);
    this.records.write(path, isDir, recordOf(v), false);
    this.missing.settled(e.st);
    if (!isDir) return;
    for (const name of listNamesAt(e.fd)) {
      let fd: number;
      try {
        fd = this.host.openAt(e.fd, name);
      } catch {
        continue; // gone again meanwhile
      }
      try {
        await this.hostAdded({ path: () => [...path, name], st: this.host.fstat(fd), fd });
      } finally {
        this.host.close(fd);
      }
    }
  }

  /** The host removed `path` from data/ behind the Vfs: its records (a directory's subtrees) go too. */
  async hostRemoved(path: Buffer[]): Promise<void> {
    this.space.hostChanged(() => this.measureData());
    if (path.length === 0) return;
    this.records.remove(path, true);
  }

  private measureData(): bigint {
    const fd = walkBeneath(this.parts.exportFd, [Buffer.from(HUMFS_LAYOUT.data)]);
    try {
      return fileBytesBelow(fd).bytes;
    } finally {
      closeMeta(fd);
    }
  }

  /**
   * The name `path` of `st` goes away: when it was the last name of a file,
   * its space is freed once it is closed (closedUnlinked); keep its record in memory for nodes still holding it.
   */
  private forgetName(path: readonly Buffer[], st: HostStat): void {
    const type = st.mode & S_IFMT;
    // A directory has one name; its nlink counts its subdirectories. The
    // file's bytes stay counted until the core says it is closed too.
    if (type === S_IFREG && st.nlink <= 1) this.space.nameless(st);
    const got = this.records.read(path, type === S_IFDIR);
    if (got.kind !== 'ok') {
      // An inode number reused since an older unlink must not show that file's record.
      this.detached.delete(identityKey(st));
      return;
    }
    if (this.detached.size >= DETACHED_MAX) {
      const oldest = this.detached.keys().next();
      if (oldest.done !== true) this.detached.delete(oldest.value);
    }
    this.detached.set(identityKey(st), got.record);
  }

  async setattr(e: StoreEntry, set: SetOwnerMode): Promise<void> {
    const st = e.st;
    const isDir = (st.mode & S_IFMT) === S_IFDIR;
    // An entry hidden for want of a record, reached through a live node: the
    // change gives it a record (from the defaults), which makes it visible.
    const base = this.attr(e) ?? this.missing.attr(st, showPath(e.path()), true, null);
    if (base === null) return;
    const next = recordOf({
      mode: (base.mode & S_IFMT) | ((set.mode ?? chownKeptBits(base.mode, set, isDir)) & 0o7777),
      uid: set.uid ?? base.uid,
      gid: set.gid ?? base.gid,
      rdev: base.rdev,
    });
    if (st.nlink === 0) {
      // Its last name is gone: the record lives on in memory only, never at
      // the old path, which may belong to a new entry by now.
      this.detached.set(identityKey(st), next);
      this.touchCtime(e);
      return;
    }
    if (e.detached === true) {
      // Its record is shared with names the core does not know: changing
      // the in-memory copy would not reach them, and the old path is not
      // its own any more. Refused; a lookup by a live name works.
      throw vfsError('ESTALE', 'setattr', 'the name this node was reached by was removed');
    }
    this.cache.drop(st);
    this.records.write(e.path(), isDir, next, st.nlink > 1);
    this.touchCtime(e);
  }

  /**
   * An owner or mode change moves ctime, as on any POSIX filesystem. The
   * ctime a guest sees is the data entry's, so the data inode is touched by
   * a change to what it already is (its own host mode; a symlink, which has
   * no mode on Linux, its own owner): the kernel stamps ctime and nothing
   * else changes. Hard links share the data inode, so every name shows it.
   */
  private touchCtime(e: StoreEntry): void {
    const st = e.st;
    if ((st.mode & S_IFMT) === S_IFLNK) this.host.chown(e.fd, st.uid, st.gid);
    else this.host.chmod(e.fd, st.mode & 0o7777);
  }

  async statfs(host: StatFs): Promise<StatFs> {
    return this.space.statfs(host);
  }

  closedUnlinked(st: HostStat): void {
    this.space.closedUnlinked(st);
  }

  resize<T>(fd: number, newSize: (size: bigint) => bigint, change: () => Promise<T>): Promise<T> {
    return this.space.resize(fd, newSize, change);
  }

  async close(): Promise<void> {
    this.space.close();
    this.records.close();
    this.missing.close();
    for (const fd of [this.parts.fileMetaFd, this.parts.dirMetaFd, this.parts.exportFd]) closeMeta(fd);
  }
}

function isDirStat(st: HostStat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

/** The record that makes an entry look like `v`. */
function recordOf(v: VirtualAttr): MetadataRecord {
  const perm = v.mode & 0o7777;
  const special = specialTypeOfMode(v.mode);
  if (special === null) return plainRecord(perm, v.uid, v.gid);
  return specialRecord(special, perm, v.uid, v.gid, major(v.rdev), minor(v.rdev));
}

/**
 * What a record makes of a data entry. The recorded type applies to a
 * placeholder (a regular file) or to a host node of that very type; a record
 * that claims a type its data entry cannot be (a directory, a symlink) is
 * ignored for the type, as `humfsify --check` reports it.
 */
function virtualOf(r: MetadataRecord, st: HostStat): VirtualAttr {
  const hostType = st.mode & S_IFMT;
  const recorded = r.type === null ? null : typeBitsOf(r.type);
  const usable = recorded !== null && (hostType === S_IFREG || hostType === recorded);
  const type = usable ? (recorded as number) : hostType;
  return { mode: type | (r.mode & 0o7777), uid: r.uid, gid: r.gid, rdev: rdevOf(usable ? (r.type as SpecialType) : null, r, st) };
}

/** Device number: the record's for a recorded device, else a real host device node's own. */
function rdevOf(type: SpecialType | null, r: MetadataRecord, st: HostStat): bigint {
  if (type === 'c' || type === 'b') return makedev(r.major, r.minor);
  const hostType = st.mode & S_IFMT;
  return hostType === S_IFCHR || hostType === S_IFBLK ? st.rdev : 0n;
}

/**
 * The permission bits left after a chown that sets no mode, as Linux's
 * chown_common/notify_change leave them on a host file (so humfs and hostfs
 * agree): a non-directory loses setuid, and setgid when it is group-executable
 * (a setgid bit without group-execute marks mandatory locking and stays).
 */
function chownKeptBits(mode: number, set: SetOwnerMode, isDir: boolean): number {
  if (isDir || (set.uid === undefined && set.gid === undefined)) return mode;
  let kept = mode & ~0o4000;
  if ((kept & 0o2010) === 0o2010) kept &= ~0o2000;
  return kept;
}
