// 9P2000 and 9P2000.u: open, create (with .u extensions), directory reads
// as stat entries, stat and wstat.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { DMDEVICE, DMDIR, DMLINK, DMNAMEDPIPE, DMSETUID, DMSYMLINK, NONUNAME, ORCLOSE, ORDWR, OREAD, OTRUNC, unpackStats, type Stat, type StatU } from '../../../../ninep/index.js';
import { LINUX_ERRNO as E } from '../../../../src/errno.js';
import { startHarness, type WireConn } from '../harness.js';
import { dontTouchStat } from '../../../../ninep/client/index.js';

const b = (s: string): Buffer => Buffer.from(s);

async function listDir(c: WireConn, fid: number, count: number): Promise<(Stat | StatU)[]> {
  const out: (Stat | StatU)[] = [];
  let offset = 0n;
  for (;;) {
    const r = await c.ok({ type: 'Tread', fid, offset, count }, 'Rread');
    if (r.data.length === 0) return out;
    out.push(...unpackStats(r.data, c.dialect.name === '9P2000.u'));
    offset += BigInt(r.data.length);
  }
}

/** A .u Twstat stat that changes nothing but, when given, the name (stat(5) "don't touch" values). */
function dontTouch(name = ''): StatU {
  return { ...(dontTouchStat(true) as StatU), name: b(name) };
}

test('9P2000.u: create files, directories, symlinks, devices, pipes and hard links', async () => {
  const h = await startHarness({ exportOptions: { allowSetuid: true, allowDevices: true } });
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'target'), 't');
    const c = await h.session('9P2000.u');
    const mk = async (name: string, perm: number, mode: number, ext = ''): Promise<void> => {
      await c.walk(0, 1);
      await c.ok({ type: 'Tcreate', fid: 1, name: b(name), perm: perm >>> 0, mode, extension: b(ext) }, 'Rcreate');
      await c.ok({ type: 'Tclunk', fid: 1 }, 'Rclunk');
    };
    await mk('file', 0o640 | DMSETUID, ORDWR);
    await mk('dir', DMDIR | 0o750, OREAD);
    await mk('sym', DMSYMLINK | 0o777, OREAD, 'target');
    await mk('cdev', DMDEVICE | 0o600, OREAD, 'c 1 3');
    await mk('bdev', DMDEVICE | 0o600, OREAD, 'b 7 0');
    await mk('pipe', DMNAMEDPIPE | 0o644, OREAD);
    await c.walk(0, 7, 'target');
    await mk('hard', DMLINK, OREAD, '7\n');
    const at = (n: string): fs.Stats => fs.lstatSync(path.join(h.tmp.dir, n));
    assert.is(at('file').mode & 0o7777, 0o4640);
    assert.ok(at('dir').isDirectory());
    assert.is(fs.readlinkSync(path.join(h.tmp.dir, 'sym')), 'target');
    assert.ok(at('cdev').isCharacterDevice());
    assert.is(at('cdev').rdev, (1 << 8) | 3);
    assert.ok(at('bdev').isBlockDevice());
    assert.ok(at('pipe').isFIFO());
    assert.is(at('hard').ino, at('target').ino);
    await c.walk(0, 1);
    assert.is(await c.err({ type: 'Tcreate', fid: 1, name: b('file'), perm: 0o600, mode: ORDWR, extension: b('') }), E.EEXIST);
    assert.is(await c.err({ type: 'Tcreate', fid: 1, name: b('bad'), perm: DMDEVICE | 0o600, mode: OREAD, extension: b('x 1') }), E.EINVAL);
  } finally {
    await h.stop();
  }
});

test('9P2000.u: stat carries the extension and numeric ids; directory reads return every entry as stats', async () => {
  const h = await startHarness();
  try {
    fs.symlinkSync('somewhere', path.join(h.tmp.dir, 'ln'));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(h.tmp.dir, `f${i}`), 'x'.repeat(i));
    fs.chownSync(path.join(h.tmp.dir, 'f7'), 1001, 1002);
    const c = await h.session('9P2000.u');
    await c.walk(0, 1, 'ln');
    const st = (await c.ok({ type: 'Tstat', fid: 1 }, 'Rstat')).stat as StatU;
    assert.equal(st.extension, b('somewhere'));
    assert.is(st.mode & DMSYMLINK, DMSYMLINK);
    assert.equal(st.name, b('ln'));
    await c.walk(0, 2);
    await c.ok({ type: 'Topen', fid: 2, mode: OREAD }, 'Ropen');
    const all = await listDir(c, 2, 1000);
    assert.is(all.length, 301);
    const f7 = all.find((s) => s.name.equals(b('f7'))) as StatU;
    assert.is(f7.length, 7n);
    assert.equal([f7.uid, f7.gid, f7.n_uid, f7.n_gid], ['1001', '1002', 1001, 1002]);
    // read(5): a directory offset other than 0 or the end of the last read is refused.
    assert.is(await c.err({ type: 'Tread', fid: 2, offset: 5n, count: 1000 }), E.EINVAL);
    // Directories open for reading only.
    await c.walk(0, 3);
    assert.is(await c.err({ type: 'Topen', fid: 3, mode: ORDWR }), E.EISDIR);
  } finally {
    await h.stop();
  }
});

test('9P2000: plain stats (no .u fields), uid names, create and read', async () => {
  const h = await startHarness();
  try {
    const c = await h.session('9P2000');
    await c.walk(0, 1);
    await c.ok({ type: 'Tcreate', fid: 1, name: b('p9'), perm: 0o644, mode: ORDWR }, 'Rcreate');
    await c.ok({ type: 'Twrite', fid: 1, offset: 0n, data: b('plan nine') }, 'Rwrite');
    await c.ok({ type: 'Tclunk', fid: 1 }, 'Rclunk');
    assert.is(fs.readFileSync(path.join(h.tmp.dir, 'p9'), 'utf8'), 'plan nine');
    await c.walk(0, 2, 'p9');
    const st = (await c.ok({ type: 'Tstat', fid: 2 }, 'Rstat')).stat;
    assert.not.ok('extension' in st);
    assert.is(st.uid, 'root');
    assert.is(st.length, 9n);
    await c.walk(0, 3);
    await c.ok({ type: 'Topen', fid: 3, mode: OREAD }, 'Ropen');
    const names = (await listDir(c, 3, 8192)).map((s) => s.name.toString());
    assert.equal(names, ['p9']);
    // An error in 9P2000 is a text.
    assert.is(await c.err({ type: 'Twalk', fid: 0, newfid: 4, wname: [b('missing')] }), 'No such file or directory');
  } finally {
    await h.stop();
  }
});

test('open: OTRUNC truncates, ORCLOSE removes at clunk', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'content');
    fs.writeFileSync(path.join(h.tmp.dir, 'tmp'), 'gone soon');
    const c = await h.session('9P2000.u');
    await c.walk(0, 1, 'f');
    await c.ok({ type: 'Topen', fid: 1, mode: ORDWR | OTRUNC }, 'Ropen');
    assert.is(fs.statSync(path.join(h.tmp.dir, 'f')).size, 0);
    await c.walk(0, 2, 'tmp');
    await c.ok({ type: 'Topen', fid: 2, mode: OREAD | ORCLOSE }, 'Ropen');
    assert.ok(fs.existsSync(path.join(h.tmp.dir, 'tmp')));
    await c.ok({ type: 'Tclunk', fid: 2 }, 'Rclunk');
    assert.not.ok(fs.existsSync(path.join(h.tmp.dir, 'tmp')));
  } finally {
    await h.stop();
  }
});

test('wstat: "don\'t touch" values change nothing; mode, times, length, owner and rename in place', async () => {
  const h = await startHarness();
  try {
    const f = path.join(h.tmp.dir, 'f');
    fs.writeFileSync(f, 'abcdefgh');
    fs.chmodSync(f, 0o600);
    const before = fs.statSync(f, { bigint: true });
    const c = await h.session('9P2000.u');
    await c.walk(0, 1, 'f');
    await c.ok({ type: 'Twstat', fid: 1, stat: dontTouch() }, 'Rwstat');
    const same = fs.statSync(f, { bigint: true });
    assert.equal([same.mode, same.size, same.mtimeNs, same.uid], [before.mode, before.size, before.mtimeNs, before.uid]);
    await c.ok({ type: 'Twstat', fid: 1, stat: { ...dontTouch(), mode: 0o640, mtime: 1_000_000, length: 3n, n_uid: 42, n_gid: 43 } }, 'Rwstat');
    const st = fs.statSync(f);
    assert.is(st.mode & 0o7777, 0o640);
    assert.is(st.mtimeMs, 1_000_000_000);
    assert.is(st.size, 3);
    assert.equal([st.uid, st.gid], [42, 43]);
    await c.ok({ type: 'Twstat', fid: 1, stat: dontTouch('renamed') }, 'Rwstat');
    assert.ok(fs.existsSync(path.join(h.tmp.dir, 'renamed')));
    assert.not.ok(fs.existsSync(f));
    // The fid follows: stat shows the new name.
    assert.equal((await c.ok({ type: 'Tstat', fid: 1 }, 'Rstat')).stat.name, b('renamed'));
    assert.is(await c.err({ type: 'Twstat', fid: 1, stat: { ...dontTouch(), uid: 'nosuchuser', n_uid: NONUNAME } }), E.EPERM);
  } finally {
    await h.stop();
  }
});

test.run();
