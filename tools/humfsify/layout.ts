// Host paths of one export folder, and the writes humfsify makes there:
// metadata files are written to a temp file and renamed into place, so a
// reader (or a crash) never sees half a record.
import fs from 'node:fs';
import path from 'node:path';
import { HUMFS_LAYOUT } from '../../src/meta/humfs-format.js';
import { joinPath } from './walk.js';

export interface ExportPaths {
  root: Buffer;
  data: Buffer;
  fileMetadata: Buffer;
  dirMetadata: Buffer;
  superblock: Buffer;
}

export function exportPaths(dir: string): ExportPaths {
  const root = Buffer.from(path.resolve(dir));
  const at = (name: string): Buffer => joinPath(root, Buffer.from(name));
  return {
    root,
    data: at(HUMFS_LAYOUT.data),
    fileMetadata: at(HUMFS_LAYOUT.fileMetadata),
    dirMetadata: at(HUMFS_LAYOUT.dirMetadata),
    superblock: at(HUMFS_LAYOUT.superblock),
  };
}

const RECORD = Buffer.from(HUMFS_LAYOUT.dirRecord);

/** Where the record of data/<rel> lives (rel empty: data/ itself). */
export function recordPath(p: ExportPaths, rel: Buffer, isDirectory: boolean): Buffer {
  return isDirectory ? joinPath(mirrorDir(p.dirMetadata, rel), RECORD) : joinPath(p.fileMetadata, rel);
}

/** The directory of dir_metadata/ or file_metadata/ that mirrors data/<rel>. */
export function mirrorDir(base: Buffer, rel: Buffer): Buffer {
  return rel.length === 0 ? base : joinPath(base, rel);
}

export function dataPath(p: ExportPaths, rel: Buffer): Buffer {
  return rel.length === 0 ? p.data : joinPath(p.data, rel);
}

/**
 * A private scratch directory in the export folder, on the same filesystem
 * as data/ and the metadata, so that rename(2) from it is atomic. Removed by
 * dispose() (also after a failure).
 */
export class Scratch {
  readonly dir: Buffer;
  private readonly fd: number;
  private counter = 0;

  constructor(root: Buffer) {
    this.dir = joinPath(root, Buffer.from(`.humfsify-${process.pid}.tmp`));
    fs.mkdirSync(this.dir, { mode: 0o700 });
    this.fd = fs.openSync(this.dir, 'r');
  }

  /** A fresh name in the scratch directory. */
  next(): Buffer {
    return joinPath(this.dir, Buffer.from(`t${++this.counter}`));
  }

  /**
   * The same place as `p` (a name from next()) reached through the scratch
   * directory's descriptor: short whatever the export's path, as a unix
   * socket address must be (sun_path holds 108 bytes).
   */
  shortPath(p: Buffer): string {
    return `/proc/self/fd/${this.fd}/${p.subarray(this.dir.length + 1).toString()}`;
  }

  /**
   * Writes `text` to `dest` atomically, owned by uid:gid when given
   * (0o666 & ~umask, as the original's open(">") gives).
   */
  writeFile(dest: Buffer, text: string, owner?: { uid: number; gid: number }): void {
    const tmp = this.next();
    const fd = fs.openSync(tmp, 'wx', 0o666);
    try {
      fs.writeSync(fd, text);
      if (owner !== undefined) fs.fchownSync(fd, owner.uid, owner.gid);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(tmp, dest);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  }

  dispose(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** mkdir that accepts an existing directory; chowns what it creates. */
export function ensureDir(dir: Buffer, owner: { uid: number; gid: number } | undefined): boolean {
  try {
    fs.mkdirSync(dir, 0o777);
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST' && fs.lstatSync(dir).isDirectory()) return false;
    throw e;
  }
  if (owner !== undefined) fs.chownSync(dir, owner.uid, owner.gid);
  return true;
}
