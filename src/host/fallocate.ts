// fallocate(2) for Node, which has none: util-linux fallocate(1) run on the
// open descriptor (passed as the child's fd 3, named /proc/self/fd/3), one
// of the Host's bounded child processes (the mknod semaphore).

import { spawn } from 'node:child_process';
import { vfsError } from '../errors.js';
import type { Host } from './host.js';
import { errnoFromMessage } from './special.js';

/** FALLOC_FL_* bits fallocate(1) can ask for, with its option for each. */
const OPTIONS: ReadonlyArray<readonly [number, string]> = [
  [0x01, '-n'], // KEEP_SIZE (fallocate(1)'s --keep-size)
  [0x02, '-p'], // PUNCH_HOLE
  [0x08, '-c'], // COLLAPSE_RANGE
  [0x10, '-z'], // ZERO_RANGE
  [0x20, '-i'], // INSERT_RANGE
];
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_INSERT_RANGE = 0x20;
const KNOWN = OPTIONS.reduce((a, [bit]) => a | bit, 0);

/** fallocate(1) options for `mode`; EOPNOTSUPP for bits it cannot ask for. */
export function fallocateArgs(mode: number, offset: bigint, length: bigint): string[] {
  if ((mode & ~KNOWN) !== 0) throw vfsError('ENOTSUP', 'fallocate');
  const args = OPTIONS.filter(([bit]) => (mode & bit) !== 0).map(([, opt]) => opt);
  return [...args, '-o', String(offset), '-l', String(length), '/proc/self/fd/3'];
}

export function fallocateFd(host: Host, fd: number, mode: number, offset: bigint, length: bigint): Promise<void> {
  const args = fallocateArgs(mode, offset, length);
  return host.mknodSlots.run(
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn('fallocate', args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
        let err = '';
        child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
        child.on('error', () => reject(vfsError('ENOTSUP', 'fallocate', 'fallocate(1) is not installed')));
        child.on('close', (code) => (code === 0 ? resolve() : reject(vfsError(errnoFromMessage(err), 'fallocate', err.trim()))));
      }),
  );
}
