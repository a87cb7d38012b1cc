// `humbridge mount` and `humbridge umount` as a user runs them: the real CLI
// process makes a real FUSE mount. This process never touches a mount: every
// use of one is a child started in / that changes into it itself.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gated, firstMissing, needRoot, needFile } from '../helpers/gate.js';
import { inotifyWatches } from '../helpers/inotify.js';
import { CHILD_ENV, CLI, collect, hb as runCli, type Out } from '../helpers/child-text.js';
import { NOBODY, spawnNodeAsSync, asUserMissing } from '../helpers/as-user.js';
import { makeLayout, TIB } from '../src/meta/humfs-helpers.js';
import { parseArgs } from '../../tools/cli/args.js';
import { MOUNT_FLAGS, mountSettingsFromArgs } from '../../tools/cli/mount-options.js';
import { validity } from '../../fuse/session.js';

const test = suite('humbridge mount CLI');
const missing = firstMissing(needRoot('mount FUSE'), needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'));
const ENV = CHILD_ENV;



/** A shell script run in `dir` by a child that starts in / (never a call on the mount from here). */
function sh(script: string, dir: string, ...args: string[]): Promise<Out> {
  return collect(spawn('sh', ['-c', `cd "$0" && ${script}`, dir, ...args], { cwd: '/', timeout: 30_000, killSignal: 'SIGKILL', env: ENV }));
}

/** `humbridge ARGS` to its end (a background mount ends once the mount is live). */
const hb = (...args: string[]): Promise<Out> => runCli(30_000, ...args);

interface Foreground {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves on the "mounted" line; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function foreground(...args: string[]): Foreground {
  const child = spawn(process.execPath, [CLI, 'mount', '-f', ...args], { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/^humbridge: mounted /m.test(err)) resolve();
    });
    void exited.then(() => reject(new Error(`exited before the mount was live:\n${err}`)));
  });
  ready.catch(() => undefined);
  return { child, stderr: () => err, ready, exited };
}

function mountLine(mnt: string): string | undefined {
  const escaped = mnt.replace(/ /g, '\\040');
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === escaped);
}

/** Pids of background mount servers for `mnt` (their command line names it and --ready-fd). */
function serverPids(mnt: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv.includes('--ready-fd') && argv.includes(mnt) && argv.some((a) => a.endsWith('humbridge.js'))) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let base = '';
let exp = '';
let mnt = '';
const started: ChildProcess[] = [];

/** Whatever a test left: its mounts detached from a child, its servers killed. */
async function cleanUp(): Promise<void> {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const at = line.split(' ')[1];
    if (at !== undefined && base !== '' && at.replace(/\\040/g, ' ').startsWith(base)) await sh('umount -l "$1"', '/', at.replace(/\\040/g, ' '));
  }
  for (const dir of [mnt, path.join(base, 'other')]) for (const pid of serverPids(dir)) process.kill(pid, 'SIGKILL');
}

test.before.each(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-mount-cli-'));
  exp = path.join(base, 'export');
  mnt = path.join(base, 'mount point');
  fs.mkdirSync(exp);
  fs.mkdirSync(mnt);
  fs.writeFileSync(path.join(exp, 'hello.txt'), 'hello\n');
  fs.chmodSync(path.join(exp, 'hello.txt'), 0o640);
});
test.after.each(async () => {
  try {
    await cleanUp();
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

gated(test, 'background mount (mountpoint with a space) returns once live; humbridge umount ends it and its server', missing, async () => {
  const r = await hb('mount', exp, mnt);
  assert.is(r.code, 0, r.stderr);
  assert.ok(mountLine(mnt), 'mounted when mount returned');
  const pids = serverPids(mnt);
  assert.is(pids.length, 1, 'one background server');
  const use = await sh('cat hello.txt && ls -l hello.txt && printf written > new.txt && cat new.txt', mnt);
  assert.is(use.code, 0, use.stderr);
  assert.match(use.stdout, /^hello\n-rw-r----- 1 root root 6 .* hello\.txt\nwritten$/);
  assert.is(fs.readFileSync(path.join(exp, 'new.txt'), 'utf8'), 'written');
  const u = await hb('umount', mnt);
  assert.is(u.code, 0, u.stderr);
  assert.is(mountLine(mnt), undefined);
  await waitUntil(() => !alive(pids[0] as number), 'the background server to exit');
});

gated(test, 'background mount with --log FILE: the server messages after it is live land in FILE', missing, async () => {
  const log = path.join(base, 'mount.log');
  const r = await hb('mount', exp, mnt, '--log', log);
  assert.is(r.code, 0, r.stderr);
  const pids = serverPids(mnt);
  assert.is(pids.length, 1, 'one background server');
  const u = await sh('umount "$1"', '/', mnt);
  assert.is(u.code, 0, u.stderr);
  await waitUntil(() => !alive(pids[0] as number), 'the background server to exit');
  assert.match(fs.readFileSync(log, 'utf8'), /^\d{4}-\d\d-\d\dT[\d:.]+Z humbridge info: .*mount point: stopping \(unmounted from outside\)$/m);
  assert.is(fs.statSync(log).mode & 0o777, 0o600);
  const bad = await hb('mount', exp, mnt, '--log', path.join(base, 'no such dir', 'x.log'));
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--log .*x\.log: ENOENT/);
  assert.is(mountLine(mnt), undefined, 'nothing mounted when the log cannot be opened');
});

gated(test, 'foreground: SIGTERM unmounts and exits 0; so does an unmount from outside', missing, async () => {
  const f = foreground(exp, mnt);
  started.push(f.child);
  await f.ready;
  assert.ok(mountLine(mnt));
  f.child.kill('SIGTERM');
  assert.is(await f.exited, 0, f.stderr());
  assert.is(mountLine(mnt), undefined);

  const g = foreground(exp, mnt);
  started.push(g.child);
  await g.ready;
  const u = await sh('umount "$1"', '/', mnt);
  assert.is(u.code, 0, u.stderr);
  assert.is(await g.exited, 0, g.stderr());
  assert.match(g.stderr(), /unmounted from outside/);
});

gated(test, 'background server: SIGTERM unmounts and ends it', missing, async () => {
  assert.is((await hb('mount', exp, mnt)).code, 0);
  const pid = serverPids(mnt)[0] as number;
  process.kill(pid, 'SIGTERM');
  await waitUntil(() => !alive(pid), 'the background server to exit');
  assert.is(mountLine(mnt), undefined);
});

gated(test, 'a mount still in use at SIGTERM is detached, then its connection aborted after --lazy-unmount-wait', missing, async () => {
  const f = foreground(exp, mnt, '--lazy-unmount-wait', '0.5');
  started.push(f.child);
  await f.ready;
  // A process whose working directory is on the mount keeps it busy.
  const holder = spawn('sh', ['-c', 'cd "$0" && echo in && exec sleep 60', mnt], { cwd: '/', stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(holder);
  await new Promise((r) => holder.stdout.once('data', r));
  holder.stdout.destroy();
  f.child.kill('SIGTERM');
  assert.is(await f.exited, 0, f.stderr());
  assert.match(f.stderr(), /detaching it lazily/);
  assert.match(f.stderr(), /aborting the FUSE connection/);
  assert.is(mountLine(mnt), undefined);
});

gated(test, '-o ro: writes fail with EROFS', missing, async () => {
  const r = await hb('mount', exp, mnt, '-o', 'ro');
  assert.is(r.code, 0, r.stderr);
  const w = await sh('cat hello.txt; printf x > new.txt', mnt);
  assert.is(w.stdout, 'hello\n');
  assert.match(w.stderr, /Read-only file system/);
  assert.not.ok(fs.existsSync(path.join(exp, 'new.txt')));
  assert.match(mountLine(mnt) ?? '', / ro,/);
});

gated(test, 'nosuid,nodev by default; -o suid,dev drops them; --access user drops default_permissions', missing, async () => {
  assert.is((await hb('mount', exp, mnt)).code, 0);
  const opts = (mountLine(mnt) ?? '').split(' ')[3]?.split(',') ?? [];
  assert.ok(opts.includes('nosuid') && opts.includes('nodev') && opts.includes('default_permissions'), opts.join(','));
  assert.is((await hb('umount', mnt)).code, 0);
  const r = await hb('mount', exp, mnt, '-o', 'suid,dev', '-o', 'fsname=mine', '--access', 'user');
  assert.is(r.code, 0, r.stderr);
  const line = mountLine(mnt) ?? '';
  const opts2 = line.split(' ')[3]?.split(',') ?? [];
  assert.not.ok(opts2.includes('nosuid') || opts2.includes('nodev') || opts2.includes('default_permissions'), opts2.join(','));
  assert.match(line, /^mine /);
});

gated(test, '--humfs: owners and modes come from the metadata, not the host', missing, async () => {
  makeLayout(exp, TIB, { mode: 0o750, uid: 1234, gid: 5678 });
  const r = await hb('mount', '--humfs', exp, mnt);
  assert.is(r.code, 0, r.stderr);
  const s = await sh('stat -c "%u %g %a" . && printf abc > f && chown 4321:8765 f && stat -c "%u %g %s" f', mnt);
  assert.is(s.code, 0, s.stderr);
  assert.is(s.stdout, '1234 5678 750\n4321 8765 3\n');
  assert.is(fs.statSync(path.join(exp, 'data', 'f')).uid, 0);
});

gated(test, 'mountpoint errors: missing, not a directory, not empty (unless -o nonempty), busy', missing, async () => {
  const cases: [string, RegExp][] = [
    [path.join(base, 'absent'), /mountpoint .*absent does not exist/],
    [path.join(exp, 'hello.txt'), /is not a directory/],
    [exp, /is not empty.*-o nonempty/],
  ];
  for (const [where, re] of cases) {
    const r = await hb('mount', exp, where);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  const other = path.join(base, 'other');
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, 'x'), '');
  const ne = await hb('mount', exp, other, '-o', 'nonempty');
  assert.is(ne.code, 0, ne.stderr);
  assert.is((await sh('cat hello.txt', other)).stdout, 'hello\n');
  const busy = await hb('mount', exp, other);
  assert.is(busy.code, 1);
  assert.match(busy.stderr, /is busy: fuse\.humbridge .*mounted there already/);
  assert.is((await hb('umount', other)).code, 0);
});

gated(test, 'a stale mount left by a killed server is detected, detached and mounted over', missing, async () => {
  const f = foreground(exp, mnt);
  started.push(f.child);
  await f.ready;
  f.child.kill('SIGKILL');
  await f.exited;
  const st = await sh('stat "$1"', '/', mnt);
  assert.match(st.stderr, /Transport endpoint is not connected/);
  const r = await hb('mount', exp, mnt);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /held a stale FUSE mount .*detached it with umount -l/);
  assert.is((await sh('cat hello.txt', mnt)).stdout, 'hello\n');
  assert.is(fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(mnt.replace(/ /g, '\\040'))).length, 1);
});

gated(test, 'humbridge umount refuses what is not a humbridge mount; -l detaches a busy one', missing, async () => {
  const none = await hb('umount', mnt);
  assert.is(none.code, 1);
  assert.match(none.stderr, /is not a mountpoint/);
  const proc = await hb('umount', '/proc');
  assert.is(proc.code, 1);
  assert.match(proc.stderr, /is not a humbridge mount \(it is proc/);
  assert.is((await hb('mount', exp, mnt)).code, 0);
  const pid = serverPids(mnt)[0] as number;
  // Held until killed below: a holder that left by itself on a slow machine made the mount not busy.
  const holder = spawn('sh', ['-c', 'cd "$0" && echo in && exec sleep 60', mnt], { cwd: '/', stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(holder);
  await new Promise((r) => holder.stdout.once('data', r));
  holder.stdout.destroy();
  const busy = await hb('umount', mnt);
  assert.is(busy.code, 1);
  assert.match(busy.stderr, /busy.*humbridge umount -l/);
  const lazy = await hb('umount', '-l', mnt);
  assert.is(lazy.code, 0, lazy.stderr);
  assert.is(mountLine(mnt), undefined);
  assert.ok(alive(pid), 'the server serves the detached mount while it is in use');
  // The server ends once the last user (the sleeping shell) has left.
  holder.kill('SIGKILL');
  await waitUntil(() => !alive(pid), 'the background server to exit');
});

gated(test, 'usage errors exit 2: unknown -o option, bad timeouts, flags of another command', missing, async () => {
  const cases: [string[], RegExp][] = [
    [['-o', 'bogus'], /unknown mount option "bogus"/],
    [['-o', 'ro,allow_other,frob=1'], /unknown mount option "frob=1"/],
    [['-o', 'entry_timeout=soon'], /entry_timeout wants seconds/],
    [['-o', 'entry_timeout'], /entry_timeout needs a value/],
    [['-o', 'ro=1'], /ro takes no value/],
    [['--attr-timeout', '-1'], /attr-timeout wants seconds/],
    [['--listen', 'stdio'], /--listen applies to serve only/],
    [['-o', 'default_permissions', '--access', 'user'], /contradicts --access user/],
  ];
  for (const [args, re] of cases) {
    const r = await hb('mount', exp, mnt, ...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.is(mountLine(mnt), undefined);
  }
  const lazyOnServe = await hb('serve', exp, '-l');
  assert.is(lazyOnServe.code, 2);
  assert.match(lazyOnServe.stderr, /--lazy applies to umount only/);
  const ok = await hb('mount', exp, mnt, '-o', 'entry_timeout=0.25,attr_timeout=2', '--allow-other');
  assert.is(ok.code, 0, ok.stderr);
  assert.match(mountLine(mnt) ?? '', /allow_other/);
});

test('-o entry_timeout and attr_timeout become seconds and nanoseconds', () => {
  const s = mountSettingsFromArgs(parseArgs(['-o', 'entry_timeout=0.25,attr_timeout=2', '-o', 'ro', '--entry-timeout', '1.5'], MOUNT_FLAGS));
  assert.is(s.mount.entryTimeout, 1.5);
  assert.is(s.mount.attrTimeout, 2);
  assert.ok(s.readonly);
  assert.equal(validity(0.25), { s: 0n, ns: 250_000_000 });
  assert.equal(validity(2), { s: 2n, ns: 0 });
  assert.equal(validity(0), { s: 0n, ns: 0 });
});

gated(test, 'as a user who is not root: the mount goes through fusermount3, whose refusal is reported', firstMissing(missing, asUserMissing()), () => {
  fs.chmodSync(base, 0o755);
  const r = spawnNodeAsSync(NOBODY, 'dist/tools/humbridge.js', ['mount', '-f', exp, mnt], { timeout: 30_000 });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /fusermount3/);
});

gated(test, 'help lists mount and umount; mount --help lists the -o options', missing, async () => {
  const h = await hb('--help');
  assert.match(h.stdout, /humbridge mount EXPORT MOUNTPOINT/);
  assert.match(h.stdout, /humbridge umount/);
  const m = await hb('mount', '--help');
  assert.is(m.code, 0);
  assert.match(m.stdout, /entry_timeout=S/);
  assert.match(m.stdout, /nosuid \/ suid/);
  assert.match(m.stdout, /--foreground/);
});

gated(test, 'watching by default: a host edit shows through the long default timeouts; --watch=off holds no inotify watch', missing, async () => {
  const f = foreground(exp, mnt);
  started.push(f.child);
  await f.ready;
  assert.ok(inotifyWatches(f.child.pid as number) >= 1, 'the export root is watched');
  assert.is((await sh('cat hello.txt', mnt)).stdout, 'hello\n');
  fs.writeFileSync(path.join(exp, '.hello.tmp'), 'edited\n');
  fs.renameSync(path.join(exp, '.hello.tmp'), path.join(exp, 'hello.txt'));
  const end = Date.now() + 10_000;
  let seen = '';
  while (seen !== 'edited\n' && Date.now() < end) {
    seen = (await sh('cat hello.txt', mnt)).stdout;
    if (seen !== 'edited\n') await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(seen, 'edited\n', 'the renamed-over file shows through the mount');
  f.child.kill('SIGTERM');
  assert.is(await f.exited, 0, f.stderr());

  const g = foreground(exp, mnt, '--watch=off');
  started.push(g.child);
  await g.ready;
  assert.is((await sh('cat hello.txt', mnt)).stdout, 'edited\n');
  assert.is(inotifyWatches(g.child.pid as number), 0);
  g.child.kill('SIGTERM');
  assert.is(await g.exited, 0, g.stderr());
});

test.run();
