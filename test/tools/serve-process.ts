// `humbridge serve` as a real child process for tests: start it, wait for
// its ready line, read what it logged, stop it (SIGTERM) whatever happened.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/humbridge.js');

export interface Running {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  /** Its stderr up to the ready line and the guest mount line; rejects if it exits first. */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

export function startServe(args: readonly string[]): Running {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/^humbridge: ready:/m.test(err) && err.includes('guest mount:')) resolve(err);
    });
    void exited.then(() => reject(new Error(`exited before ready:\n${err}`)));
  });
  ready.catch(() => undefined);
  return { child, stderr: () => err, ready, exited };
}

export async function stopServe(r: Running): Promise<number | null> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  return r.exited;
}

/**
 * Runs `humbridge serve ARGS` expecting it to end by itself; its exit status
 * and stderr. If it becomes ready instead, it is stopped (status 0 then).
 */
export async function serveFails(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const r = startServe(args);
  try {
    await Promise.race([r.exited, r.ready.then(() => stopServe(r), () => undefined)]);
    return { code: await r.exited, stderr: r.stderr() };
  } finally {
    await stopServe(r);
  }
}
