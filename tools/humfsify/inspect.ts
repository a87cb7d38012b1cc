// `humfsify --check [--repair]`, and the validation `-r` runs before its
// first write: every way data/ and the metadata can disagree.
//   data/ walk:          a record missing, unparsable, of the wrong kind (a
//                        file where a directory is expected and back), a
//                        type that the data entry cannot be (a record says
//                        `c` but data/ holds a directory), a host device with
//                        a plain record, hard-linked names whose records are
//                        not one shared file, and records shared by names
//                        of different inodes;
//   file_metadata/ walk: records with no data entry (orphans), strays;
//   dir_metadata/ walk:  the same, and files other than "metadata";
//   superblock:          missing or unparsable, or a `used` that is neither
//                        the sizes of data/'s regular files (each inode once,
//                        at most `total`), as the humfs store counts it, nor
//                        `du -sk data` as a conversion writes it (the
//                        original's way; the server replaces it at start);
//   a directory named "metadata": it cannot have a record (reported, not repaired).
// Repairs trust data/: a missing or broken record is written from the data
// entry's lstat (as a conversion would), orphans are removed. A hard-linked
// name without a record shares the record of another name of its inode
// (the humfs store links data/ before the record, so a crash in between
// leaves exactly that): one --repair pass leaves --check clean.
import fs from 'node:fs';
import { HUMFS_LAYOUT, HumfsFormatError, parseMetadata, parseSuperblock, printMetadata, printSuperblock, specialTypeOfMode, type MetadataRecord, type Superblock } from '../../src/meta/humfs-format.js';
import { major, minor } from '../../src/types.js';
import { recordOf } from './convert.js';
import { codeOf, reasonOf, showPath } from './errors.js';
import { ensureDir, mirrorDir, recordPath, type ExportPaths, type Scratch } from './layout.js';
import { countEntry, type Problem, type Progress, type Summary, type Verbose } from './report.js';
import { linkOver } from './specials.js';
import { joinPath, lstatMaybe, walk } from './walk.js';

export interface InspectContext {
  p: ExportPaths;
  /** Fix what is found (needs scratch and owner). */
  repair: boolean;
  scratch: Scratch | undefined;
  /** Owner given to metadata files and folders made by a repair. */
  owner: { uid: number; gid: number };
  summary: Summary;
  progress: Progress;
  verbose: Verbose;
  /** Check the superblock's `used` too (--check; -r drops the superblock anyway). */
  used?: boolean;
}

/** A record file read together with its own identity (for hard-link checks). */
interface RecordFile {
  text: string;
  ino: string;
  nlink: number;
}

export function readRecordFile(file: Buffer): RecordFile | { error: string } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { error: 'missing' };
    if (code === 'ELOOP') return { error: 'is a symlink, not a metadata file' };
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return { error: 'is a directory, not a metadata file' };
    if (!st.isFile()) return { error: 'is not a regular file' };
    // Records are one short line; a huge file is no record.
    const buf = Buffer.alloc(Math.min(st.size, 4096));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.toString('latin1', 0, n), ino: `${st.dev}:${st.ino}`, nlink: st.nlink };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads and parses a record; the error names the file and the line. */
export function loadRecord(file: Buffer): { record: MetadataRecord; file: RecordFile } | { error: string } {
  const f = readRecordFile(file);
  if ('error' in f) return f;
  try {
    return { record: parseMetadata(f.text), file: f };
  } catch (e) {
    if (e instanceof HumfsFormatError) return { error: e.message };
    throw e;
  }
}

export function readSuperblock(p: ExportPaths): Superblock | { error: string } {
  let text: string;
  try {
    text = fs.readFileSync(p.superblock, 'latin1');
  } catch (e) {
    return { error: codeOf(e) === 'ENOENT' ? 'missing: not a humfs export' : reasonOf(e) };
  }
  try {
    return parseSuperblock(text);
  } catch (e) {
    if (e instanceof HumfsFormatError) return { error: e.message };
    throw e;
  }
}

export function inspect(c: InspectContext): void {
  const sb = readSuperblock(c.p);
  if ('error' in sb) report(c, 'bad-superblock', c.p.superblock, sb.error, false);
  c.progress.start('checking data/', 0);
  const usage = inspectData(c);
  if (!('error' in sb) && c.used === true) checkUsed(c, sb, usage);
  c.progress.start('checking file_metadata/', 0);
  inspectMirror(c, c.p.fileMetadata, false);
  c.progress.start('checking dir_metadata/', 0);
  inspectMirror(c, c.p.dirMetadata, true);
}

/** What data/ holds: file sizes as the server counts `used`, and `du -sk` as a conversion writes it. */
interface Usage {
  bytes: bigint;
  sectors: number;
}

/** `used` must be what data/ holds (capped at total, the most a superblock may say). */
function checkUsed(c: InspectContext, sb: Superblock, usage: Usage): void {
  const bytes = usage.bytes;
  const want = bytes > sb.total ? sb.total : bytes;
  const du = BigInt(Math.ceil((usage.sectors * 512) / 1024)) * 1024n;
  if (sb.used === want || sb.used === du) return;
  const over = bytes > sb.total ? ` (more than total ${sb.total})` : '';
  report(c, 'wrong-used', c.p.superblock, `used ${sb.used}, but the regular files in data/ hold ${bytes} bytes${over}`, true, () => {
    c.scratch?.writeFile(c.p.superblock, printSuperblock({ ...sb, used: want }), c.owner);
  });
}

function report(c: InspectContext, kind: string, path: Buffer, detail: string, fixable: boolean, fix?: () => void): void {
  let repaired = false;
  if (c.repair && fixable && fix !== undefined) {
    fix();
    repaired = true;
  }
  c.progress.clear();
  c.summary.problems.push({ kind, path: showPath(path), detail, repaired } satisfies Problem);
  c.verbose(repaired ? `repaired ${kind}` : `found ${kind}`, path);
}

function rewrite(c: InspectContext, file: Buffer, record: MetadataRecord): () => void {
  return () => {
    fs.rmSync(file, { recursive: true, force: true });
    c.scratch?.writeFile(file, printMetadata(record), c.owner);
  };
}

/** Checks every data/ entry's record; answers what data/ holds (each inode once). */
function inspectData(c: InspectContext): Usage {
  const { p } = c;
  const usage: Usage = { bytes: 0n, sectors: 0 };
  const recordName = Buffer.from(HUMFS_LAYOUT.dirRecord);
  // Hard-linked data inodes → their first record; shared record inodes → their data inode.
  const firstRecord = new Map<string, { path: Buffer; ino: string }>();
  const recordOwner = new Map<string, string>();
  const linkedInodes = new Set<string>();
  // (repair) records of hard-linked names still to be linked to a sibling's record.
  const pending = new Map<string, { record: MetadataRecord; files: Buffer[] }>();
  for (const e of walk(p.data)) {
    c.progress.tick();
    countEntry(c.summary, e.stat.mode);
    const st = e.stat;
    const isDir = st.isDirectory();
    if (isDir && e.rel.length > 0 && lastName(e.rel).equals(recordName)) {
      // dir_metadata/<parent>/metadata is the parent's record: this one has no place.
      report(c, 'unrepresentable', e.abs, `a directory named "${HUMFS_LAYOUT.dirRecord}" cannot have a record in this layout; rename it`, false);
      e.descend = false;
      continue;
    }
    if (isDir || st.nlink === 1 || !linkedInodes.has(`${st.dev}:${st.ino}`)) {
      usage.sectors += st.blocks;
      if (st.isFile()) usage.bytes += BigInt(st.size);
    }
    if (isDir && e.rel.length > 0) {
      const mirror = mirrorDir(p.fileMetadata, e.rel);
      const m = lstatMaybe(mirror);
      if (m === undefined || !m.isDirectory()) {
        const what = m === undefined ? 'missing (data/ has a directory here)' : 'is not a directory, but data/ has a directory here';
        report(c, 'missing-mirror-dir', mirror, what, true, () => {
          fs.rmSync(mirror, { force: true });
          ensureDir(mirror, c.owner);
        });
      }
    }
    const file = recordPath(p, e.rel, isDir);
    const fromData = recordOf(st, e.abs);
    const loaded = loadRecord(file);
    const dataIno = `${st.dev}:${st.ino}`;
    if (!isDir && st.nlink > 1) {
      // Every name of a hard-linked inode after the first one met is an extra link.
      if (linkedInodes.has(dataIno)) c.summary.hardLinks++;
      else linkedInodes.add(dataIno);
    }
    if ('error' in loaded) {
      const kind = loaded.error === 'missing' ? 'missing-record' : 'bad-record';
      if (isDir) ensureDirRepair(c, file);
      if (isDir || st.nlink === 1) {
        report(c, kind, file, loaded.error, true, rewrite(c, file, fromData));
        continue;
      }
      // Another name of this inode may hold a good record (the guest's owner
      // and mode): share it rather than make one from data/. If none is
      // seen by the end of the walk, one record is made from data/ for all.
      const first = firstRecord.get(dataIno);
      report(c, kind, file, loaded.error, true, () => {
        fs.rmSync(file, { recursive: true, force: true });
        if (first !== undefined) fs.linkSync(first.path, file);
        else {
          const waiting = pending.get(dataIno) ?? { record: fromData, files: [] };
          waiting.files.push(file);
          pending.set(dataIno, waiting);
        }
      });
      continue;
    }
    const { record } = loaded;
    // The record file as it is on disk now: a repair below replaces it, and
    // the other names of the inode must share the replacement.
    let current = loaded.file;
    const mismatch = typeMismatch(record, st, e.abs);
    if (mismatch !== null) {
      const fixed = isDir ? { ...record, type: null, major: 0, minor: 0 } : { ...fromData, mode: record.mode, uid: record.uid, gid: record.gid };
      report(c, 'type-mismatch', file, mismatch, true, rewrite(c, file, fixed));
      current = afterRepair(c, file, current);
    }
    if (record.type !== null && st.isFile() && st.size > 0) {
      report(c, 'placeholder-not-empty', e.abs, `recorded as type ${record.type} but holds ${st.size} bytes (lost on -r)`, false);
    }
    if (isDir) continue;
    const first = st.nlink > 1 ? firstRecord.get(dataIno) : undefined;
    if (first !== undefined && first.ino !== current.ino) {
      // Records of one inode that disagree: the first one met wins.
      report(c, 'link-not-shared', file, `data/${showPath(e.rel)} is a hard link of another name whose record is ${showPath(first.path)}, but the records are separate files`, true, () => {
        if (c.scratch !== undefined) linkOver(c.scratch, first.path, file);
      });
      continue;
    }
    if (current.nlink > 1) {
      const owner = recordOwner.get(current.ino);
      if (owner === undefined) recordOwner.set(current.ino, dataIno);
      else if (owner !== dataIno) {
        const text = current.text;
        report(c, 'link-shared-wrongly', file, `this record is hard-linked with the record of a different data inode`, true, () => {
          c.scratch?.writeFile(file, text, c.owner);
        });
        current = afterRepair(c, file, current);
      }
    }
    if (st.nlink > 1 && first === undefined) {
      // Only now, after this record's own repairs: the names that share it
      // must get the record this name keeps.
      firstRecord.set(dataIno, { path: file, ino: current.ino });
      for (const waiting of pending.get(dataIno)?.files ?? []) fs.linkSync(file, waiting);
      pending.delete(dataIno);
    }
  }
  // No name of these inodes had a good record: one record from data/, shared.
  for (const { record, files } of pending.values()) {
    const [head, ...rest] = files;
    if (head === undefined) continue;
    c.scratch?.writeFile(head, printMetadata(record), c.owner);
    for (const f of rest) fs.linkSync(head, f);
  }
  return usage;
}

function lastName(rel: Buffer): Buffer {
  const slash = rel.lastIndexOf(0x2f);
  return slash < 0 ? rel : rel.subarray(slash + 1);
}

/** A record file's identity once a repair may have replaced it. */
function afterRepair(c: InspectContext, file: Buffer, before: RecordFile): RecordFile {
  if (!c.repair) return before;
  const now = readRecordFile(file);
  return 'error' in now ? before : now;
}

/** A dir record's folder dir_metadata/<dir>/ must exist before its record can be written. */
function ensureDirRepair(c: InspectContext, file: Buffer): void {
  if (!c.repair) return;
  const folder = file.subarray(0, file.lastIndexOf(0x2f));
  const m = lstatMaybe(folder);
  if (m !== undefined && !m.isDirectory()) fs.rmSync(folder, { force: true });
  if (m === undefined || !m.isDirectory()) ensureDir(folder, c.owner);
}

/** Why a record cannot describe this data entry, or null. */
export function typeMismatch(record: MetadataRecord, st: fs.Stats, abs: Buffer): string | null {
  const dataType = specialTypeOfMode(st.mode);
  if (st.isDirectory()) return record.type === null ? null : `recorded as type ${record.type}, but data/ holds a directory`;
  if (record.type === null) {
    if (dataType === 'c' || dataType === 'b') return `data/ holds a host device node (${dataType}) but the record has no type`;
    return null;
  }
  if (st.isFile()) return null; // a placeholder
  if (dataType !== record.type) {
    const held = st.isSymbolicLink() ? 'a symlink' : `a node of type ${dataType ?? '?'}`;
    return `recorded as type ${record.type}, but data/ holds ${held}`;
  }
  if (dataType === 'c' || dataType === 'b') {
    const rdev = fs.lstatSync(abs, { bigint: true }).rdev;
    if (major(rdev) !== record.major || minor(rdev) !== record.minor) {
      return `recorded as device ${record.major}:${record.minor}, but data/ holds device ${major(rdev)}:${minor(rdev)}`;
    }
  }
  return null;
}

/** Walks file_metadata/ or dir_metadata/ for entries that describe nothing in data/. */
function inspectMirror(c: InspectContext, base: Buffer, dirTree: boolean): void {
  if (lstatMaybe(base) === undefined) {
    report(c, 'missing-mirror-dir', base, 'missing', true, () => ensureDir(base, c.owner));
    return;
  }
  const recordName = Buffer.from(HUMFS_LAYOUT.dirRecord);
  for (const e of walk(base)) {
    c.progress.tick();
    if (e.rel.length === 0) continue;
    const st = e.stat;
    if (dirTree && !st.isDirectory()) {
      // dir_metadata/<dir>/metadata records are checked from data/; anything else is a stray.
      const slash = e.rel.lastIndexOf(0x2f);
      const name = slash < 0 ? e.rel : e.rel.subarray(slash + 1);
      if (!name.equals(recordName)) {
        report(c, 'stray', e.abs, `only "${HUMFS_LAYOUT.dirRecord}" files belong in dir_metadata/`, true, () => fs.rmSync(e.abs, { force: true }));
      }
      continue;
    }
    const data = lstatMaybe(joinPath(c.p.data, e.rel));
    if (data === undefined) {
      e.descend = false;
      report(c, 'orphan', e.abs, `data/${showPath(e.rel)} does not exist`, true, () => fs.rmSync(e.abs, { recursive: true, force: true }));
      continue;
    }
    if (st.isDirectory() && !data.isDirectory()) {
      e.descend = false;
      // file_metadata/<x>/ over a non-directory was reported from data/ (its record path).
      if (dirTree) report(c, 'orphan', e.abs, `data/${showPath(e.rel)} is not a directory`, true, () => fs.rmSync(e.abs, { recursive: true, force: true }));
      continue;
    }
    if (!st.isDirectory() && !st.isFile()) {
      report(c, 'stray', e.abs, 'not a regular file or directory', true, () => fs.rmSync(e.abs, { force: true }));
    }
  }
}
