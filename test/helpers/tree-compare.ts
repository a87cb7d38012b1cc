// Two directory trees compared entry by entry: type, permission bits, owner,
// size, device numbers, mtime (to the microsecond: Node sets no finer),
// contents, symlink targets, xattrs (overlayfs's own marks left out), link
// counts and which names share an inode. Returns one line per difference, so
// a failing assert shows what differs.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { getAttributeSync, listAttributesSync } from 'fs-xattr';

export interface CompareOptions {
  /** Compare link counts (an overlay mount reports a lower file's own count). Default true. */
  nlink?: boolean;
  /** Compare directories' mtimes. Default true. */
  dirTimes?: boolean;
  /** Relative paths (no leading '/') left out, with what is below them. */
  skip?: readonly string[];
}

function xattrText(p: string, st: fs.BigIntStats): string {
  if (!st.isFile() && !st.isDirectory()) return '';
  let names: string[];
  try {
    names = listAttributesSync(p);
  } catch {
    return '';
  }
  return names
    .filter((n) => !n.startsWith('user.overlay.') && !n.startsWith('trusted.overlay.'))
    .sort()
    .map((n) => `${n}=${getAttributeSync(p, n).toString('hex')}`)
    .join(',');
}

function describe(p: string, st: fs.BigIntStats, o: CompareOptions, group: string): string {
  const parts = [`mode=${st.mode.toString(8)}`, `owner=${st.uid}:${st.gid}`];
  if (!st.isDirectory() || o.dirTimes !== false) parts.push(`mtime=${st.mtimeNs / 1000n}`);
  if (!st.isDirectory()) parts.push(`size=${st.size}`, `rdev=${st.rdev}`);
  if (!st.isDirectory() && o.nlink !== false) parts.push(`nlink=${st.nlink}`);
  if (st.isFile()) parts.push(`sha=${createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16)}`);
  if (st.isSymbolicLink()) parts.push(`target=${fs.readlinkSync(p)}`);
  if (group !== '') parts.push(`linked-with=${group}`);
  const x = xattrText(p, st);
  if (x !== '') parts.push(`xattrs=${x}`);
  return parts.join(' ');
}

/** rel → description, every entry of the tree (the root as ''). */
export function describeTree(root: string, o: CompareOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  const firstName = new Map<bigint, string>();
  const walk = (rel: string): void => {
    if (o.skip?.includes(rel)) return;
    const p = rel === '' ? root : `${root}/${rel}`;
    const st = fs.lstatSync(p, { bigint: true });
    let group = '';
    if (!st.isDirectory() && st.nlink > 1n) {
      group = firstName.get(st.ino) ?? rel;
      if (!firstName.has(st.ino)) firstName.set(st.ino, rel);
    }
    out.set(rel, describe(p, st, o, group));
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}

export function treeDifferences(a: string, b: string, o: CompareOptions = {}): string[] {
  const da = describeTree(a, o);
  const db = describeTree(b, o);
  const out: string[] = [];
  for (const [rel, text] of da) {
    const other = db.get(rel);
    if (other === undefined) out.push(`/${rel}: only in ${a}`);
    else if (other !== text) out.push(`/${rel}:\n  ${a}: ${text}\n  ${b}: ${other}`);
  }
  for (const rel of db.keys()) if (!da.has(rel)) out.push(`/${rel}: only in ${b}`);
  return out;
}
