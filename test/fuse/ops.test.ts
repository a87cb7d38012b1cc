// FUSE requests beyond the basics, through a real root mount of an export
// that a 9P server serves at the same time (one Vfs, two front ends):
// mknod, fsyncdir, xattrs, fcntl and flock locks against 9P locks,
// READDIRPLUS references, and invalidations for changes made elsewhere.
// Every use of the mount is a CHILD process (see mount.test.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { nullLogger, O_WRONLY, O_RDWR, type Vfs } from '../../src/index.js';
import { mountFuse, type FuseMount } from '../../fuse/mount.js';
import { INIT } from '../../fuse/codec/index.js';
import { P9_DOTL_RDWR, P9_LOCK_BLOCKED, P9_LOCK_SUCCESS, P9_LOCK_TYPE_UNLCK, P9_LOCK_TYPE_WRLCK } from '../../ninep/index.js';
import { walkPath, type Client } from '../../ninep/client/index.js';
import { gated, firstMissing, needProgram } from '../helpers/gate.js';
import { waitFor } from '../helpers/tmp-export.js';
import { serve, type Served } from '../ninep/e2e/harness.js';
import { fuseMissing, unmountAll } from './helpers/mount.js';

const test = suite('fuse ops');
const missing = firstMissing(fuseMissing, needProgram('python3', 'python3'), needProgram('flock', 'util-linux'));
const missingFallocate = missing ?? needProgram('fallocate', 'util-linux');
const ENV = { PATH: `/usr/bin:/bin:/usr/sbin:/sbin:${process.env['PATH'] ?? ''}`, LC_ALL: 'C', TZ: 'UTC' };

interface Out {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  /** Resolves with the first line the child prints. */
  firstLine: Promise<string>;
  done: Promise<Out>;
}

/** Starts `sh -c script` in `dir` (the child changes into it itself: cwd on the mount would wait for this process). */
function start(script: string, dir: string, ...args: string[]): Running {
  const child = spawn('sh', ['-c', `cd "$0" && ${script}`, dir, ...args], { cwd: '/', timeout: 30_000, killSignal: 'SIGKILL', env: ENV });
  let stdout = '';
  let stderr = '';
  let lineSeen: (l: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (lineSeen = resolve));
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('\n')) lineSeen(stdout.slice(0, stdout.indexOf('\n')));
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Out>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      lineSeen(stdout);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, firstLine, done };
}

function sh(script: string, dir: string, ...args: string[]): Promise<Out> {
  const r = start(script, dir, ...args);
  r.child.stdin?.end();
  return r.done;
}

/** A python3 child on the mount holding an fcntl write lock on `file` until its stdin closes. */
const PY_HOLD = `exec python3 -c 'import fcntl,sys; f=open(sys.argv[1],"r+"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); sys.stdin.read()' "$1"`;
/** Tries a non-blocking fcntl write lock: prints "got" or "busy". */
const PY_TRY = `exec python3 -c 'import fcntl,sys; f=open(sys.argv[1],"r+")
try:
  fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print("got")
except OSError: print("busy")' "$1"`;
/** Waits for an fcntl write lock (F_SETLKW): prints "waiting", then "got". */
const PY_WAIT = `exec python3 -c 'import fcntl,sys; f=open(sys.argv[1],"r+"); print("waiting", flush=True); fcntl.lockf(f, fcntl.LOCK_EX); print("got", flush=True)' "$1"`;

let srv: Served;
let mnt: string;
let vfs: Vfs;
let m: FuseMount | undefined;

test.before.each(async () => {
  srv = await serve();
  mnt = path.join(srv.tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  fs.writeFileSync(path.join(srv.dir, 'f'), 'hello');
  vfs = srv.vfs;
  m = undefined;
});
test.after.each(async () => {
  try {
    await unmountAll(m, mnt);
  } finally {
    await srv.stop();
  }
});

async function nineLock(c: Client, root: number, type: number): Promise<{ fid: number; status: number }> {
  const fid = await walkPath(c, root, 'f');
  await c.lopen(fid, P9_DOTL_RDWR);
  return { fid, status: await c.lock(fid, { lock_type: type, start: 0n, length: 0n, proc_id: 7, client_id: 'nine' }) };
}

const LOCK = { start: 0n, length: 0n, proc_id: 7, client_id: 'nine' };

gated(test, 'mknod makes a FIFO; fsync of a directory succeeds', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh(`mkfifo p && python3 -c 'import os; fd=os.open(".", os.O_RDONLY); os.fsync(fd); print("synced")'`, mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'synced\n');
  assert.ok(fs.lstatSync(path.join(srv.dir, 'p')).isFIFO());
  assert.not.ok(m.session.unsupported.has('MKNOD'));
  // What this kernel agreed to by default: locks, readdirplus, no writeback cache.
  for (const f of [INIT.POSIX_LOCKS, INIT.FLOCK_LOCKS, INIT.DO_READDIRPLUS, INIT.MAX_PAGES, INIT.BIG_WRITES]) assert.is(m.session.agreed & f, f);
  assert.is(m.session.agreed & INIT.WRITEBACK_CACHE, 0n);
});

gated(test, 'xattrs: set, get, list and remove through the mount reach the host file', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const set = await sh(`python3 -c 'import os; os.setxattr("f", "user.colour", b"blue"); print(os.getxattr("f", "user.colour").decode(), sorted(os.listxattr("f")))'`, mnt);
  assert.is(set.code, 0, set.stderr);
  assert.is(set.stdout, "blue ['user.colour']\n");
  const host = await sh(`python3 -c 'import os; print(os.getxattr("f", "user.colour").decode())'`, srv.dir);
  assert.is(host.stdout, 'blue\n');
  const rm = await sh(`python3 -c 'import os; os.removexattr("f", "user.colour"); print(os.listxattr("f"))'`, mnt);
  assert.is(rm.stdout, '[]\n', rm.stderr);
});

gated(test, 'an fcntl lock held on the mount blocks a 9P client, and the reverse', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const { c, root } = await srv.attached();
  const holder = start(PY_HOLD, mnt, 'f');
  try {
    assert.is(await holder.firstLine, 'locked');
    const nine = await nineLock(c, root, P9_LOCK_TYPE_WRLCK);
    assert.is(nine.status, P9_LOCK_BLOCKED);
    holder.child.stdin?.end();
    await holder.done;
    // The holder's close (FLUSH with its lock owner) let go of the lock.
    assert.is(await c.lock(nine.fid, { ...LOCK, lock_type: P9_LOCK_TYPE_WRLCK }), P9_LOCK_SUCCESS);
    assert.is((await sh(PY_TRY, mnt, 'f')).stdout, 'busy\n');
    assert.is(await c.lock(nine.fid, { ...LOCK, lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
    assert.is((await sh(PY_TRY, mnt, 'f')).stdout, 'got\n');
  } finally {
    holder.child.kill('SIGKILL');
  }
});

gated(test, 'flock(1) on the mount conflicts with a 9P lock both ways', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const { c, root } = await srv.attached();
  const holder = start('exec flock -x f sh -c "echo locked; cat"', mnt);
  try {
    assert.is(await holder.firstLine, 'locked');
    const nine = await nineLock(c, root, P9_LOCK_TYPE_WRLCK);
    assert.is(nine.status, P9_LOCK_BLOCKED);
    holder.child.stdin?.end();
    await holder.done;
    // A flock goes with the RELEASE of its file, which the kernel sends after close(2) returned.
    const session = m.session;
    await waitFor(() => session.ledger.stats.handles === 0);
    assert.is(await c.lock(nine.fid, { ...LOCK, lock_type: P9_LOCK_TYPE_WRLCK }), P9_LOCK_SUCCESS);
    assert.is((await sh('flock -n -x f true', mnt)).code, 1);
    assert.is(await c.lock(nine.fid, { ...LOCK, lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
    assert.is((await sh('flock -n -x f true', mnt)).code, 0);
    await waitFor(() => session.ledger.stats.handles === 0);
    // flock(2) takes an exclusive lock through a read-only descriptor too (fcntl would not).
    const ro = await sh(`exec python3 -c 'import fcntl; f=open("f","r"); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print("ok")'`, mnt);
    assert.is(ro.stdout, 'ok\n', ro.stderr);
  } finally {
    holder.child.kill('SIGKILL');
  }
});

gated(test, 'a blocked F_SETLKW on the mount wakes when the 9P client unlocks', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const { c, root } = await srv.attached();
  const nine = await nineLock(c, root, P9_LOCK_TYPE_WRLCK);
  assert.is(nine.status, P9_LOCK_SUCCESS);
  const waiter = start(PY_WAIT, mnt, 'f');
  try {
    assert.is(await waiter.firstLine, 'waiting');
    const session = m.session;
    await waitFor(() => session.locks.waiters === 1);
    assert.is(await c.lock(nine.fid, { ...LOCK, lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
    const out = await waiter.done;
    assert.is(out.stdout, 'waiting\ngot\n', out.stderr);
  } finally {
    waiter.child.kill('SIGKILL');
  }
});

gated(test, 'a waiter killed with SIGKILL is interrupted and leaves no lock behind', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const { c, root } = await srv.attached();
  const nine = await nineLock(c, root, P9_LOCK_TYPE_WRLCK);
  const waiter = start(PY_WAIT, mnt, 'f');
  assert.is(await waiter.firstLine, 'waiting');
  const session = m.session;
  await waitFor(() => session.locks.waiters === 1);
  waiter.child.kill('SIGKILL');
  const out = await waiter.done;
  assert.is(out.signal, 'SIGKILL');
  await waitFor(() => session.locks.waiters === 0);
  assert.is(await c.lock(nine.fid, { ...LOCK, lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
  // Nothing of the killed waiter holds the file: a new process gets the lock at once.
  assert.is((await sh(PY_TRY, mnt, 'f')).stdout, 'got\n');
  await waitFor(() => (vfs as unknown as { lockCount: number }).lockCount === 0);
});

gated(test, 'READDIRPLUS: ls -l of 1000 entries, references go back on drop_caches and unmount', missing, async () => {
  fs.mkdirSync(path.join(srv.dir, 'many'));
  for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(srv.dir, 'many', `e${i}`), String(i));
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const ls = await sh('ls -l many | grep -c "^-"', mnt);
  assert.is(ls.stdout, '1000\n', ls.stderr);
  const session = m.session;
  // Each entry READDIRPLUS named is a reference until the kernel forgets it
  // (not asserted: the kernel may reclaim dentries under memory pressure at any time).
  assert.not.ok(session.unsupported.has('READDIRPLUS'));
  fs.writeFileSync('/proc/sys/vm/drop_caches', '2');
  await waitFor(() => session.ledger.stats.refs <= 2);
  const mm = m;
  m = undefined;
  await mm.unmount();
  assert.equal(mm.session.ledger.stats, { nodes: 0, refs: 0, handles: 0 });
});

gated(test, 'a change made through the Vfs (not the mount) is seen on the mount at once', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const before = await sh('cat f; echo; stat -c %s f; ls', mnt);
  assert.is(before.stdout, 'hello\n5\nf\n');
  const cred = { uid: 0, gid: 0 };
  const e = await vfs.lookup(cred, vfs.root, Buffer.from('f'));
  const h = await vfs.open(cred, e.id, O_WRONLY);
  await vfs.write(h, 0n, Buffer.from('hello, much longer now'));
  await vfs.release(h);
  vfs.forget(e.id, 1);
  const after = await sh('cat f; echo; stat -c %s f', mnt);
  assert.is(after.stdout, 'hello, much longer now\n22\n');
  await vfs.unlink(cred, vfs.root, Buffer.from('f'));
  const gone = await sh('cat f', mnt);
  assert.is.not(gone.code, 0);
  const c2 = await vfs.create(cred, vfs.root, Buffer.from('g'), O_RDWR, 0o644);
  await vfs.release(c2.handle);
  vfs.forget(c2.entry.id, 1);
  assert.is((await sh('ls', mnt)).stdout, 'g\n');
  assert.ok(m.session.invalidator.sent > 0);
});

gated(test, 'with the writeback cache on, writes and reads through the mount agree with the host', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger, writeback: true });
  const r = await sh('printf abc > w && printf def >> w && cat w && dd if=/dev/zero of=w bs=1k seek=1 count=1 conv=notrunc 2>/dev/null && stat -c %s w', mnt);
  assert.is(r.stdout, 'abcdef2048\n', r.stderr);
  assert.is(m.session.agreed & INIT.WRITEBACK_CACHE, INIT.WRITEBACK_CACHE);
  assert.is(fs.statSync(path.join(srv.dir, 'w')).size, 2048);
  assert.is(fs.readFileSync(path.join(srv.dir, 'w')).subarray(0, 6).toString(), 'abcdef');
});

gated(test, 'a file made through the mount in a setgid directory takes the directory group', missing, async () => {
  fs.mkdirSync(path.join(srv.dir, 'sg'));
  fs.chownSync(path.join(srv.dir, 'sg'), 0, 4321);
  fs.chmodSync(path.join(srv.dir, 'sg'), 0o2775);
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh('touch sg/x && mkdir sg/d && stat -c "%g %A" sg/x sg/d', mnt);
  assert.is(r.stdout, '4321 -rw-r--r--\n4321 drwxr-sr-x\n', r.stderr);
  assert.is(fs.statSync(path.join(srv.dir, 'sg', 'x')).gid, 4321);
});

gated(test, 'fallocate grows a file and punches a hole through the mount', missingFallocate, async () => {
  fs.writeFileSync(path.join(srv.dir, 'dense'), Buffer.alloc(64 * 1024, 1));
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const grow = await sh('fallocate -l 1M big && stat -c %s big', mnt);
  assert.is(grow.stdout, '1048576\n', grow.stderr);
  assert.is(fs.statSync(path.join(srv.dir, 'big')).size, 1048576);
  assert.ok(fs.statSync(path.join(srv.dir, 'big')).blocks >= 2048, 'allocated on the host');
  const before = fs.statSync(path.join(srv.dir, 'dense')).blocks;
  const punch = await sh('fallocate -p -o 0 -l 32768 dense && stat -c %s dense', mnt);
  assert.is(punch.stdout, '65536\n', punch.stderr);
  const after = fs.statSync(path.join(srv.dir, 'dense')).blocks;
  assert.ok(after < before, `blocks ${before} -> ${after}`);
  assert.equal(fs.readFileSync(path.join(srv.dir, 'dense')).subarray(0, 32768), Buffer.alloc(32768));
  const zero = await sh('fallocate -z -o 40960 -l 4096 dense', mnt);
  assert.is(zero.code, 0, zero.stderr);
  assert.equal(fs.readFileSync(path.join(srv.dir, 'dense')).subarray(40960, 45056), Buffer.alloc(4096));
  assert.is(fs.readFileSync(path.join(srv.dir, 'dense'))[45056], 1);
  assert.not.ok(m.session.unsupported.has('FALLOCATE'));
});

gated(test, 'a read-only export refuses fallocate with EROFS', missingFallocate, async () => {
  await srv.stop();
  srv = await serve({ readonly: true });
  mnt = path.join(srv.tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  fs.writeFileSync(path.join(srv.dir, 'f'), 'hello');
  vfs = srv.vfs;
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh('fallocate -l 1M f', mnt);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /Read-only file system/);
  assert.is(fs.statSync(path.join(srv.dir, 'f')).size, 5);
});

gated(test, 'copy_file_range through the mount copies in the Vfs (python os.copy_file_range and cp)', missing, async () => {
  const src = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < src.length; i++) src[i] = (i * 7) & 0xff;
  fs.writeFileSync(path.join(srv.dir, 'src'), src);
  let copies = 0;
  const copyRange = vfs.copyRange.bind(vfs);
  vfs.copyRange = (...a) => {
    copies++;
    return copyRange(...a);
  };
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const py = await sh(`python3 -c 'import os
i=os.open("src", os.O_RDONLY); o=os.open("dst", os.O_WRONLY|os.O_CREAT, 0o644); n=0
while True:
  k=os.copy_file_range(i, o, 1<<30)
  if k==0: break
  n+=k
print(n)'`, mnt);
  assert.is(py.stdout, `${src.length}\n`, py.stderr);
  assert.ok(copies > 0, 'the copy reached Vfs.copyRange');
  assert.equal(fs.readFileSync(path.join(srv.dir, 'dst')), src);
  const before = copies;
  const cp = await sh('cp --reflink=never src dst2 && cmp src dst2 && echo same', mnt);
  assert.is(cp.stdout, 'same\n', cp.stderr);
  assert.equal(fs.readFileSync(path.join(srv.dir, 'dst2')), src);
  // cp of coreutils 9 tries copy_file_range first; older ones read and write.
  assert.ok(copies >= before);
});

gated(test, 'no humbridge mount is left behind', missing, () => {
  const left = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes('fuse.humbridge') && l.includes('humbridge-e2e-'));
  assert.equal(left, []);
});

test.run();
