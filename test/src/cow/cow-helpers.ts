// Shared by the copy-on-write tests: a base with a bit of everything,
// removing a whole view through the Vfs, and a snapshot of a host tree
// (every entry's lstat and contents) to prove the base was not touched.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openExport } from '../../../src/index.js';
import { S_IFIFO, type NodeId } from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import { B, listNames, ME, walk, writeFile } from '../../conformance/vfs.js';

/** Fills `base` (an export folder of `mode`) through a plain export: files, a tree, a hard-linked pair, a symlink, a FIFO. */
export async function fillBase(base: string, mode: 'hostfs' | 'humfs'): Promise<void> {
  const vfs = await openExport({ path: base, mode });
  try {
    const r = vfs.root;
    for (const n of ['f', 'g', 'a', 'b', 'x', 'reg']) await writeFile(vfs, r, n, `base ${n}\n`);
    const d = await vfs.mkdir(ME, r, B('d'), 0o755);
    await writeFile(vfs, d.id, 'x', 'base d/x\n');
    const sub = await vfs.mkdir(ME, d.id, B('sub'), 0o750);
    await writeFile(vfs, sub.id, 'y', 'base d/sub/y\n');
    await vfs.mkdir(ME, r, B('dir'), 0o755);
    const h = await writeFile(vfs, r, 'h1', 'linked\n');
    await vfs.link(ME, h.id, r, B('h2'));
    await vfs.symlink(ME, r, B('l'), B('f'));
    await vfs.mknod(ME, r, B('fifo'), S_IFIFO | 0o644, 0n);
  } finally {
    await vfs.close();
  }
}

/** Removes everything below directory `dir` through `vfs`, depth first. */
export async function removeAllThrough(vfs: Vfs, dir: NodeId = vfs.root): Promise<void> {
  for (const name of await listNames(vfs, dir)) {
    const e = await vfs.lookup(ME, dir, name);
    if ((e.attr.mode & 0o170000) === 0o040000) {
      await removeAllThrough(vfs, e.id);
      await vfs.rmdir(ME, dir, name);
    } else {
      await vfs.unlink(ME, dir, name);
    }
    vfs.forget(e.id, 1);
  }
}

/** Every entry below `root`: lstat (all but atime) and a hash of contents or link target, by relative path. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (rel: string): void => {
    const full = path.join(root, rel);
    const st = fs.lstatSync(full, { bigint: true });
    let body = '';
    if (st.isFile()) body = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    else if (st.isSymbolicLink()) body = fs.readlinkSync(full);
    out.set(rel, `${st.ino} ${st.mode} ${st.nlink} ${st.uid} ${st.gid} ${st.rdev} ${st.size} ${st.blocks} ${st.mtimeNs} ${st.ctimeNs} ${body}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(full).sort()) visit(path.join(rel, n));
  };
  visit('');
  return out;
}

/** The entry of `p` (slash-separated) through the Vfs. */
export { walk };
