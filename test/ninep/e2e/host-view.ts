// What the host says an entry of an end-to-end export is, in either mode:
// owner, full mode (type and permission bits) and device number. hostfs: the
// entry's own lstat. humfs: its record (file_metadata/<p>, or
// dir_metadata/<p>/metadata for a directory) over the type of its data/
// entry. Records are read and written here with a small parser of our own,
// not the format module under test.

import fs from 'node:fs';
import path from 'node:path';
import { makedev } from '../../../src/types.js';
import type { ExportMode } from './export-folder.js';

/** The parts of a served export the host-side checks need. */
export interface HostView {
  mode: ExportMode;
  /** What the client sees (hostfs: the export; humfs: its data/). */
  dir: string;
  /** The export folder (humfs: the one holding data/ and the metadata trees). */
  exportDir: string;
}

export interface HostMeta {
  uid: number;
  gid: number;
  /** Full st_mode: type bits and permission bits. */
  mode: number;
  rdev: bigint;
  /** humfs: the answer came from a record (false: the entry has none, and the export shows the host's lstat). */
  fromRecord: boolean;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const TYPE_BITS: Record<string, number> = { c: 0o020000, b: 0o060000, p: 0o010000, s: 0o140000 };
const RECORD_LINE = /^(\d+) (\d+) (\d+)(?: ([cbps]) (\d+) (\d+))?\n$/;

/** Host path of the record of `rel` (a path below data/; '' is the root). */
export function recordPath(v: HostView, rel: string, isDir: boolean): string {
  return isDir ? path.join(v.exportDir, 'dir_metadata', rel, 'metadata') : path.join(v.exportDir, 'file_metadata', rel);
}

function lstat(v: HostView, rel: string): fs.BigIntStats {
  return fs.lstatSync(path.join(v.dir, rel), { bigint: true });
}

/** The record file of `rel` as bytes on disk (humfs), or null when it has none. */
export function recordText(v: HostView, rel: string): string | null {
  const isDir = (Number(lstat(v, rel).mode) & S_IFMT) === S_IFDIR;
  try {
    return fs.readFileSync(recordPath(v, rel, isDir), 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Owner, mode and rdev of `rel` as the export serves them. */
export function hostMeta(v: HostView, rel: string): HostMeta {
  const st = lstat(v, rel);
  const host: HostMeta = { uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), rdev: st.rdev, fromRecord: false };
  if (v.mode === 'hostfs') return host;
  const text = recordText(v, rel);
  if (text === null) return host;
  const m = RECORD_LINE.exec(text);
  if (m === null) throw new Error(`unparsable record of ${rel}: ${JSON.stringify(text)}`);
  const [, perm, uid, gid, type, maj, min] = m;
  const typeBits = type === undefined ? host.mode & S_IFMT : (TYPE_BITS[type] as number);
  const device = type === 'c' || type === 'b';
  return {
    uid: Number(uid),
    gid: Number(gid),
    mode: typeBits | Number(perm),
    rdev: device ? makedev(Number(maj), Number(min)) : type === undefined ? host.rdev : 0n,
    fromRecord: true,
  };
}

/**
 * Gives `rel` (a regular file, directory or symlink) an owner and/or
 * permission bits from the host side, as an administrator would:
 * chown/chmod (hostfs), or a new record (humfs).
 */
export function setHostMeta(v: HostView, rel: string, set: { uid?: number; gid?: number; perm?: number }): void {
  const p = path.join(v.dir, rel);
  if (v.mode === 'hostfs') {
    if (set.uid !== undefined || set.gid !== undefined) fs.lchownSync(p, set.uid ?? -1, set.gid ?? -1);
    if (set.perm !== undefined) fs.chmodSync(p, set.perm);
    return;
  }
  const now = hostMeta(v, rel);
  const isDir = (now.mode & S_IFMT) === S_IFDIR;
  const file = recordPath(v, rel, isDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (isDir) fs.mkdirSync(path.join(v.exportDir, 'file_metadata', rel), { recursive: true });
  const perm = set.perm ?? now.mode & 0o7777;
  fs.writeFileSync(file, `${perm} ${set.uid ?? now.uid} ${set.gid ?? now.gid}\n`);
}
