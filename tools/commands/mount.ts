// `humbridge mount EXPORT MOUNTPOINT` and `humbridge umount MOUNTPOINT`.
// mount serves the export through the kernel's FUSE. By default it returns
// once the mount is live, like bindfs and sshfs: it starts itself again
// detached with --foreground and a hidden --ready-fd, passes on what that
// server says until it reports the mount live (exit 0) or exits (its
// status). The server unmounts on SIGINT/SIGTERM/SIGHUP and exits 0, and
// exits 0 as well when the mount is unmounted from outside.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openExport } from '../../src/index.js';
import type { ExportOptions } from '../../src/options.js';
import type { Logger } from '../../src/log.js';
import { mountFuse } from '../../fuse/mount.js';
import { runProgram as run } from '../../fuse/run-program.js';
import { canonicalMountpoint, mountAt, MountError } from '../../fuse/mountpoint.js';
import { UsageError } from '../cli/args.js';
import { READY_MARK, type MountSettings } from '../cli/mount-options.js';

export interface MountCommandOptions {
  export: ExportOptions;
  mountpoint: string;
  settings: MountSettings;
  logger: Logger;
  /** Set in the detached server: where to write READY_MARK. */
  readyFd?: number;
}

/** The kernel's default_permissions follows --access: client → the kernel checks, user → the export checks per caller. */
export function withAccess(s: MountSettings, access: ExportOptions['access']): MountSettings {
  if (s.defaultPermissions && access === 'user') throw new UsageError('-o default_permissions is --access client: it contradicts --access user');
  return { ...s, mount: { ...s.mount, defaultPermissions: access !== 'user' } };
}

/** Serves the mount until it is unmounted; returns the exit status. */
export async function mountForeground(o: MountCommandOptions): Promise<number> {
  // Caught from the start: a signal while mounting is answered once the mount is made, by unmounting it.
  const signalled = new Promise<string>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve(sig));
  });
  const vfs = await openExport(o.export);
  try {
    const m = await mountFuse(vfs, o.mountpoint, { log: o.logger, fsname: o.export.path, ...o.settings.mount });
    const how = `${o.export.mode}, access=${o.export.access}${o.settings.readonly ? ', read-only' : ''}`;
    if (o.readyFd !== undefined) {
      // From here on nobody reads our stderr: a message that cannot be written is dropped, not fatal.
      process.stderr.on('error', () => undefined);
      fs.writeSync(o.readyFd, READY_MARK);
    } else {
      process.stderr.write(`humbridge: mounted ${o.export.path} at ${m.mountpoint} (${how}); stop with Ctrl-C or: humbridge umount ${quote(m.mountpoint)}\n`);
    }
    const why = await Promise.race([signalled, m.ended.then(() => 'unmounted from outside')]);
    o.logger.info(`${m.mountpoint}: stopping (${why})`);
    await m.unmount();
    return 0;
  } finally {
    await vfs.close();
  }
}

/**
 * Starts `humbridge <argv> --foreground --ready-fd 2` detached and relays its
 * stderr until the ready mark (exit 0) or its exit (its status).
 */
export function mountBackground(argv: readonly string[]): Promise<number> {
  const script = process.argv[1] as string;
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv, '--foreground', '--ready-fd', '2'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Interrupted while waiting: the server (in its own session, so the terminal's signal missed it) stops too.
  const stop = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const done = (status: number): number => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    return status;
  };
  return new Promise((resolve) => {
    let pending = '';
    let ready = false;
    child.stderr.on('data', (d: Buffer) => {
      if (ready) return;
      pending += d.toString('latin1');
      const at = pending.indexOf(READY_MARK);
      const text = at < 0 ? pending.slice(0, pending.lastIndexOf('\n') + 1) : pending.slice(0, at);
      process.stderr.write(Buffer.from(text, 'latin1'));
      pending = at < 0 ? pending.slice(text.length) : '';
      if (at >= 0) {
        ready = true;
        child.stderr.destroy();
        child.unref();
        resolve(done(0));
      }
    });
    child.on('error', (e) => {
      process.stderr.write(`humbridge: cannot start the mount server: ${e.message}\n`);
      resolve(done(1));
    });
    child.on('exit', (code, signal) => {
      if (ready) return;
      if (pending !== '') process.stderr.write(Buffer.from(pending, 'latin1'));
      if (signal !== null) process.stderr.write(`humbridge: the mount server was killed by ${signal} before the mount was live\n`);
      else if (code === 0) process.stderr.write('humbridge: stopped before the mount was live\n');
      resolve(done(code === null || code === 0 ? 1 : code));
    });
  });
}

/** `humbridge umount [-l] MOUNTPOINT`: only humbridge's own mounts. */
export async function umountCommand(mountpoint: string, lazy: boolean): Promise<number> {
  const abs = canonicalMountpoint(mountpoint);
  const m = mountAt(abs);
  if (m === undefined) throw new MountError(`${abs} is not a mountpoint`);
  if (m.fstype !== 'fuse.humbridge') throw new MountError(`${abs} is not a humbridge mount (it is ${m.fstype} of ${m.source}); use umount(8) for it`);
  const root = process.getuid?.() === 0;
  const r = root ? await run('umount', [...(lazy ? ['-l'] : []), abs]) : await run('fusermount3', ['-u', ...(lazy ? ['-z'] : []), abs]);
  if (r.code !== 0) {
    const busy = /busy/i.test(r.stderr) && !lazy ? ' (something still uses it: close it, or `humbridge umount -l` detaches it now and ends it when the last user leaves)' : '';
    throw new MountError(`unmounting ${abs} failed: ${r.stderr.trim()}${busy}`);
  }
  return 0;
}

/** Export and mountpoint of `humbridge mount`, absolute (the background server runs in /). */
export function mountPaths(rest: readonly string[]): { exportDir: string; mountpoint: string } {
  const [exportDir, mountpoint, ...extra] = rest;
  if (exportDir === undefined || mountpoint === undefined) throw new UsageError('mount needs an EXPORT directory and a MOUNTPOINT');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return { exportDir: path.resolve(exportDir), mountpoint: path.resolve(mountpoint) };
}

function quote(p: string): string {
  return /^[\w./@+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
