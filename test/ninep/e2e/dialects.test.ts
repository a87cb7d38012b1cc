// 9P2000 and 9P2000.u on the real server: open/create (with .u extensions
// for symlinks, devices, FIFOs and hard links), stat and wstat (with
// don't-touch values and rename), remove, error strings — checked on the host.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  DMDEVICE,
  DMDIR,
  DMLINK,
  DMNAMEDPIPE,
  DMSYMLINK,
  OREAD,
  ORCLOSE,
  ORDWR,
  OTRUNC,
  OWRITE,
  QTDIR,
  type DialectName,
  type StatU,
} from '../../../ninep/index.js';
import { makedev } from '../../../src/types.js';
import { dontTouchStat, infoFromStat, NinepError, readFile, walkPath } from '../../../ninep/client/index.js';
import { testModes } from './harness.js';
import { hostMeta, setHostMeta } from './host-view.js';

const both = ['9P2000.u', '9P2000'] as DialectName[];

for (const v of both) {
  testModes(test, `${v}: create a file and a directory, write, read, reopen with OTRUNC`, {}, async (s) => {
    const { c, root } = await s.attached(v);
    const f = (await c.walk(root, [])).fid as number;
    const o = await c.create(f, 'new', 0o640, ORDWR);
    assert.is(o.qid.type, 0);
    assert.is(await c.write(f, 0n, Buffer.from('contents')), 8);
    assert.is((await c.read(f, 3n, 100)).toString(), 'tents');
    await c.clunk(f);
    assert.is(hostMeta(s, 'new').mode, 0o100640);
    assert.is(fs.statSync(path.join(s.dir, 'new')).size, 8);
    const d = (await c.walk(root, [])).fid as number;
    const dq = await c.create(d, 'dir', (DMDIR | 0o750) >>> 0, OREAD);
    assert.is(dq.qid.type & QTDIR, QTDIR);
    assert.is(hostMeta(s, 'dir').mode, 0o040750);
    const t = await walkPath(c, root, 'new');
    await c.open(t, OWRITE | OTRUNC);
    await c.clunk(t);
    assert.is(fs.statSync(path.join(s.dir, 'new')).size, 0);
    const dup = (await (async () => {
      const g = (await c.walk(root, [])).fid as number;
      return c.create(g, 'new', 0o644, OWRITE);
    })().catch((x: unknown) => x)) as NinepError;
    assert.instance(dup, NinepError);
    assert.is(dup.code, 'EEXIST', `error text "${dup.ename}" names EEXIST`);
    if (v === '9P2000.u') assert.is(dup.errno, 17);
    else assert.is(dup.errno, undefined);
  });

  testModes(test, `${v}: stat matches the host; wstat changes mode, length, mtime and name, and leaves the rest`, {}, async (s) => {
    fs.writeFileSync(path.join(s.dir, 'w'), '0123456789');
    fs.utimesSync(path.join(s.dir, 'w'), 1_000_000, 1_000_000);
    setHostMeta(s, 'w', { uid: 1234, gid: 5678, perm: 0o664 });
    const { c, root } = await s.attached(v);
    const f = await walkPath(c, root, 'w');
    const st = await c.stat(f);
    assert.is(st.name.toString(), 'w');
    assert.is(st.length, 10n);
    assert.is(st.mtime, 1_000_000);
    assert.is(st.mode & 0o777, hostMeta(s, 'w').mode & 0o777);
    assert.is(st.mode & 0o777, 0o664);
    if (v === '9P2000.u') assert.is((st as StatU).n_uid, hostMeta(s, 'w').uid);
    if (v === '9P2000.u') assert.is((st as StatU).n_gid, 5678);
    const ch = dontTouchStat(v === '9P2000.u');
    ch.mode = 0o600;
    await c.wstat(f, ch);
    let host = fs.statSync(path.join(s.dir, 'w'));
    assert.is(hostMeta(s, 'w').mode & 0o777, 0o600);
    assert.is(host.size, 10, 'length untouched');
    assert.is(Math.floor(host.mtimeMs / 1000), 1_000_000, 'mtime untouched');
    const ch2 = dontTouchStat(v === '9P2000.u');
    ch2.length = 4n;
    ch2.mtime = 2_000_000;
    await c.wstat(f, ch2);
    host = fs.statSync(path.join(s.dir, 'w'));
    assert.is(host.size, 4);
    assert.is(Math.floor(host.mtimeMs / 1000), 2_000_000);
    assert.is(hostMeta(s, 'w').mode & 0o777, 0o600, 'mode untouched');
    const ch3 = dontTouchStat(v === '9P2000.u');
    ch3.name = Buffer.from('renamed');
    await c.wstat(f, ch3);
    assert.not.ok(fs.existsSync(path.join(s.dir, 'w')));
    assert.is(fs.readFileSync(path.join(s.dir, 'renamed'), 'utf8'), '0123');
    assert.is((await c.stat(f)).name.toString(), 'renamed', 'the fid follows');
    const dq = await c.stat(root);
    assert.ok(dq.mode & DMDIR);
  });

  testModes(test, `${v}: remove a file and an empty directory; a failed remove still clunks`, {}, async (s) => {
    fs.mkdirSync(path.join(s.dir, 'full'));
    fs.writeFileSync(path.join(s.dir, 'full/x'), '');
    fs.mkdirSync(path.join(s.dir, 'empty'));
    const { c, root } = await s.attached(v);
    await c.remove(await walkPath(c, root, 'full/x'));
    await c.remove(await walkPath(c, root, 'empty'));
    assert.not.ok(fs.existsSync(path.join(s.dir, 'full/x')));
    assert.not.ok(fs.existsSync(path.join(s.dir, 'empty')));
    fs.writeFileSync(path.join(s.dir, 'full/y'), '');
    const f = await walkPath(c, root, 'full');
    const e = await c.remove(f).catch((x: unknown) => x);
    assert.instance(e, NinepError);
    const gone = (await c.stat(f).catch((x: unknown) => x)) as NinepError;
    assert.instance(gone, NinepError, 'the fid was clunked');
  });

  testModes(test, `${v}: ORCLOSE removes the file at clunk`, {}, async (s) => {
    fs.writeFileSync(path.join(s.dir, 'tmp'), 'x');
    const { c, root } = await s.attached(v);
    const f = await walkPath(c, root, 'tmp');
    await c.open(f, OREAD | ORCLOSE);
    assert.ok(fs.existsSync(path.join(s.dir, 'tmp')));
    await c.clunk(f);
    assert.not.ok(fs.existsSync(path.join(s.dir, 'tmp')));
  });

  testModes(test, `${v}: reading a big file in msize chunks is byte-exact`, {}, async (s) => {
    const data = Buffer.alloc(700_001);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
    fs.writeFileSync(path.join(s.dir, 'big'), data);
    const { c, root } = await s.attached(v, { msize: 16384 });
    assert.ok((await readFile(c, root, 'big')).equals(data));
  });
}

// Devices lift the hostfs nodev default (tested in host-limits.test.ts).
testModes(test, '9P2000.u: create with extensions makes symlinks, devices, FIFOs and hard links', { exportOptions: { allowSetuid: true, allowDevices: true } }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'orig'), 'o');
  const { c, root } = await s.attached('9P2000.u');
  const mk = async (name: string, perm: number, ext: string): Promise<void> => {
    const d = (await c.walk(root, [])).fid as number;
    await c.create(d, name, perm >>> 0, OREAD, ext);
    await c.clunk(d);
  };
  await mk('ln', DMSYMLINK | 0o777, 'orig');
  assert.is(fs.readlinkSync(path.join(s.dir, 'ln')), 'orig');
  await mk('null', DMDEVICE | 0o666, 'c 1 3');
  const nst = hostMeta(s, 'null');
  assert.is(nst.mode, 0o020666);
  assert.is(nst.rdev, makedev(1, 3));
  await mk('blk', DMDEVICE | 0o600, 'b 7 0');
  assert.is(hostMeta(s, 'blk').mode, 0o060600);
  assert.is(hostMeta(s, 'blk').rdev, makedev(7, 0));
  await mk('fifo', DMNAMEDPIPE | 0o644, '');
  assert.is(hostMeta(s, 'fifo').mode, 0o010644);
  const target = await walkPath(c, root, 'orig');
  await mk('hard', DMLINK, `${target}\n`);
  assert.is(fs.statSync(path.join(s.dir, 'hard')).ino, fs.statSync(path.join(s.dir, 'orig')).ino);
  // stat reports them back with their extensions.
  const lst = (await c.stat(await walkPath(c, root, 'ln'))) as StatU;
  assert.ok(lst.mode & DMSYMLINK);
  assert.is(lst.extension.toString(), 'orig');
  const dst = (await c.stat(await walkPath(c, root, 'null'))) as StatU;
  assert.is(dst.extension.toString(), 'c 1 3');
  assert.equal(infoFromStat(dst).rdev, { major: 1, minor: 3 });
  const bad = await mk('bad', DMDEVICE | 0o600, 'q 1 2').catch((x: unknown) => x);
  assert.instance(bad, NinepError);
});

testModes(test, '9P2000.u: wstat n_uid/n_gid change owners', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'o'), '');
  const { c, root } = await s.attached('9P2000.u');
  const f = await walkPath(c, root, 'o');
  const ch = dontTouchStat(true) as StatU;
  ch.n_uid = 3003;
  ch.n_gid = 4004;
  await c.wstat(f, ch);
  const st = hostMeta(s, 'o');
  assert.is(st.uid, 3003);
  assert.is(st.gid, 4004);
});

test.run();
