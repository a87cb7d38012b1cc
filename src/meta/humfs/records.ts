// The record files of a humfs export, addressed by an entry's path below
// data/ (a list of components). All I/O is anchored (src/host/tree.ts,
// src/host/meta-files.ts): file_metadata/ and dir_metadata/ are reached from
// descriptors the store opened once, one component at a time, never through
// a path string, and never through a symlink.
//
//   non-directory <p>:  file_metadata/<p>             (hard links share one inode)
//   directory <p>:      dir_metadata/<p>/metadata,  plus the folder file_metadata/<p>/
//
// So only directories have anything in dir_metadata/: a non-directory's
// record is touched in file_metadata/ alone, since dir_metadata/<p> of a file
// named "metadata" is its parent's own record. For the same reason a
// directory named "metadata" has no place for its record (its folder would be
// its parent's record file): the store refuses to make one (dirNameRefused),
// and one made on the host has no record here (it is served as missing) and
// never touches its parent's.

import { vfsError, VfsError } from '../../errors.js';
import {
  closeMeta,
  linkOverAt,
  listNamesAt,
  metaStatAt,
  moveOverAt,
  swapAt,
  writeSharedAt,
  type MetaStat,
} from '../../host/meta-files.js';
import { readFileAt, removeAt, walkBeneath, writeFileAt } from '../../host/tree.js';
import { HUMFS_LAYOUT, HumfsFormatError, parseMetadata, printMetadata, type MetadataRecord } from '../humfs-format.js';

const DIR_MODE = 0o755;
const RECORD = Buffer.from(HUMFS_LAYOUT.dirRecord);
const SLASH = Buffer.from('/');

/** What reading a record found. */
export type RecordRead = { kind: 'ok'; record: MetadataRecord } | { kind: 'missing' } | { kind: 'bad'; reason: string };

function isAbsence(e: unknown): boolean {
  return e instanceof VfsError && (e.code === 'ENOENT' || e.code === 'ENOTDIR');
}

/**
 * How many folder descriptors are kept open: a listing reads the records of
 * one folder over and over, and walking to it each time (one open per
 * component) cost more than the record read itself.
 */
const FOLDER_CACHE = 64;

export class RecordTrees {
  /**
   * Open folder descriptors by tree and path, least recently used first.
   * Only this class renames or removes folders, and it empties the cache
   * when it does, so a cached descriptor always holds the folder of its path.
   */
  private readonly folders = new Map<string, number>();

  constructor(
    /** O_PATH descriptors of file_metadata/ and dir_metadata/ (owned by the store). */
    private readonly fileMeta: number,
    private readonly dirMeta: number,
  ) {}

  /** Run `fn` with the descriptor of folder `comps` below `base`; null (fn not run) when absent and not created. */
  private inFolder<T>(base: number, comps: readonly Buffer[], create: boolean, fn: (fd: number) => T): T | null {
    const cacheable = base === this.fileMeta || base === this.dirMeta;
    const key = cacheable ? `${base}/${Buffer.concat(comps.flatMap((c) => [c, SLASH])).toString('latin1')}` : '';
    let fd = cacheable ? this.folders.get(key) : undefined;
    if (fd !== undefined) {
      this.folders.delete(key);
      this.folders.set(key, fd);
      return fn(fd);
    }
    try {
      fd = walkBeneath(base, comps, create ? { mode: DIR_MODE } : undefined);
    } catch (e) {
      if (!create && isAbsence(e)) return null;
      throw e;
    }
    if (!cacheable) {
      try {
        return fn(fd);
      } finally {
        closeMeta(fd);
      }
    }
    this.folders.set(key, fd);
    for (const [k, old] of this.folders) {
      if (this.folders.size <= FOLDER_CACHE) break;
      this.folders.delete(k);
      closeMeta(old);
    }
    return fn(fd);
  }

  /** Folders were renamed or removed: cached descriptors may hold other paths now. */
  private forgetFolders(): void {
    for (const fd of this.folders.values()) closeMeta(fd);
    this.folders.clear();
  }

  /** Close every cached descriptor (the store is closing). */
  close(): void {
    this.forgetFolders();
  }

  /** Folder and name of the record of `path` (never the root for a non-directory). */
  private where(path: readonly Buffer[], isDir: boolean): { base: number; folder: readonly Buffer[]; name: Buffer } {
    if (isDir) {
      if (!hasDirFolder(path)) throw vfsError('EINVAL', 'metadata', `a directory named "${HUMFS_LAYOUT.dirRecord}" has no place for its record`);
      return { base: this.dirMeta, folder: path, name: RECORD };
    }
    const name = path[path.length - 1];
    if (name === undefined) throw vfsError('EINVAL', 'metadata', 'the root is a directory');
    return { base: this.fileMeta, folder: path.slice(0, -1), name };
  }

  read(path: readonly Buffer[], isDir: boolean): RecordRead {
    if (isDir && !hasDirFolder(path)) return { kind: 'missing' };
    const w = this.where(path, isDir);
    let text: Buffer | null;
    try {
      text = this.inFolder(w.base, w.folder, false, (fd) => readFileAt(fd, w.name));
    } catch (e) {
      if (isAbsence(e)) return { kind: 'missing' };
      if (e instanceof VfsError && e.code === 'EIO') return { kind: 'bad', reason: 'not a regular file' };
      throw e;
    }
    if (text === null) return { kind: 'missing' };
    try {
      return { kind: 'ok', record: parseMetadata(text.toString('latin1')) };
    } catch (e) {
      if (e instanceof HumfsFormatError) return { kind: 'bad', reason: e.message };
      throw e;
    }
  }

  /** lstat of the record file of a non-directory (for its link count), null when absent. */
  statRecord(path: readonly Buffer[]): MetaStat | null {
    const w = this.where(path, false);
    try {
      return this.inFolder(w.base, w.folder, false, (fd) => metaStatAt(fd, w.name));
    } catch (e) {
      if (isAbsence(e)) return null;
      throw e;
    }
  }

  /**
   * Write the record of `path` by replacing the file (temporary file, then
   * rename), making missing folders. With `shared` (the data entry is hard
   * linked), a record shared by hard links is replaced under every one of
   * its names so they stay one file; without it, `path` gets a file of its own.
   */
  write(path: readonly Buffer[], isDir: boolean, record: MetadataRecord, shared: boolean): void {
    const data = Buffer.from(printMetadata(record), 'latin1');
    const w = this.where(path, isDir);
    const st = isDir || !shared ? null : this.statRecord(path);
    if (st !== null && st.isFile && st.nlink > 1) {
      this.writeShared(path, st, data);
      return;
    }
    this.inFolder(w.base, w.folder, true, (fd) => writeFileAt(fd, w.name, data));
  }

  /** Make the folder file_metadata/<path>/ that mirrors a directory. */
  ensureMirror(path: readonly Buffer[]): void {
    this.inFolder(this.fileMeta, path, true, () => undefined);
  }

  /** Record of `to` becomes a hard link of the record of `from` (non-directories). */
  link(from: readonly Buffer[], to: readonly Buffer[]): void {
    const a = this.where(from, false);
    const b = this.where(to, false);
    const done = this.inFolder(a.base, a.folder, false, (afd) =>
      this.inFolder(b.base, b.folder, true, (bfd) => {
        linkOverAt(afd, a.name, bfd, b.name);
        return true;
      }),
    );
    if (done !== true) throw vfsError('ENOENT', 'link metadata');
  }

  /**
   * Move the records of `from` (a file's record, or a directory's two
   * subtrees) to `to`, replacing what `to` had. `folders`: a directory is
   * moved or replaced (dir_metadata/ is touched only then).
   */
  move(from: readonly Buffer[], to: readonly Buffer[], folders: boolean): void {
    if (folders) this.forgetFolders();
    this.moveIn(this.fileMeta, from, to);
    if (!folders) return;
    // A host-made directory named "metadata" has no folder of its own here:
    // dir_metadata/<parent>/metadata is its parent's record, never moved.
    if (hasDirFolder(from)) this.moveIn(this.dirMeta, from, to);
    else if (hasDirFolder(to)) this.removeIn(this.dirMeta, to);
  }

  private moveIn(base: number, from: readonly Buffer[], to: readonly Buffer[]): void {
    const a = this.where(from, false);
    const b = this.where(to, false);
    const moved = this.inFolder(base, a.folder, false, (afd) => this.inFolder(base, b.folder, true, (bfd) => moveOverAt(afd, a.name, bfd, b.name)));
    // No record to move (missing metadata): what `to` had described the replaced entry.
    if (moved !== true) this.removeIn(base, to);
  }

  private removeIn(base: number, path: readonly Buffer[]): void {
    const w = this.where(path, false);
    this.inFolder(base, w.folder, false, (fd) => removeAt(fd, w.name, true));
  }

  /** Swap the records of `a` and `b` (RENAME_EXCHANGE); `aDir`, `bDir`: which of them are directories. */
  exchange(a: readonly Buffer[], b: readonly Buffer[], aDir: boolean, bDir: boolean): void {
    this.forgetFolders();
    const x = this.where(a, false);
    const y = this.where(b, false);
    this.inFolder(this.fileMeta, x.folder, true, (xfd) => this.inFolder(this.fileMeta, y.folder, true, (yfd) => swapAt(xfd, x.name, yfd, y.name)));
    // dir_metadata/ holds folders of directories only (the names were checked
    // by dirNameRefused before the data moved, so neither is the parent's record).
    if (aDir && bDir) {
      this.inFolder(this.dirMeta, x.folder, true, (xfd) => this.inFolder(this.dirMeta, y.folder, true, (yfd) => swapAt(xfd, x.name, yfd, y.name)));
    } else if ((aDir || bDir) && hasDirFolder(a) && hasDirFolder(b)) {
      // The directory's folder goes where the directory went.
      if (aDir) this.moveIn(this.dirMeta, a, b);
      else this.moveIn(this.dirMeta, b, a);
    }
  }

  /** Remove the records of `path` (a directory's whole subtrees in both trees). */
  remove(path: readonly Buffer[], isDir: boolean): void {
    if (isDir) this.forgetFolders();
    this.removeIn(this.fileMeta, path);
    if (isDir && hasDirFolder(path)) this.removeIn(this.dirMeta, path);
  }

  /** Every path in file_metadata/ whose record is the inode `st` (the names of one hard-linked file). */
  namesOf(st: MetaStat): Buffer[][] {
    const found: Buffer[][] = [];
    const visit = (fd: number, prefix: Buffer[]): void => {
      for (const name of listNamesAt(fd)) {
        if (found.length >= st.nlink) return;
        const s = metaStatAt(fd, name);
        if (s === null) continue;
        if (s.isDir) this.inFolder(fd, [name], false, (sub) => visit(sub, [...prefix, name]));
        else if (s.dev === st.dev && s.ino === st.ino) found.push([...prefix, name]);
      }
    };
    visit(this.fileMeta, []);
    return found;
  }

  private writeShared(path: readonly Buffer[], st: MetaStat, data: Buffer): void {
    const names = this.namesOf(st);
    const fds: number[] = [];
    try {
      const targets = names.map((p) => {
        const w = this.where(p, false);
        const fd = walkBeneath(w.base, w.folder);
        fds.push(fd);
        return { dirfd: fd, name: w.name };
      });
      // The name asked for first, so it is always among the replaced ones.
      if (!names.some((n) => n.length === path.length && n.every((c, i) => c.equals(path[i] as Buffer)))) {
        throw vfsError('EIO', 'write metadata', 'a shared record was not found under its own name');
      }
      writeSharedAt(targets, data);
    } finally {
      for (const fd of fds) closeMeta(fd);
    }
  }
}

/**
 * Whether a directory at `path` can have a folder in dir_metadata/: not when
 * its name is "metadata" (that name in dir_metadata/<parent>/ is the
 * parent's record). The root always can.
 */
export function hasDirFolder(path: readonly Buffer[]): boolean {
  const last = path[path.length - 1];
  return last === undefined || !last.equals(RECORD);
}
