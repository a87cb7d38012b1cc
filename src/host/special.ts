// Creating special files. Node has no mknod(2) or mkfifo(3), so FIFOs and
// device nodes are made by coreutils' mknod(1) run with the directory's
// descriptor as its fd 3, under a private ASCII name, and then hard-linked to
// the wanted name: link(2) fails with EEXIST instead of replacing, and the
// wanted name may be any bytes (argv cannot carry non-UTF-8 from Node).
// Sockets are made without a child, by binding a unix socket on
// /proc/self/fd/<dirfd>/<temporary name> (anchored at the directory, and
// short enough for sun_path's 108 bytes whatever the export's path). A client
// may see the temporary name for an instant; it starts with ".humbridge-mknod-".
// Children are bounded by the Host's semaphore: many clients asking at once
// queue rather than fork without limit.

import { spawn } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { STRERROR, type ErrnoCode } from '../errno.js';
import { vfsError } from '../errors.js';
import type { Host } from './host.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFSOCK } from '../types.js';

function tempName(): Buffer {
  return Buffer.from(`.humbridge-mknod-${randomBytes(8).toString('hex')}`);
}

/** The errno whose text mknod(1) printed, EIO when none matches. */
export function errnoFromMessage(text: string): ErrnoCode {
  for (const [code, msg] of Object.entries(STRERROR) as [ErrnoCode, string][]) {
    if (text.includes(msg)) return code;
  }
  return 'EIO';
}

function runMknod(dirfd: number, name: string, mode: number, rdevMajor: number, rdevMinor: number): Promise<void> {
  const type = mode & S_IFMT;
  const args = ['-m', (mode & 0o7777).toString(8), `/proc/self/fd/3/${name}`];
  if (type === S_IFIFO) args.push('p');
  else args.push(type === S_IFCHR ? 'c' : 'b', String(rdevMajor), String(rdevMinor));
  return new Promise((resolve, reject) => {
    const child = spawn('mknod', args, { stdio: ['ignore', 'ignore', 'pipe', dirfd] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', () => reject(vfsError('ENOSYS', 'mknod')));
    child.on('close', (code) => (code === 0 ? resolve() : reject(vfsError(errnoFromMessage(err), 'mknod'))));
  });
}

function bindSocket(dirfd: number, name: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => reject(vfsError(e.code === 'EADDRINUSE' ? 'EEXIST' : 'EIO', 'mknod')));
    server.listen(`/proc/self/fd/${dirfd}/${name}`, () => resolve(server));
  });
}

/**
 * mknod `name` in directory `dirfd`: FIFO, character or block device, or
 * socket, with permission bits `mode & 07777`. EEXIST when `name` exists.
 */
export async function mknodAt(host: Host, dirfd: number, name: Buffer, mode: number, major: number, minor: number): Promise<void> {
  const type = mode & S_IFMT;
  if (type !== S_IFIFO && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFSOCK) throw vfsError('EINVAL', 'mknod');
  const tmp = tempName();
  let server: net.Server | null = null;
  if (type === S_IFSOCK) {
    server = await bindSocket(dirfd, tmp.toString('latin1'));
  } else {
    await host.mknodSlots.run(() => runMknod(dirfd, tmp.toString('latin1'), mode, major, minor));
  }
  try {
    await host.linkAt(dirfd, tmp, dirfd, name);
  } finally {
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    await host.unlinkAt(dirfd, tmp).catch(() => undefined);
  }
}
