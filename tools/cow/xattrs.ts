// Extended attributes of layer and base entries, read and written
// synchronously for the cow tools. fs-xattr takes string paths, so an entry
// is reached through /proc/self/fd/<fd> of its own descriptor: exact for
// names that are not UTF-8, and never through a symlink. Only regular files
// and directories are asked: Linux refuses user.* xattrs on symlinks and
// device nodes, and a whiteout is a device node.

import fs from 'node:fs';
import { getAttributeSync, listAttributesSync, removeAttributeSync, setAttributeSync } from 'fs-xattr';
import { OPAQUE_XATTR, OPAQUE_VALUE } from '../../src/cow/layout.js';

/** overlayfs's own marks (`userxattr` and privileged spellings): format, not data. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('user.overlay.') || name.startsWith('trusted.overlay.');
}

function carriesXattrs(st: fs.Stats | fs.BigIntStats): boolean {
  return st.isFile() || st.isDirectory();
}

function withFd<T>(p: Buffer, fn: (where: string) => T): T {
  const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    return fn(`/proc/self/fd/${fd}`);
  } finally {
    fs.closeSync(fd);
  }
}

function noXattrs(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENODATA';
}

/** The entry's xattrs, overlay marks left out; sorted by name. */
export function readXattrs(p: Buffer, st: fs.Stats | fs.BigIntStats): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!carriesXattrs(st)) return out;
  withFd(p, (where) => {
    let names: string[];
    try {
      names = listAttributesSync(where);
    } catch (e) {
      if (noXattrs(e)) return;
      throw e;
    }
    for (const name of names.filter((n) => !isOverlayXattr(n)).sort()) {
      try {
        out.set(name, getAttributeSync(where, name));
      } catch (e) {
        if (!noXattrs(e)) throw e;
      }
    }
  });
  return out;
}

/** Whether a layer directory carries the opaque mark. */
export function isOpaqueDir(p: Buffer, st: fs.Stats | fs.BigIntStats): boolean {
  if (!st.isDirectory()) return false;
  return withFd(p, (where) => {
    try {
      return getAttributeSync(where, OPAQUE_XATTR).toString() === OPAQUE_VALUE;
    } catch (e) {
      if (noXattrs(e)) return false;
      throw e;
    }
  });
}

export function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !w.equals(v)) return false;
  }
  return true;
}

/** Makes the entry's xattrs (overlay marks aside) exactly `want`. */
export function setXattrs(p: Buffer, st: fs.Stats | fs.BigIntStats, want: Map<string, Buffer>): void {
  if (!carriesXattrs(st)) return;
  withFd(p, (where) => {
    let have: string[] = [];
    try {
      have = listAttributesSync(where);
    } catch (e) {
      if (!noXattrs(e)) throw e;
    }
    for (const name of have) {
      if (!isOverlayXattr(name) && !want.has(name)) removeAttributeSync(where, name);
    }
    for (const [name, value] of want) setAttributeSync(where, name, value);
  });
}
