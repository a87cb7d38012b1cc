// A user mount through fusermount3, made by the real mountFuse running as
// nobody (uid 65534) in a child process; other children of that user use
// the mount and take it away with `fusermount3 -u`. Nothing here touches
// the mount from this process.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { gated, firstMissing, needRoot, needFile, needProgram, type Missing } from '../helpers/gate.js';
import { NOBODY, readablePath, spawnNodeAs, type User } from '../helpers/as-user.js';
import { loadNative, loadNativeFrom } from '../../native/index.js';
import { userAllowOther, userMountOptions } from '../../fuse/user-mount.js';

const test = suite('fuse user mount');

function fuseForUsers(): Missing {
  try {
    return (fs.statSync('/dev/fuse').mode & 0o006) === 0o006 ? undefined : '/dev/fuse is not open to users (mode 0666 as the kernel makes it; scripts/setup.sh sets it)';
  } catch {
    return '/dev/fuse is missing (the kernel fuse module)';
  }
}

const missing = firstMissing(
  needRoot('start the mount as another user'),
  needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'),
  needProgram('fusermount3', 'fuse3'),
  loadNative().reason,
  fuseForUsers(),
);

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell script as `user` (root when undefined), starting in / and never blocking this process. */
function shAs(user: User | undefined, script: string, ...args: string[]): Promise<Out> {
  return new Promise((resolve, reject) => {
    const ids = user ? { uid: user.uid, gid: user.gid } : {};
    const child = spawn('sh', ['-c', script, 'sh', ...args], { cwd: '/', timeout: 30_000, killSignal: 'SIGKILL', env: { PATH: `${process.env['PATH'] ?? ''}:/usr/bin:/bin`, LC_ALL: 'C' }, ...ids });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Server {
  child: ChildProcess;
  /** Lines printed so far. */
  lines: string[];
  /** Resolves with the first line starting with one of `words`. */
  line(...words: string[]): Promise<string>;
  exited: Promise<number | null>;
}

function startServer(dir: string, mnt: string, ...extra: string[]): Server {
  const child = spawnNodeAs(NOBODY, 'dist/test/fuse/user-mount-server.js', [dir, mnt, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let waiters: Array<() => void> = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    for (const w of waiters.splice(0)) w();
    waiters = [];
    resolve(code);
  }));
  const line = async (...words: string[]): Promise<string> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = lines.find((l) => words.some((w) => l.startsWith(w)));
      if (found !== undefined) return found;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server said ${JSON.stringify(lines)} ${err}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { child, lines, line, exited };
}

let base: string;
let dir: string;
let mnt: string;
let server: Server | undefined;

test.before.each(() => {
  // The server runs as nobody: the folders it serves and mounts on are reachable by it.
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-user-mount-'));
  fs.chmodSync(base, 0o755);
  dir = path.join(base, 'export');
  mnt = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.mkdirSync(mnt);
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello from the export\n');
  for (const p of [dir, mnt, path.join(dir, 'hello.txt')]) fs.chownSync(p, NOBODY.uid, NOBODY.gid);
  server = undefined;
});
test.after.each(async () => {
  try {
    if (fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `)) await shAs(undefined, 'umount -l "$1"', mnt);
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

gated(test, 'nobody mounts with fusermount3, reads and writes through it, and fusermount3 -u ends the session', missing, async () => {
  server = startServer(dir, mnt);
  assert.is(await server.line('ready', 'failed'), 'ready fusermount3');
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(` ${mnt} `));
  assert.is(mounts.length, 1);
  assert.match(mounts[0] ?? '', /^humbridge \S+ fuse\.humbridge \S*nosuid,nodev\S*user_id=65534,group_id=65534,default_permissions/);

  const use = await shAs(NOBODY, 'cd "$1" && cat hello.txt && printf new > made && mkdir d && stat -c "%u %g %s" made && ls', mnt);
  assert.is(use.code, 0, use.stderr);
  assert.is(use.stdout, 'hello from the export\n65534 65534 3\nd\nhello.txt\nmade\n');
  assert.is(fs.readFileSync(path.join(dir, 'made'), 'utf8'), 'new');
  assert.is(fs.statSync(path.join(dir, 'made')).uid, NOBODY.uid);

  // Without allow_other the mount is its owner's alone: root is kept out too.
  const root = await shAs(undefined, 'ls "$1"', mnt);
  assert.is.not(root.code, 0);
  assert.match(root.stderr, /Permission denied/);

  const off = await shAs(NOBODY, 'fusermount3 -u "$1"', mnt);
  assert.is(off.code, 0, off.stderr);
  assert.is(await server.line('ended', 'failed'), 'ended {"nodes":0,"refs":0,"handles":0}');
  assert.is(await server.exited, 0);
  assert.not.ok(fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `));
});

gated(test, 'allow_other as a user follows user_allow_other in /etc/fuse.conf (refused with its name, or root gets in)', missing, async () => {
  server = startServer(dir, mnt, 'allow-other');
  if (!userAllowOther()) {
    assert.match(await server.line('ready', 'failed'), /^failed allow_other as a user needs a line "user_allow_other" in \/etc\/fuse\.conf$/);
    assert.is(await server.exited, 1);
    assert.not.ok(fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `));
    return;
  }
  assert.is(await server.line('ready', 'failed'), 'ready fusermount3');
  const root = await shAs(undefined, 'cat "$1/hello.txt"', mnt);
  assert.is(root.code, 0, root.stderr);
  assert.is(root.stdout, 'hello from the export\n');
  assert.is((await shAs(NOBODY, 'fusermount3 -u "$1"', mnt)).code, 0);
  assert.is(await server.exited, 0);
});

const noAddonMissing = firstMissing(needRoot('start the mount as another user'), needProgram('fusermount3', 'fuse3'));

gated(test, 'a user mount without the built addon fails, naming the missing addon, and mounts nothing', noAddonMissing, async () => {
  // A readable copy of the checkout's dist without native/build: what a machine without a compiler installs.
  const copy = path.join(base, 'copy');
  for (const rel of ['dist', 'package.json', 'node_modules']) fs.cpSync(readablePath(rel), path.join(copy, rel), { recursive: true });
  const child = spawn(process.execPath, [path.join(copy, 'dist/test/fuse/user-mount-server.js'), dir, mnt], { cwd: '/', uid: NOBODY.uid, gid: NOBODY.gid, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(code, 1);
  assert.match(out, /^failed mounting as a user needs fusermount3 and the native addon, but the native addon is not built \(\S+\/native\/build\/Release\/humbridge_native\.node is missing: run `npm rebuild humbridge`/);
  assert.not.ok(fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `));
});

test('user_allow_other is read from fuse.conf lines; the options fusermount3 gets', () => {
  const conf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-fuse-conf-')), 'fuse.conf');
  try {
    fs.writeFileSync(conf, '# user_allow_other\n#user_allow_other\nmount_max = 10\n');
    assert.is(userAllowOther(conf), false);
    fs.writeFileSync(conf, 'mount_max = 10\n user_allow_other\n');
    assert.is(userAllowOther(conf), true);
    assert.is(userAllowOther(path.join(conf, 'absent')), false);
  } finally {
    fs.rmSync(path.dirname(conf), { recursive: true, force: true });
  }
  assert.is(userMountOptions(false), 'fsname=humbridge,subtype=humbridge,default_permissions,nosuid,nodev');
  assert.is(userMountOptions(true), 'fsname=humbridge,subtype=humbridge,default_permissions,nosuid,nodev,allow_other');
});

test('without the addon, the reason names the missing file and how to build it', () => {
  const r = loadNativeFrom('/nonexistent/humbridge_native.node');
  assert.is(r.native, null);
  assert.match(r.reason ?? '', /native addon is not built \(\/nonexistent\/humbridge_native\.node is missing: run `npm rebuild humbridge`/);
});

gated(test, 'the addon: recvFd never waits, and its errors carry errno code names', loadNative().reason, () => {
  const n = loadNative().native;
  assert.ok(n);
  const [a, b] = n.socketpair();
  try {
    assert.throws(() => n.recvFd(a), (e: NodeJS.ErrnoException) => e.code === 'EAGAIN' && e.syscall === 'recvmsg');
    assert.throws(() => n.backingOpen(b, -1), (e: NodeJS.ErrnoException) => typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code));
  } finally {
    fs.closeSync(a);
    fs.closeSync(b);
  }
});

test.run();
