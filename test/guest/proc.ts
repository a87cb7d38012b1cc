// Child-process plumbing for the guest harness: run a command to completion,
// and start long-lived processes (QEMU, 9P servers) in their own process
// group so that stopping one also stops anything it started.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import os from 'node:os';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs `cmd args` to completion; rejects with its stderr when it fails. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; input?: Buffer; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr: err });
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim()}`));
    });
    // A consumer may stop reading early (xz --single-stream does): EPIPE on
    // our side is then expected, and its exit status tells the outcome.
    child.stdin?.on('error', () => {});
    if (opts.input) child.stdin?.end(opts.input);
  });
}

/** True when `cmd` is found on PATH (checked by spawning `sh -c 'command -v'`). */
export async function onPath(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v "$1" >/dev/null', 'sh', cmd]);
    return true;
  } catch {
    return false;
  }
}

/** A process started in a group of its own (detached), stoppable as a whole. */
export class GroupProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number) once it is gone. */
  readonly exited: Promise<number>;
  private done = false;

  constructor(cmd: string, args: readonly string[], opts: SpawnOptions) {
    this.child = spawn(cmd, args, { ...opts, detached: true });
    // A detached group outlives us unless killed: if this process exits
    // (even through an uncaught exception) while the group runs, kill it.
    const onExit = () => this.signalGroup('SIGKILL');
    process.on('exit', onExit);
    this.exited = new Promise((resolve) => {
      const finish = (code: number) => {
        this.done = true;
        process.off('exit', onExit);
        resolve(code);
      };
      this.child.on('error', () => finish(127));
      this.child.on('exit', (code, signal) => finish(code ?? 128 + signalNumber(signal)));
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Sends SIGTERM to the group, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 2000): Promise<number> {
    if (!this.done) {
      this.signalGroup('SIGTERM');
      const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // The leader is gone; anything it forked into the group goes too.
    this.signalGroup('SIGKILL');
    return this.exited;
  }

  signalGroup(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // ESRCH: the group is already empty.
    }
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : os.constants.signals[signal];
}
