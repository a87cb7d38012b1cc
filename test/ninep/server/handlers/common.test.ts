// attach, walk, read, write, clunk, remove: the messages all dialects share.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { NONUNAME, QTDIR, QTFILE } from '../../../../ninep/index.js';
import { LINUX_ERRNO as E } from '../../../../src/errno.js';
import { tmpExport } from '../../../helpers/tmp-export.js';
import { startHarness } from '../harness.js';

test('attach: Linux first attach (uname nobody, n_uname ~0) and numeric n_uname both work; files get that owner', async () => {
  const h = await startHarness();
  try {
    const c = await h.connect();
    await c.version();
    await c.attach(0, { uname: 'nobody', n_uname: NONUNAME });
    await c.attach(1, { uname: '', n_uname: 1234 });
    await c.ok({ type: 'Tlcreate', fid: 1, name: Buffer.from('mine'), flags: 0o1, mode: 0o640, gid: 4321 }, 'Rlcreate');
    const st = fs.statSync(path.join(h.tmp.dir, 'mine'));
    assert.is(st.uid, 1234);
    assert.is(st.gid, 4321);
    assert.is(st.mode & 0o7777, 0o640);
    await c.ok({ type: 'Tmkdir', dfid: 0, name: Buffer.from('nob'), mode: 0o755, gid: NONUNAME }, 'Rmkdir');
    assert.is(fs.statSync(path.join(h.tmp.dir, 'nob')).uid, 65534);
  } finally {
    await h.stop();
  }
});

test('attach: aname picks the export; "" and "/" the default; unknown anames fail', async () => {
  const other = tmpExport('humbridge-9p-other-');
  fs.writeFileSync(path.join(other.dir, 'only-in-other'), 'o');
  const h = await startHarness({ exports: { other: other.dir } });
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'only-in-main'), 'm');
    const c = await h.connect();
    await c.version();
    await c.attach(0, { aname: 'other' });
    await c.attach(1, { aname: '' });
    await c.attach(2, { aname: '/' });
    await c.walk(0, 10, 'only-in-other');
    await c.walk(1, 11, 'only-in-main');
    await c.walk(2, 12, 'only-in-main');
    assert.is(await c.err({ type: 'Twalk', fid: 0, newfid: 13, wname: [Buffer.from('only-in-main')] }), E.ENOENT);
    assert.is(await c.err({ type: 'Tattach', fid: 5, afid: 0xffffffff, uname: 'root', aname: 'nope', n_uname: 0 }), E.ENOENT);
    assert.is(await c.err({ type: 'Tattach', fid: 0, afid: 0xffffffff, uname: 'root', aname: '', n_uname: 0 }), E.EBADF);
  } finally {
    await h.stop();
    other.cleanup();
  }
});

test('walk: clone, multi-name, partial walk (newfid not created), ".." at root, newfid == fid, 16 names', async () => {
  const h = await startHarness();
  try {
    fs.mkdirSync(path.join(h.tmp.dir, 'a/b/c'), { recursive: true });
    fs.writeFileSync(path.join(h.tmp.dir, 'a/b/c/f'), 'x');
    const c = await h.session();
    assert.equal(await c.walk(0, 1), []);
    const q = await c.walk(0, 2, 'a', 'b', 'c', 'f');
    assert.is(q.length, 4);
    assert.is(q[2]?.type, QTDIR);
    assert.is(q[3]?.type, QTFILE);
    // walk(5): a failure after the first name gives a short Rwalk and no newfid.
    const partial = await c.walk(0, 3, 'a', 'nope', 'x');
    assert.is(partial.length, 1);
    assert.is(await c.err({ type: 'Tclunk', fid: 3 }), E.EBADF);
    assert.is(await c.err({ type: 'Twalk', fid: 0, newfid: 3, wname: [Buffer.from('nope')] }), E.ENOENT);
    // ".." at the root stays at the root; ".." climbs elsewhere.
    const up = await c.walk(0, 4, '..');
    const root = await c.walk(0, 5);
    assert.equal(root, []);
    const rootAttr = await c.ok({ type: 'Tgetattr', fid: 0, request_mask: 0x7ffn }, 'Rgetattr');
    assert.is(up[0]?.path, rootAttr.qid.path);
    const aQid = (await c.walk(0, 6, 'a'))[0];
    await c.walk(0, 10, 'a', 'b', 'c');
    const back = await c.walk(10, 7, '..', '..');
    assert.is(back[1]?.path, aQid?.path);
    // newfid == fid moves the fid.
    await c.walk(6, 6, 'b');
    const b = await c.ok({ type: 'Tgetattr', fid: 6, request_mask: 1n }, 'Rgetattr');
    assert.is(b.qid.path, (await c.walk(0, 8, 'a', 'b'))[1]?.path);
    // More than 16 names is malformed.
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 9, 0, 0, 0, 17, 0]), ...Array.from({ length: 17 }, () => Buffer.from([1, 0, 0x61]))]);
    const frame = Buffer.concat([Buffer.alloc(7), body]);
    frame.writeUInt32LE(frame.length, 0);
    frame[4] = 110;
    frame.writeUInt16LE(600, 5);
    const p = c.reply(600);
    c.raw(frame);
    assert.equal(await p, { type: 'Rlerror', ecode: E.EINVAL });
    assert.equal((await c.walk(0, 9, ...Array.from({ length: 16 }, () => '..'))).length, 16);
    // Walking from a non-directory fails.
    assert.is(await c.err({ type: 'Twalk', fid: 2, newfid: 11, wname: [Buffer.from('x')] }), E.ENOTDIR);
  } finally {
    await h.stop();
  }
});

test('walk: an open fid cannot walk onto itself; to a new fid it can (diodls does)', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'x');
    const c = await h.session();
    await c.walk(0, 1);
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    assert.is(await c.err({ type: 'Twalk', fid: 1, newfid: 1, wname: [Buffer.from('f')] }), E.EBUSY);
    await c.walk(1, 2, 'f');
    await c.ok({ type: 'Tlopen', fid: 2, flags: 0 }, 'Rlopen');
  } finally {
    await h.stop();
  }
});

test('read and write: offsets, short reads at the end, count clamped to msize', async () => {
  const h = await startHarness({ options: { maxMsize: 8192 } });
  try {
    const data = Buffer.alloc(20000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), data);
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await c.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
    const r = await c.ok({ type: 'Tread', fid: 1, offset: 100n, count: 1 << 20 }, 'Rread');
    assert.is(r.data.length, 8192 - 11);
    assert.ok(r.data.equals(data.subarray(100, 100 + 8181)));
    const tail = await c.ok({ type: 'Tread', fid: 1, offset: 19990n, count: 100 }, 'Rread');
    assert.ok(tail.data.equals(data.subarray(19990)));
    assert.is((await c.ok({ type: 'Tread', fid: 1, offset: 50000n, count: 100 }, 'Rread')).data.length, 0);
    const w = await c.ok({ type: 'Twrite', fid: 1, offset: 30000n, data: Buffer.from('end') }, 'Rwrite');
    assert.is(w.count, 3);
    const host = fs.readFileSync(path.join(h.tmp.dir, 'f'));
    assert.is(host.length, 30003);
    assert.is(host.subarray(30000).toString(), 'end');
    // Reading an unopened fid is an error.
    await c.walk(0, 2, 'f');
    assert.is(await c.err({ type: 'Tread', fid: 2, offset: 0n, count: 10 }), E.EBADF);
    assert.is(await c.err({ type: 'Twrite', fid: 2, offset: 0n, data: Buffer.from('x') }), E.EBADF);
  } finally {
    await h.stop();
  }
});

test('remove: removes files and empty directories, and clunks the fid even when it fails', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'x');
    fs.mkdirSync(path.join(h.tmp.dir, 'd/sub'), { recursive: true });
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await c.ok({ type: 'Tremove', fid: 1 }, 'Rremove');
    assert.not.ok(fs.existsSync(path.join(h.tmp.dir, 'f')));
    assert.is(await c.err({ type: 'Tclunk', fid: 1 }), E.EBADF);
    await c.walk(0, 2, 'd');
    assert.is(await c.err({ type: 'Tremove', fid: 2 }), E.ENOTEMPTY);
    assert.is(await c.err({ type: 'Tclunk', fid: 2 }), E.EBADF);
    await c.walk(0, 3, 'd', 'sub');
    await c.ok({ type: 'Tremove', fid: 3 }, 'Rremove');
    assert.not.ok(fs.existsSync(path.join(h.tmp.dir, 'd/sub')));
    // The root has no name to remove.
    await c.walk(0, 4);
    assert.is(await c.err({ type: 'Tremove', fid: 4 }), E.EBUSY);
    // A name that now leads to another file is not removed.
    fs.writeFileSync(path.join(h.tmp.dir, 'g'), 'old');
    await c.walk(0, 5, 'g');
    fs.renameSync(path.join(h.tmp.dir, 'g'), path.join(h.tmp.dir, 'g-moved'));
    fs.writeFileSync(path.join(h.tmp.dir, 'g'), 'new');
    assert.is(await c.err({ type: 'Tremove', fid: 5 }), E.ESTALE);
    assert.is(fs.readFileSync(path.join(h.tmp.dir, 'g'), 'utf8'), 'new');
    assert.is(h.stats().handles, 0);
  } finally {
    await h.stop();
  }
});

test.run();
