// Qids from VFS attributes. intro(5): "The path is an integer unique among
// all files in the hierarchy. If a file is deleted and recreated with the
// same name in the same directory, the old and new path components of the
// qids should be different." The VFS NodeId is assigned from a counter and
// never reused, so it is the path. The version "is incremented every time
// the file is modified": we derive it from mtime and ctime (microseconds),
// which move on every change of contents or attributes.

import { QTDIR, QTFILE, QTSYMLINK, type Qid } from '../codec/index.js';
import { DT_DIR, DT_LNK, S_IFDIR, S_IFLNK, S_IFMT, type Attr } from '../../src/types.js';

/** Qid.type from st_mode: directory, symlink, or plain file (devices included). */
export function qidTypeOfMode(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return QTDIR;
    case S_IFLNK:
      return QTSYMLINK;
    default:
      return QTFILE;
  }
}

/** Qid.type from a dirent d_type. */
export function qidTypeOfDtype(dtype: number): number {
  if (dtype === DT_DIR) return QTDIR;
  if (dtype === DT_LNK) return QTSYMLINK;
  return QTFILE;
}

export function qidVersion(attr: Attr): number {
  return Number(BigInt.asUintN(32, (attr.mtime + attr.ctime) / 1000n));
}

export function qidOf(attr: Attr): Qid {
  return { type: qidTypeOfMode(attr.mode), version: qidVersion(attr), path: BigInt(attr.ino) };
}
