// A child process's exit code and text output, for tests that run the real
// CLI or a shell from / (never on a mount this process serves).

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A PATH with the sbin folders (mount, mknod), C locale, UTC. */
export const CHILD_ENV = { PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`, LC_ALL: 'C', TZ: 'UTC' };

/** dist/tools/humbridge.js. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/humbridge.js');

export function collect(child: ChildProcess): Promise<Out> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `humbridge ARGS` to its end, started in /, killed after `timeoutMs`. */
export function hb(timeoutMs: number, ...args: string[]): Promise<Out> {
  return collect(spawn(process.execPath, [CLI, ...args], { cwd: '/', timeout: timeoutMs, killSignal: 'SIGKILL', env: CHILD_ENV }));
}
