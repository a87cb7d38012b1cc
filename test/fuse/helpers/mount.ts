// Shared by the FUSE mount tests: mount a temp export (hostfs or humfs),
// run children on it, and unmount whatever happened. The test process never
// touches its own mount: every use of it is a CHILD process, started in /
// (a cwd on the mount would make spawn() wait here for a chdir only this
// process can answer) that changes into the mount itself.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { openExport, nullLogger, type ExportOptions, type Vfs } from '../../../src/index.js';
import { mountFuse, type FuseMount, type MountOptions } from '../../../fuse/mount.js';
import { firstMissing, needFile, needRoot, type Missing } from '../../helpers/gate.js';
import { tmpExport, type TmpExport } from '../../helpers/tmp-export.js';
import { spawnNodeAs, type User } from '../../helpers/as-user.js';
import { makeLayout } from '../../src/meta/humfs-helpers.js';

export type Mode = 'hostfs' | 'humfs';

/** Why this machine cannot make a FUSE mount, or undefined. */
export const fuseMissing: Missing = firstMissing(needRoot('mount FUSE'), needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'));

export interface Out {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

const CHILD_ENV = { PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`, LC_ALL: 'C', TZ: 'UTC', HOME: '/root' };

function collect(child: ChildProcess): Promise<Out> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** Runs a shell script in `dir` (it cd's there itself) with a timeout; never blocks this process. */
export function sh(script: string, dir: string, ...args: string[]): Promise<Out> {
  return shEnv({}, script, dir, ...args);
}

/** sh() with extra environment variables. */
export function shEnv(env: Record<string, string>, script: string, dir: string, ...args: string[]): Promise<Out> {
  const child = spawn('sh', ['-c', `cd "$0" && ${script}`, dir, ...args], {
    cwd: '/',
    timeout: 60_000,
    killSignal: 'SIGKILL',
    env: { ...CHILD_ENV, ...env },
  });
  return collect(child);
}

/** `cmd args` run in `dir`. */
export function run(cmd: string, args: string[], dir: string): Promise<Out> {
  return sh('exec "$@"', dir, cmd, ...args);
}

/** Detaches a mount a failed test may have left, from a child. */
export async function noMountAt(dir: string): Promise<void> {
  if (fs.readFileSync('/proc/mounts', 'utf8').includes(` ${dir} `)) await run('umount', ['-l', dir], '/');
}

/** A test's after hook: unmounts `m` when it was made, and detaches whatever is still at `mnt` even when that fails. */
export async function unmountAll(m: FuseMount | undefined, mnt: string): Promise<void> {
  try {
    if (m) await m.unmount();
  } finally {
    await noMountAt(mnt);
  }
}

/** One operation of the driver (see driver.ts). Paths and data are latin-1 strings (one char per byte). */
export type Op = Record<string, string | number | boolean | undefined> & { op: string };

/** What the driver answers per operation: a value or an error code. */
export interface OpResult {
  ok?: unknown;
  err?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/test/fuse/helpers/driver.js, as a path relative to the checkout (for spawnNodeAs). */
export const DRIVER_REL = 'dist/test/fuse/helpers/driver.js';

function parseResults(o: Out): OpResult[] {
  if (o.code !== 0) throw new Error(`driver failed (exit ${o.code}): ${o.stderr}`);
  return JSON.parse(o.stdout.toString('utf8')) as OpResult[];
}

/** Runs `ops` in `dir` in a node child (as `as` when given), one result per op. */
export async function drive(dir: string, ops: readonly Op[], as?: User): Promise<OpResult[]> {
  const script = JSON.stringify({ dir, ops });
  const opts = { env: CHILD_ENV, stdio: 'pipe' as const, timeout: 60_000, killSignal: 'SIGKILL' as const };
  const child = as ? spawnNodeAs(as, DRIVER_REL, ['-'], opts) : spawn(process.execPath, [path.join(here, 'driver.js'), '-'], { cwd: '/', ...opts });
  child.stdin?.end(script);
  return parseResults(await collect(child));
}

export interface Mounted {
  mode: Mode;
  tmp: TmpExport;
  /** The served directory: data/ of a humfs export, the export itself for hostfs. */
  data: string;
  /** The mountpoint. */
  mnt: string;
  vfs: Vfs;
  mount: FuseMount;
  /** Unmounts and closes the Vfs now (idempotent; the export is still there to inspect). */
  close(): Promise<void>;
}

export interface WithMountOptions {
  /** Start of the temp folder's name. */
  prefix?: string;
  /** Makes the export from the filled data folder (e.g. the Perl humfsify) instead of an empty humfs layout. */
  convert?: (exportDir: string) => void;
  /** Mount options besides the log and allowOther (e.g. `passthrough: false`). */
  mount?: Omit<MountOptions, 'log'>;
  /** Export options besides the path and mode (e.g. `allowSetuid`). */
  export?: Partial<ExportOptions>;
}

/**
 * Makes a temp export in `mode`, lets `fill` put files in its data folder
 * (as plain host files: for humfs they get records when first served),
 * mounts it, runs `fn` and always unmounts and removes everything.
 */
export async function withMount(mode: Mode, fill: (data: string) => void, fn: (m: Mounted) => Promise<void>, opts: WithMountOptions = {}): Promise<void> {
  const tmp = tmpExport(opts.prefix ?? 'humbridge-fuse-');
  const mnt = path.join(tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  const data = mode === 'humfs' ? path.join(tmp.dir, 'data') : tmp.dir;
  let vfs: Vfs | undefined;
  let mount: FuseMount | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await unmountAll(mount, mnt);
      } finally {
        await vfs?.close();
      }
    })());
  try {
    // Other users (spawnNodeAs) must reach the mountpoint: mkdtemp made its parents 0700.
    fs.chmodSync(path.dirname(tmp.outside), 0o755);
    fs.chmodSync(tmp.outside, 0o755);
    if (opts.convert) {
      fill(data);
      opts.convert(tmp.dir);
    } else {
      if (mode === 'humfs') makeLayout(tmp.dir);
      fill(data);
    }
    vfs = await openExport({ ...opts.export, path: tmp.dir, mode });
    // allow_other: other uids (65534 in the scenarios) may enter; default_permissions checks them.
    mount = await mountFuse(vfs, mnt, { log: nullLogger, allowOther: true, ...opts.mount });
    await fn({ mode, tmp, data, mnt, vfs, mount, close });
  } finally {
    try {
      await close();
    } finally {
      tmp.cleanup();
    }
  }
}

/** Registers `name` once per mode. */
export const MODES: readonly Mode[] = ['hostfs', 'humfs'];

/** Runs `script` (sh, cwd a fresh 0755 temp folder that `fill` prepared) on the native file system: what a mount should answer; its stdout. */
export async function onNative(script: string, fill: (dir: string) => void): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-native-'));
  try {
    fs.chmodSync(dir, 0o755);
    fill(dir);
    const r = await sh(script, dir);
    if (r.code !== 0) throw new Error(`native run of ${script} exited ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
