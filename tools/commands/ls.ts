// `humbridge ls EXPORT [PATH]`: lists a directory exactly as the VFS core
// serves it (virtual owners and modes in humfs mode), through the same Vfs
// calls a front end makes. Read-only: the export is opened read-only.

import { openExport } from '../../src/index.js';
import { VfsError } from '../../src/errors.js';
import type { Vfs } from '../../src/vfs.js';
import { S_IFLNK, S_IFMT, major, minor, type Attr, type Cred, type NodeId } from '../../src/types.js';
import { modeString } from '../cli/mode-string.js';
import type { ExportOptions } from '../../src/options.js';

const ROOT_CRED: Cred = { uid: 0, gid: 0 };

export async function listCommand(options: ExportOptions, target: string, out: NodeJS.WritableStream): Promise<void> {
  const vfs = await openExport({ ...options, readonly: true });
  try {
    const id = await walk(vfs, target);
    const attr = await vfs.getattr(id);
    if ((attr.mode & S_IFMT) !== 0o040000) {
      out.write(await line(vfs, id, attr, Buffer.from(target.split('/').filter(Boolean).pop() ?? '/')));
      return;
    }
    for (const name of await names(vfs, id)) {
      const child = await vfs.lookup(ROOT_CRED, id, name);
      try {
        out.write(await line(vfs, child.id, child.attr, name));
      } finally {
        vfs.forget(child.id, 1);
      }
    }
  } finally {
    await vfs.close();
  }
}

/** Every name in the directory except . and .., sorted bytewise as `LC_ALL=C ls` does. */
async function names(vfs: Vfs, dir: NodeId): Promise<Buffer[]> {
  const handle = await vfs.opendir(ROOT_CRED, dir);
  const found: Buffer[] = [];
  try {
    let cookie = 0n;
    for (;;) {
      const batch = await vfs.readdir(handle, cookie, 1024);
      if (batch.length === 0) break;
      for (const ent of batch) {
        cookie = ent.cookie;
        if (ent.name.equals(DOT) || ent.name.equals(DOTDOT)) continue;
        found.push(ent.name);
      }
    }
  } finally {
    await vfs.releasedir(handle);
  }
  return found.sort(Buffer.compare);
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** Resolve a slash-separated path from the root, one name at a time. */
async function walk(vfs: Vfs, target: string): Promise<NodeId> {
  let id = vfs.root;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    const next = part === '..' ? await vfs.parent(ROOT_CRED, id) : await vfs.lookup(ROOT_CRED, id, Buffer.from(part));
    // The CLI exits after one listing: references are released by close().
    id = next.id;
  }
  return id;
}

async function line(vfs: Vfs, id: NodeId, attr: Attr, name: Buffer): Promise<Buffer> {
  const isDev = (attr.mode & 0o170000) === 0o020000 || (attr.mode & 0o170000) === 0o060000;
  const size = isDev ? `${major(attr.rdev)}, ${minor(attr.rdev)}` : attr.size.toString();
  const mtime = new Date(Number(attr.mtime / 1_000_000n)).toISOString().replace('T', ' ').slice(0, 19);
  const head = `${modeString(attr.mode)} ${String(attr.nlink).padStart(3)} ${String(attr.uid).padStart(5)} ${String(attr.gid).padStart(5)} ${size.padStart(10)} ${mtime} `;
  const parts = [Buffer.from(head), name];
  if ((attr.mode & S_IFMT) === S_IFLNK) {
    try {
      parts.push(Buffer.from(' -> '), await vfs.readlink(id));
    } catch (e) {
      if (!(e instanceof VfsError)) throw e;
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
