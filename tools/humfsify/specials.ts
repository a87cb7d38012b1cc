// Making and unmaking special files in data/. Node has no mknod(2): device
// nodes and FIFOs come from mknod(1), and a unix socket node from binding a
// listening socket. Each is made under a short ASCII name in the scratch
// directory, given its owner, mode and times there, and renamed over its
// place in data/: the swap is atomic and works for names of any bytes.
import fs from 'node:fs';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import type { SpecialType } from '../../src/meta/humfs-format.js';
import { HumfsifyError } from './errors.js';
import type { Scratch } from './layout.js';

export interface NodeAttrs {
  mode: number;
  uid: number;
  gid: number;
  atime: Date;
  mtime: Date;
}

/**
 * Replaces `target` by a new node of `type` (device numbers for c and b),
 * with the given owner, permission bits (special bits included) and times.
 */
export async function makeSpecial(
  scratch: Scratch,
  target: Buffer,
  type: SpecialType,
  major: number,
  minor: number,
  attrs: NodeAttrs,
): Promise<void> {
  const tmp = scratch.next();
  if (type === 's') await bindSocketNode(scratch.shortPath(tmp));
  else mknod(tmp, type, major, minor);
  finishAndSwap(tmp, target, attrs);
}

/** Replaces `target` by an empty regular file: the placeholder of a special file. */
export function makePlaceholder(scratch: Scratch, target: Buffer, attrs: NodeAttrs): void {
  const tmp = scratch.next();
  fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
  finishAndSwap(tmp, target, attrs);
}

/** Replaces `target` by a new hard link to `existing` (another name of the same node). */
export function linkOver(scratch: Scratch, existing: Buffer, target: Buffer): void {
  const tmp = scratch.next();
  fs.linkSync(existing, tmp);
  swap(tmp, target);
}

function finishAndSwap(tmp: Buffer, target: Buffer, a: NodeAttrs): void {
  // chown before chmod: chown(2) clears setuid and setgid.
  fs.lchownSync(tmp, a.uid, a.gid);
  fs.chmodSync(tmp, a.mode);
  fs.utimesSync(tmp, a.atime, a.mtime);
  swap(tmp, target);
}

function swap(tmp: Buffer, target: Buffer): void {
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function mknod(at: Buffer, type: 'c' | 'b' | 'p', major: number, minor: number): void {
  const args = type === 'p' ? [at.toString(), 'p'] : [at.toString(), type, String(major), String(minor)];
  const r = spawnSync('mknod', args, { encoding: 'utf8' });
  if (r.error !== undefined) throw new HumfsifyError(`cannot run mknod: ${r.error.message}`);
  if (r.status !== 0) {
    const what = type === 'p' ? 'FIFO' : `${type} ${major}:${minor}`;
    throw new HumfsifyError(`mknod ${what} failed: ${r.stderr.trim() || `exit status ${r.status}`}`);
  }
}

/**
 * Creates a unix socket node at `at` by binding a listening socket there.
 * The node is renamed away before the server closes, because closing a
 * bound pipe server unlinks its path; renamed, the node survives.
 */
async function bindSocketNode(where: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where, () => resolve());
    });
    const kept = `${where}s`;
    fs.renameSync(where, kept);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.renameSync(kept, where);
  } catch (e) {
    if (server.listening) server.close();
    throw new HumfsifyError(`cannot create a unix socket node: ${(e as Error).message}`);
  }
}
