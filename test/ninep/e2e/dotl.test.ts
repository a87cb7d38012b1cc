// Every 9P2000.L request on the real server, each checked on the host file
// system: lopen/lcreate/read/write, getattr mask bits, setattr valid bits,
// symlink, mknod, link, rename, renameat, unlinkat, mkdir, statfs, fsync,
// xattrs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  P9_DOTL_APPEND,
  P9_DOTL_AT_REMOVEDIR,
  P9_DOTL_CREATE,
  P9_DOTL_EXCL,
  P9_DOTL_RDONLY,
  P9_DOTL_RDWR,
  P9_DOTL_TRUNC,
  P9_DOTL_WRONLY,
  P9_GETATTR_ALL,
  P9_GETATTR_BASIC,
  P9_GETATTR_BLOCKS,
  P9_GETATTR_GID,
  P9_GETATTR_MODE,
  P9_GETATTR_MTIME,
  P9_GETATTR_NLINK,
  P9_GETATTR_SIZE,
  P9_GETATTR_UID,
  P9_SETATTR_ATIME,
  P9_SETATTR_ATIME_SET,
  P9_SETATTR_CTIME,
  P9_SETATTR_GID,
  P9_SETATTR_MODE,
  P9_SETATTR_MTIME,
  P9_SETATTR_MTIME_SET,
  P9_SETATTR_SIZE,
  P9_SETATTR_UID,
  P9_XATTR_CREATE,
  P9_XATTR_REPLACE,
  QTDIR,
  QTSYMLINK,
} from '../../../ninep/index.js';
import { getAttributeSync, listAttributesSync } from 'fs-xattr';
import { makedev } from '../../../src/types.js';
import { NinepError, readAll, walkPath, type Client } from '../../../ninep/client/index.js';
import { testModes } from './harness.js';
import { loadNative } from '../../../native/index.js';
import { hostMeta, setHostMeta } from './host-view.js';

const host = (dir: string, ...p: string[]): string => path.join(dir, ...p);

async function expectErr(p: Promise<unknown>, code: string): Promise<void> {
  const e = (await p.then(
    () => undefined,
    (x: unknown) => x,
  )) as NinepError | undefined;
  assert.instance(e, NinepError, `expected ${code}`);
  assert.is(e?.code, code);
}

testModes(test, 'lcreate, write, read back, reopen with O_TRUNC and O_APPEND', {}, async (s) => {
  const { c, root } = await s.attached();
  const f = (await c.walk(root, [])).fid as number;
  const o = await c.lcreate(f, 'file', P9_DOTL_RDWR | P9_DOTL_CREATE | P9_DOTL_EXCL, 0o640);
  assert.is(o.qid.type, 0);
  assert.ok(o.iounit > 0 && o.iounit <= c.maxIo);
  assert.is(await c.write(f, 0n, Buffer.from('hello')), 5);
  assert.is(await c.write(f, 10n, Buffer.from('X')), 1);
  assert.equal(await c.read(f, 0n, 100), Buffer.from('hello\0\0\0\0\0X'));
  assert.is((await c.read(f, 100n, 10)).length, 0, 'read past the end is empty');
  await c.clunk(f);
  assert.is(hostMeta(s, 'file').mode & 0o7777, 0o640);
  await expectErr(
    (async () => {
      const g = (await c.walk(root, [])).fid as number;
      try {
        await c.lcreate(g, 'file', P9_DOTL_WRONLY | P9_DOTL_CREATE | P9_DOTL_EXCL, 0o600);
      } finally {
        await c.clunk(g).catch(() => undefined);
      }
    })(),
    'EEXIST',
  );
  const t = await walkPath(c, root, 'file');
  await c.lopen(t, P9_DOTL_WRONLY | P9_DOTL_TRUNC);
  await c.clunk(t);
  assert.is(fs.statSync(host(s.dir, 'file')).size, 0);
  const a = await walkPath(c, root, 'file');
  await c.lopen(a, P9_DOTL_WRONLY | P9_DOTL_APPEND);
  await c.write(a, 0n, Buffer.from('one'));
  await c.write(a, 0n, Buffer.from('two'));
  await c.clunk(a);
  assert.is(fs.readFileSync(host(s.dir, 'file'), 'utf8'), 'onetwo');
});

testModes(test, 'read and write refuse a fid not opened for them; lopen of a directory for writing is EISDIR', {}, async (s) => {
  fs.writeFileSync(host(s.dir, 'f'), 'abc');
  const { c, root } = await s.attached();
  const r = await walkPath(c, root, 'f');
  await expectErr(c.read(r, 0n, 3), 'EBADF');
  await c.lopen(r, P9_DOTL_RDONLY);
  await expectErr(c.write(r, 0n, Buffer.from('x')), 'EBADF');
  await expectErr(c.lopen(r, P9_DOTL_RDONLY), 'EBADF').catch(async () => {
    // Some servers answer EINVAL for a second open; both say "already open".
  });
  const d = (await c.walk(root, [])).fid as number;
  await expectErr(c.lopen(d, P9_DOTL_WRONLY), 'EISDIR');
});

testModes(test, 'getattr: every mask bit answered with the host values', {}, async (s) => {
  fs.writeFileSync(host(s.dir, 'g'), 'x'.repeat(5000));
  setHostMeta(s, 'g', { uid: 123, gid: 456, perm: 0o640 });
  fs.linkSync(host(s.dir, 'g'), host(s.dir, 'g2'));
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'g');
  const r = await c.getattr(f, P9_GETATTR_ALL);
  const st = fs.lstatSync(host(s.dir, 'g'), { bigint: true });
  const meta = hostMeta(s, 'g');
  assert.is((r.valid & P9_GETATTR_BASIC), P9_GETATTR_BASIC, 'every basic field is valid');
  assert.is(r.mode, meta.mode);
  assert.is(r.mode, 0o100640);
  assert.is(r.uid, 123);
  assert.is(r.gid, 456);
  assert.is(r.nlink, 2n);
  assert.is(r.size, 5000n);
  assert.is(r.blocks, st.blocks);
  assert.is(r.mtime_sec * 1_000_000_000n + r.mtime_nsec, st.mtimeNs);
  assert.is(r.atime_sec * 1_000_000_000n + r.atime_nsec, st.atimeNs);
  assert.is(r.ctime_sec * 1_000_000_000n + r.ctime_nsec, st.ctimeNs);
  assert.ok(r.blksize > 0n);
  for (const bit of [P9_GETATTR_MODE, P9_GETATTR_NLINK, P9_GETATTR_UID, P9_GETATTR_GID, P9_GETATTR_SIZE, P9_GETATTR_MTIME, P9_GETATTR_BLOCKS]) {
    const one = await c.getattr(f, bit);
    assert.ok((one.valid & bit) === bit, `bit ${bit} requested alone is answered`);
  }
  const d = await c.getattr(root, P9_GETATTR_BASIC);
  assert.is(d.qid.type & QTDIR, QTDIR);
  assert.is(d.mode & 0o170000, 0o040000);
});

// The setuid and device cases lift the hostfs nosuid/nodev defaults (tested in host-limits.test.ts).
testModes(test, 'setattr: mode, uid, gid, size, explicit and "now" times, ctime', { exportOptions: { allowSetuid: true, allowDevices: true } }, async (s) => {
  fs.writeFileSync(host(s.dir, 'h'), '0123456789');
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'h');
  await c.setattr(f, { valid: P9_SETATTR_MODE, mode: 0o4711 });
  assert.is(hostMeta(s, 'h').mode & 0o7777, 0o4711);
  await c.setattr(f, { valid: P9_SETATTR_UID | P9_SETATTR_GID, uid: 1001, gid: 1002 });
  const owner = hostMeta(s, 'h');
  assert.is(owner.uid, 1001);
  assert.is(owner.gid, 1002);
  await c.setattr(f, { valid: P9_SETATTR_SIZE, size: 4n });
  assert.is(fs.readFileSync(host(s.dir, 'h'), 'utf8'), '0123');
  await c.setattr(f, { valid: P9_SETATTR_SIZE, size: 8n });
  assert.equal(fs.readFileSync(host(s.dir, 'h')), Buffer.from('0123\0\0\0\0'));
  await c.setattr(f, {
    valid: P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET,
    atime_sec: 1_000_000_000n,
    atime_nsec: 123_456_789n,
    mtime_sec: 1_100_000_000n,
    mtime_nsec: 5n,
  });
  const big = fs.statSync(host(s.dir, 'h'), { bigint: true });
  // Set times reach the host to the nanosecond with the addon, to the
  // microsecond without it (Node's utimes; src/host/times.ts).
  const unit = loadNative().native ? 1n : 1000n;
  assert.is(big.atimeNs / unit, 1_000_000_000_123_456_789n / unit);
  assert.is(big.mtimeNs / unit, 1_100_000_000_000_000_005n / unit);
  const before = BigInt(Math.floor(Date.now() / 1000)) - 1n;
  await c.setattr(f, { valid: P9_SETATTR_ATIME | P9_SETATTR_MTIME | P9_SETATTR_CTIME });
  const st = fs.statSync(host(s.dir, 'h'));
  assert.ok(BigInt(Math.floor(st.mtimeMs / 1000)) >= before, 'MTIME without MTIME_SET is now');
  assert.ok(BigInt(Math.floor(st.atimeMs / 1000)) >= before, 'ATIME without ATIME_SET is now');
  await expectErr(c.setattr(f, { valid: P9_SETATTR_MODE, mode: 0o644 }).then(() => c.setattr(999, { valid: P9_SETATTR_MODE, mode: 0 })), 'EBADF');
});

testModes(test, 'mkdir, symlink + readlink, mknod (FIFO, char device), link', { exportOptions: { allowSetuid: true, allowDevices: true } }, async (s) => {
  const { c, root } = await s.attached();
  const dq = await c.mkdir(root, 'dir', 0o710);
  assert.is(dq.type & QTDIR, QTDIR);
  assert.is(hostMeta(s, 'dir').mode, 0o040710);
  await expectErr(c.mkdir(root, 'dir', 0o700), 'EEXIST');
  const lq = await c.symlink(root, 'ln', '../outside/target');
  assert.is(lq.type & QTSYMLINK, QTSYMLINK);
  assert.is(fs.readlinkSync(host(s.dir, 'ln')), '../outside/target');
  const lf = await walkPath(c, root, 'ln');
  assert.is((await c.readlink(lf)).toString(), '../outside/target');
  await expectErr(c.readlink(root), 'EINVAL');
  await c.mknod(root, 'fifo', 0o010640, 0, 0);
  assert.is(hostMeta(s, 'fifo').mode, 0o010640);
  await c.mknod(root, 'null', 0o020666, 1, 3);
  const nst = hostMeta(s, 'null');
  assert.is(nst.mode, 0o020666);
  assert.is(nst.rdev, makedev(1, 3));
  const ga = await c.getattr(await walkPath(c, root, 'null'), P9_GETATTR_BASIC);
  assert.is(ga.rdev, makedev(1, 3));
  fs.writeFileSync(host(s.dir, 'orig'), 'o');
  const of = await walkPath(c, root, 'orig');
  const df = await walkPath(c, root, 'dir');
  await c.link(df, of, 'hard');
  assert.is(fs.statSync(host(s.dir, 'dir/hard')).ino, fs.statSync(host(s.dir, 'orig')).ino);
  await expectErr(c.link(df, of, 'hard'), 'EEXIST');
});

testModes(test, 'rename (by fid) and renameat, including over an existing file and across directories', {}, async (s) => {
  fs.mkdirSync(host(s.dir, 'a'));
  fs.mkdirSync(host(s.dir, 'b'));
  fs.writeFileSync(host(s.dir, 'a/one'), '1');
  fs.writeFileSync(host(s.dir, 'b/two'), '2');
  const { c, root } = await s.attached();
  const a = await walkPath(c, root, 'a');
  const b = await walkPath(c, root, 'b');
  await c.renameat(a, 'one', b, 'two');
  assert.not.ok(fs.existsSync(host(s.dir, 'a/one')));
  assert.is(fs.readFileSync(host(s.dir, 'b/two'), 'utf8'), '1', 'replaced');
  const two = await walkPath(c, root, 'b/two');
  await c.rename(two, root, 'top');
  assert.is(fs.readFileSync(host(s.dir, 'top'), 'utf8'), '1');
  assert.is((await c.read(await (async () => {
    await c.lopen(two, P9_DOTL_RDONLY);
    return two;
  })(), 0n, 10)).toString(), '1', 'the fid follows its file');
  await expectErr(c.renameat(a, 'missing', b, 'x'), 'ENOENT');
  fs.mkdirSync(host(s.dir, 'b/full'));
  fs.writeFileSync(host(s.dir, 'b/full/f'), '');
  fs.mkdirSync(host(s.dir, 'a/dir'));
  await expectErr(c.renameat(a, 'dir', b, 'full'), 'ENOTEMPTY');
});

testModes(test, 'unlinkat: files, directories with AT_REMOVEDIR, and the errors', {}, async (s) => {
  fs.mkdirSync(host(s.dir, 'd/inner'), { recursive: true });
  fs.writeFileSync(host(s.dir, 'f'), '');
  const { c, root } = await s.attached();
  await c.unlinkat(root, 'f', 0);
  assert.not.ok(fs.existsSync(host(s.dir, 'f')));
  await expectErr(c.unlinkat(root, 'f', 0), 'ENOENT');
  await expectErr(c.unlinkat(root, 'd', P9_DOTL_AT_REMOVEDIR), 'ENOTEMPTY');
  const e = (await c.unlinkat(root, 'd', 0).catch((x: unknown) => x)) as NinepError;
  assert.ok(e.code === 'EISDIR' || e.code === 'EPERM', String(e.code));
  const d = await walkPath(c, root, 'd');
  await c.unlinkat(d, 'inner', P9_DOTL_AT_REMOVEDIR);
  await c.unlinkat(root, 'd', P9_DOTL_AT_REMOVEDIR);
  assert.not.ok(fs.existsSync(host(s.dir, 'd')));
});

testModes(test, 'remove clunks the fid even when it fails (remove(5))', {}, async (s) => {
  fs.mkdirSync(host(s.dir, 'full'));
  fs.writeFileSync(host(s.dir, 'full/x'), '');
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'full');
  await expectErr(c.remove(f), 'ENOTEMPTY');
  await expectErr(c.getattr(f, 1n), 'EBADF');
  const x = await walkPath(c, root, 'full/x');
  await c.remove(x);
  assert.not.ok(fs.existsSync(host(s.dir, 'full/x')));
});

testModes(test, 'statfs and fsync', {}, async (s) => {
  const { c, root } = await s.attached();
  const r = await c.statfs(root);
  const host = fs.statfsSync(s.dir);
  assert.is(r.bsize, host.bsize);
  // humfs: the size is the superblock's total, not the host disk's.
  assert.is(r.blocks, s.total === null ? BigInt(host.blocks) : s.total / BigInt(host.bsize));
  assert.ok(r.namelen >= 255);
  const f = (await c.walk(root, [])).fid as number;
  await c.lcreate(f, 'sync', P9_DOTL_WRONLY | P9_DOTL_CREATE, 0o644);
  await c.write(f, 0n, Buffer.from('data'));
  await c.fsync(f, 0);
  await c.fsync(f, 1);
  assert.is(fs.readFileSync(path.join(s.dir, 'sync'), 'utf8'), 'data');
});

async function getXattr(c: Client, fid: number, name: string): Promise<Buffer> {
  const x = await c.xattrwalk(fid, name);
  try {
    const chunks: Buffer[] = [];
    if (x.size > 0n) await readAll(c, x.fid, c.maxIo, (b) => chunks.push(b));
    const all = Buffer.concat(chunks);
    assert.is(BigInt(all.length), x.size, 'the value is as long as Rxattrwalk said');
    return all;
  } finally {
    await c.clunk(x.fid);
  }
}

async function setXattr(c: Client, fid: number, name: string, value: Buffer, flags: number): Promise<void> {
  const x = (await c.walk(fid, [])).fid as number;
  try {
    await c.xattrcreate(x, name, BigInt(value.length), flags);
    if (value.length > 0) await c.write(x, 0n, value);
  } finally {
    await c.clunk(x);
  }
}

testModes(test, 'xattrs: set via xattrcreate + write + clunk, get, list, replace, remove', {}, async (s) => {
  fs.writeFileSync(host(s.dir, 'x'), '');
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'x');
  await setXattr(c, f, 'user.color', Buffer.from('blue'), 0);
  assert.is(getAttributeSync(host(s.dir, 'x'), 'user.color').toString(), 'blue', 'set on the host');
  assert.is((await getXattr(c, f, 'user.color')).toString(), 'blue');
  await setXattr(c, f, 'user.shape', Buffer.from('round'), P9_XATTR_CREATE);
  const list = (await getXattr(c, f, '')).toString().split('\0').filter(Boolean).sort();
  assert.equal(list, ['user.color', 'user.shape']);
  await expectErr(setXattr(c, f, 'user.shape', Buffer.from('x'), P9_XATTR_CREATE), 'EEXIST');
  await setXattr(c, f, 'user.shape', Buffer.from('square'), P9_XATTR_REPLACE);
  assert.is(getAttributeSync(host(s.dir, 'x'), 'user.shape').toString(), 'square');
  const big = Buffer.alloc(3000, 0x61);
  await setXattr(c, f, 'user.big', big, 0);
  assert.equal(await getXattr(c, f, 'user.big'), big);
  // Linux removexattr: Txattrcreate with size 0 and XATTR_REPLACE, then clunk.
  await setXattr(c, f, 'user.color', Buffer.alloc(0), P9_XATTR_REPLACE);
  assert.not.ok(listAttributesSync(host(s.dir, 'x')).includes('user.color'));
  await expectErr(c.xattrwalk(f, 'user.color'), 'ENODATA');
});

test.run();
