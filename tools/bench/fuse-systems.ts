// The file systems the FUSE cases compare, each over its own backing
// directory: the directory itself (native), bindfs (C, libfuse),
// humbridge's mount served from its own process (fuse-server.ts), with or
// without passthrough, and for the metadata case a Node server answering
// from memory (fuse-responder.ts). This process never touches a mount: every load is
// a child started in /.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './child.js';
import { findProgram } from './servers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const FUSE_SYSTEMS = ['native', 'bindfs', 'humbridge', 'humbridge+pt'] as const;
/** fuse-responder.ts: a Node FUSE server answering the metadata cases from memory (the ceiling of the runtime). */
export const FUSE_FLOOR = 'fuse-floor';
export type FuseSystemName = (typeof FUSE_SYSTEMS)[number] | typeof FUSE_FLOOR;

export interface FuseSystem {
  name: FuseSystemName;
  /** Where the load runs: the mountpoint, or the directory itself. */
  root: string;
  /** Why it is not measured, if it is not. */
  missing?: string;
  stop(): Promise<void>;
}

export const isMounted = (mnt: string): boolean => fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);

async function waitFor(what: string, ok: () => boolean, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startBindfs(src: string, mnt: string): Promise<FuseSystem> {
  const bindfs = findProgram('bindfs');
  if (!bindfs) return { name: 'bindfs', root: mnt, missing: 'bindfs not installed', stop: async () => {} };
  // -f: stays in the foreground as our child, so it is ours to stop.
  const child = spawn(bindfs, ['-f', src, mnt], { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`bindfs mount at ${mnt} (${err})`, () => isMounted(mnt) || child.exitCode !== null, 15_000);
  if (!isMounted(mnt)) throw new Error(`bindfs exited before mounting: ${err}`);
  return {
    name: 'bindfs',
    root: mnt,
    async stop() {
      if (isMounted(mnt)) await run('umount', [mnt]);
      if (isMounted(mnt)) await run('umount', ['-l', mnt]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A Node server of ours in its own process (a mount's calls must never come from the process serving it), ready once it prints a line starting "ready". */
async function startChild(name: FuseSystemName, script: string, args: readonly string[], mnt: string): Promise<{ ready: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(here, script), ...args], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 65536) err = err.slice(-32768);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    if (isMounted(mnt)) await run('umount', ['-l', mnt]);
  };
  try {
    await waitFor(`${name} server ready`, () => /^ready/m.test(out) || child.exitCode !== null, 15_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const ready = /^ready.*$/m.exec(out);
  if (!ready) {
    await stop();
    throw new Error(`${name} server exited before it was ready: ${err}`);
  }
  return { ready: ready[0], stop };
}

async function startHumbridge(name: 'humbridge' | 'humbridge+pt', src: string, mnt: string): Promise<FuseSystem> {
  const passthrough = name === 'humbridge+pt';
  const { ready, stop } = await startChild(name, 'fuse-server.js', [src, mnt, ...(passthrough ? ['--passthrough'] : [])], mnt);
  const state = /^ready passthrough=(\S+)/.exec(ready)?.[1];
  if (passthrough && state !== 'on') {
    await stop();
    return { name, root: mnt, missing: state === 'n/a' ? 'this build has no passthrough' : 'the session reports passthrough off', stop: async () => {} };
  }
  return { name, root: mnt, stop };
}

/** Starts `name` over src (filled already), mounted on mnt (an empty directory) where it mounts. */
export function startFuseSystem(name: FuseSystemName, src: string, mnt: string): Promise<FuseSystem> {
  if (name === 'native') return Promise.resolve({ name, root: src, stop: async () => {} });
  if (name === 'bindfs') return startBindfs(src, mnt);
  if (name === FUSE_FLOOR) return startChild(name, 'fuse-responder.js', [src, mnt], mnt).then(({ stop }) => ({ name, root: mnt, stop }));
  return startHumbridge(name, src, mnt);
}
