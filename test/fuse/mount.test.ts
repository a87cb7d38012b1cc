// A real FUSE mount of a temp export, served from this process. Every use
// of the mount is a CHILD process run asynchronously: a blocking call on
// the mount from here would wait for the server that runs here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { openExport, nullLogger, type Vfs } from '../../src/index.js';
import { mountFuse, MountError, type FuseMount } from '../../fuse/mount.js';
import { gated } from '../helpers/gate.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { fuseMissing as missing, run, sh, unmountAll, withMount } from './helpers/mount.js';

const test = suite('fuse mount');

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, MountError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable('expected a MountError');
}

const BIG = crypto.randomBytes(3 * 1024 * 1024 + 123);

function fillTree(dir: string): void {
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello world\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'inner'), 'inner\n');
  fs.symlinkSync('hello.txt', path.join(dir, 'link'));
  fs.writeFileSync(path.join(dir, 'big.bin'), BIG);
  fs.writeFileSync(path.join(dir, 'new\nline'), 'nl');
  fs.writeFileSync(Buffer.concat([Buffer.from(dir + '/latin-'), Buffer.from([0xe9])]), 'latin1');
  fs.linkSync(path.join(dir, 'hello.txt'), path.join(dir, 'hard'));
  fs.chmodSync(path.join(dir, 'sub', 'inner'), 0o640);
}

let tmp: TmpExport;
let mnt: string;
let vfs: Vfs;
let m: FuseMount | undefined;

test.before.each(async () => {
  tmp = tmpExport('humbridge-fuse-mount-');
  mnt = path.join(tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  fillTree(tmp.dir);
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  m = undefined;
});
test.after.each(async () => {
  try {
    await unmountAll(m, mnt);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

gated(test, 'refuses a missing or non-empty mountpoint with a clear error', missing, async () => {
  await rejects(mountFuse(vfs, path.join(tmp.outside, 'absent'), { log: nullLogger }), /does not exist/);
  await rejects(mountFuse(vfs, tmp.dir, { log: nullLogger }), /not empty/);
});

gated(test, 'ls, stat, cat, readlink and find agree with the source tree', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const scripts = [
    'ls -la --time-style=+%s | grep -v "^total" | grep -v " \\.\\.$"',
    "stat -c '%n %s %F %a %h %u %g %Y' hello.txt sub sub/inner link big.bin hard",
    'cat hello.txt sub/inner',
    'readlink link',
    'find . -print0 | sort -z',
    "find . -type f -print0 | sort -z | xargs -0 cat | sha256sum",
  ];
  for (const s of scripts) {
    const a = await sh(s, mnt);
    const b = await sh(s, tmp.dir);
    assert.is(a.code, 0, `${s} on the mount: ${a.stderr}`);
    assert.is(a.stdout.toString('latin1'), b.stdout.toString('latin1'), s);
    assert.ok(a.stdout.length > 0, s);
  }
});

gated(test, 'a file over 1 MiB reads byte-exact; odd names; ENOENT; hard links share an inode', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const big = await run('sha256sum', ['big.bin'], mnt);
  assert.is(big.stdout.toString().split(' ')[0], crypto.createHash('sha256').update(BIG).digest('hex'));
  assert.is((await run('cat', ['new\nline'], mnt)).stdout.toString(), 'nl');
  assert.is((await sh("cat latin-$(printf '\\351')", mnt)).stdout.toString(), 'latin1');
  const none = await run('cat', ['nope'], mnt);
  assert.is(none.code, 1);
  assert.match(none.stderr, /No such file or directory/);
  const ino = (await run('stat', ['-c', '%i %h', 'hello.txt', 'hard'], mnt)).stdout.toString().trim().split('\n');
  assert.is(ino.length, 2);
  assert.is(ino[0], ino[1]);
  assert.match(ino[0] ?? '', / 2$/);
});

gated(test, 'create, write (over 1 MiB), mkdir, rename, unlink and rmdir reach the source tree', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh('printf data > new && mkdir d && mv new d/moved && cat big.bin > d/copy && cat d/moved', mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.toString(), 'data');
  assert.is(fs.readFileSync(path.join(tmp.dir, 'd', 'moved'), 'utf8'), 'data');
  assert.ok(fs.readFileSync(path.join(tmp.dir, 'd', 'copy')).equals(BIG));
  assert.not.ok(fs.existsSync(path.join(tmp.dir, 'new')));
  const rm = await sh('rm d/moved d/copy && rmdir d && test ! -e d', mnt);
  assert.is(rm.code, 0, rm.stderr);
  assert.not.ok(fs.existsSync(path.join(tmp.dir, 'd')));
  assert.match((await sh('rmdir sub', mnt)).stderr, /not empty/);
});

gated(test, 'SETATTR: chmod, truncate and touch -d reach the source tree', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh('chmod 600 hello.txt && truncate -s 3 sub/inner && touch -d @1000000000 hello.txt && stat -c "%a %Y" hello.txt', mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.toString(), '600 1000000000\n');
  const st = fs.statSync(path.join(tmp.dir, 'hello.txt'));
  assert.is(st.mode & 0o7777, 0o600);
  assert.is(st.mtimeMs, 1e12);
  assert.is(fs.readFileSync(path.join(tmp.dir, 'sub', 'inner'), 'utf8'), 'inn');
});

gated(test, 'a humfs export: files made through the mount keep their virtual owners', missing, async () => {
  await withMount('humfs', () => undefined, async (h) => {
    const r = await sh('printf abc > f && mkdir d && chown 1234:5678 f && stat -c "%n %u %g %s %F %a" f d && cat f', h.mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), 'f 1234 5678 3 regular file 644\nd 0 0 4096 directory 755\nabc');
    // On the host the file belongs to the server's user: the owner lives in humfs metadata.
    assert.is(fs.statSync(path.join(h.data, 'f')).uid, 0);
  }, { prefix: 'humbridge-fuse-mount-' });
});

gated(test, 'symlink, link and fsync through the mount', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh('ln -s sub/inner sl && ln sub/inner hl && dd if=hello.txt of=synced conv=fsync 2>/dev/null && readlink sl && stat -c %h hl', mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.toString(), 'sub/inner\n2\n');
  assert.is(fs.readlinkSync(path.join(tmp.dir, 'sl')), 'sub/inner');
  assert.is(fs.statSync(path.join(tmp.dir, 'hl')).ino, fs.statSync(path.join(tmp.dir, 'sub', 'inner')).ino);
  assert.is(fs.readFileSync(path.join(tmp.dir, 'synced'), 'utf8'), 'hello world\n');
});

gated(test, 'unmount ends the session and gives back every reference', missing, async () => {
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  assert.is((await sh('ls -R >/dev/null && cat sub/inner', mnt)).code, 0);
  const mm = m;
  m = undefined;
  await mm.unmount();
  assert.equal(mm.session.ledger.stats, { nodes: 0, refs: 0, handles: 0 });
  assert.not.ok(fs.readFileSync('/proc/mounts', 'utf8').includes(mnt));
});

gated(test, 'no humbridge mount is left behind', missing, () => {
  const left = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes('fuse.humbridge') && l.includes('humbridge-fuse-mount-'));
  assert.equal(left, []);
});

test.run();
