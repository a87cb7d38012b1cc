// Whether a layer entry differs from the base entry it covers, and in what.

import fs from 'node:fs';
import { readXattrs, sameXattrs } from './xattrs.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** What differs: the fields of `cow diff`'s "changed" entries. */
export type ChangeField = 'content' | 'device' | 'mode' | 'owner' | 'mtime' | 'xattrs';

export function entryType(st: fs.Stats | fs.BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** Byte-for-byte comparison, in chunks (files of any size). */
export function sameContent(a: Buffer, b: Buffer): boolean {
  const fa = fs.openSync(a, 'r');
  try {
    const fb = fs.openSync(b, 'r');
    try {
      const ba = Buffer.allocUnsafe(1 << 16);
      const bb = Buffer.allocUnsafe(1 << 16);
      for (;;) {
        const na = fs.readSync(fa, ba, 0, ba.length, null);
        const nb = fs.readSync(fb, bb, 0, bb.length, null);
        if (na !== nb) return false;
        if (na === 0) return true;
        if (ba.compare(bb, 0, nb, 0, na) !== 0) return false;
      }
    } finally {
      fs.closeSync(fb);
    }
  } finally {
    fs.closeSync(fa);
  }
}

/**
 * The fields in which entry `up` (at upperPath) differs from `base` (at
 * basePath), both of the same type. Directory times are left out: adding an
 * entry to a directory moves them, and that is not a change of its own.
 * mtime is compared to the microsecond: a copy-up through Node keeps no
 * more (see src/core/attrs.ts).
 */
export function changedFields(upperPath: Buffer, up: fs.BigIntStats, basePath: Buffer, base: fs.BigIntStats): ChangeField[] {
  const fields: ChangeField[] = [];
  if (up.isFile()) {
    if (up.size !== base.size || !sameContent(upperPath, basePath)) fields.push('content');
  } else if (up.isSymbolicLink()) {
    if (!fs.readlinkSync(upperPath, { encoding: 'buffer' }).equals(fs.readlinkSync(basePath, { encoding: 'buffer' }))) fields.push('content');
  } else if ((up.isCharacterDevice() || up.isBlockDevice()) && up.rdev !== base.rdev) {
    fields.push('device');
  }
  if ((up.mode & 0o7777n) !== (base.mode & 0o7777n)) fields.push('mode');
  if (up.uid !== base.uid || up.gid !== base.gid) fields.push('owner');
  if (!up.isDirectory() && up.mtimeNs / 1000n !== base.mtimeNs / 1000n) fields.push('mtime');
  if (!sameXattrs(readXattrs(upperPath, up), readXattrs(basePath, base))) fields.push('xattrs');
  return fields;
}
