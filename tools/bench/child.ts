// Timed child processes for the benchmark cases: every load is its own
// process started in / (never with its cwd on a mount the bench may serve).

import { spawn } from 'node:child_process';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Keep stdout (default) or drop it (a 1 GiB cat). */
  stdout?: 'keep' | 'drop';
  cwd?: string;
}

/** Runs cmd and times it from spawn to exit. */
export function run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd: o.cwd ?? '/',
      env: o.env ?? process.env,
      stdio: ['ignore', o.stdout === 'drop' ? 'ignore' : 'pipe', 'pipe'],
      timeout: 60 * 60_000,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 65536) stderr = stderr.slice(-32768);
    });
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr, seconds: Number(process.hrtime.bigint() - start) / 1e9 }),
    );
  });
}

/** run(), rejecting unless it exits 0. */
export async function must(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<Ran> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.slice(0, 8).join(' ')}${args.length > 8 ? ' ...' : ''} exited ${r.code}: ${r.stderr.trim().slice(0, 2000)}`);
  return r;
}

/** Runs all at once; seconds from the first start to the last exit. */
export async function together(jobs: readonly (() => Promise<unknown>)[]): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(jobs.map((j) => j()));
  return Number(process.hrtime.bigint() - start) / 1e9;
}
