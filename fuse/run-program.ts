// Runs a mount helper (mount, umount, fusermount3) and collects its exit
// code and stderr; extra descriptors become the child's fds 3, 4, ...

import { spawn } from 'node:child_process';

/** Where mount(8) and umount(8) live: some PATHs (a non-login shell, a test runner) lack the sbin folders. */
const PATH = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`;

export interface ProgramResult {
  /** -1 when it could not be started (stderr says why). */
  code: number;
  stderr: string;
}

export function runProgram(cmd: string, args: readonly string[], fds: readonly number[] = [], env: NodeJS.ProcessEnv = {}): Promise<ProgramResult> {
  return new Promise((resolve) => {
    // cwd '/': a helper started in a folder on a mount of this process would wait on it.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe', ...fds], env: { ...process.env, PATH, LC_ALL: 'C', ...env }, cwd: '/' });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    child.on('error', (e) => resolve({ code: -1, stderr: `${cmd}: ${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
