// humfs over 9P, owners and modes: in each dialect, chown to ids the host
// need not know (1234:5678, 4000000000) and the setuid/setgid/sticky bits
// land in the records byte for byte and come back in getattr/stat, while
// data/ keeps the server's owner and its own usable modes; new entries
// belong to the attach's uid and the request's (or directory's) gid.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { DMDIR, DMSYMLINK, OREAD, OWRITE, P9_DOTL_CREATE, P9_DOTL_WRONLY, type DialectName } from '../../../ninep/index.js';
import { mkdirPath, statFid, walkPath, writeFile, type Client } from '../../../ninep/client/index.js';
import { withServer, type Served } from './harness.js';
import { setHostMeta } from './host-view.js';
import { assertPlaceholder, assertRecord, assertServerOwned, chmod, chown, DIALECTS } from './humfs-expect.js';

const humfs = { mode: 'humfs' } as const;

/** Host mode bits of data/<rel>. */
const dataPerm = (s: Served, rel: string): number => fs.lstatSync(path.join(s.dir, rel)).mode & 0o7777;

for (const v of DIALECTS) {
  test(`humfs ${v}: chown to 1234:5678 and to 4000000000 writes the records; the server reports them`, () =>
    withServer(humfs, async (s) => {
      const { c, root } = await s.attached(v);
      await writeFile(c, root, 'f', Buffer.from('x'));
      await mkdirPath(c, root, 'd');
      assertRecord(s, 'f', '420 0 0\n');
      assertRecord(s, 'd', '493 0 0\n');
      const f = await walkPath(c, root, 'f');
      const d = await walkPath(c, root, 'd');
      await chown(c, f, 1234, 5678);
      assertRecord(s, 'f', '420 1234 5678\n');
      await chown(c, d, 1234, 5678);
      assertRecord(s, 'd', '493 1234 5678\n');
      await chown(c, f, 4000000000);
      assertRecord(s, 'f', '420 4000000000 5678\n');
      await chown(c, d, undefined, 4000000000);
      assertRecord(s, 'd', '493 1234 4000000000\n');
      const fi = await statFid(c, f);
      assert.is(fi.uid, '4000000000');
      assert.is(fi.gid, '5678');
      const di = await statFid(c, d);
      assert.is(di.uid, '1234');
      assert.is(di.gid, '4000000000');
      // A fresh walk reads the records again (no state kept on the fid).
      const again = await walkPath(c, root, 'f');
      assert.is((await statFid(c, again)).uid, '4000000000');
      for (const rel of ['f', 'd']) assertServerOwned(s, rel);
      assert.is(dataPerm(s, 'f'), 0o644);
      assert.is(dataPerm(s, 'd'), 0o755);
    }));
}

for (const v of ['9P2000.L', '9P2000.u'] as DialectName[]) {
  test(`humfs ${v}: setuid, setgid and sticky bits live in the records, not on data/`, () =>
    withServer(humfs, async (s) => {
      const { c, root } = await s.attached(v);
      await writeFile(c, root, 'prog', Buffer.from('#!'));
      await mkdirPath(c, root, 'tmp');
      const prog = await walkPath(c, root, 'prog');
      const tmp = await walkPath(c, root, 'tmp');
      await chown(c, prog, 1234, 5678);
      await chmod(c, prog, 0o6755);
      await chmod(c, tmp, 0o1777);
      assertRecord(s, 'prog', `${0o6755} 1234 5678\n`);
      assertRecord(s, 'tmp', `${0o1777} 0 0\n`);
      assert.is((await statFid(c, prog)).mode, 0o106755);
      assert.is((await statFid(c, tmp)).mode, 0o041777);
      await chmod(c, prog, 0o4711);
      assertRecord(s, 'prog', `${0o4711} 1234 5678\n`);
      assert.is((await statFid(c, prog)).mode, 0o104711);
      assert.is(dataPerm(s, 'prog'), 0o644, 'data/ never gets the setuid bit');
      assert.is(dataPerm(s, 'tmp'), 0o755);
    }));
}

test('humfs 9P2000: wstat mode sets the permission bits in the record', () =>
  withServer(humfs, async (s) => {
    const { c, root } = await s.attached('9P2000');
    await writeFile(c, root, 'f', Buffer.from('x'));
    const f = await walkPath(c, root, 'f');
    await chmod(c, f, 0o640);
    assertRecord(s, 'f', '416 0 0\n');
    assert.is((await statFid(c, f)).mode, 0o100640);
    assert.is(dataPerm(s, 'f'), 0o644);
  }));

/** Attached as `uid` in the dialect's way: n_uname (.L, .u), or the decimal uname (9P2000). */
async function attachAs(s: Served, v: DialectName, uid: number): Promise<{ c: Client; root: number }> {
  const c = await s.client(v);
  const { fid } = await c.attach(v === '9P2000' ? { uname: String(uid) } : { uname: '', n_uname: uid });
  return { c, root: fid };
}

test('humfs 9P2000.L: new entries belong to the attach uid and the gid each request names', () =>
  withServer(humfs, async (s) => {
    setHostMeta(s, '', { perm: 0o777, gid: 50 });
    const { c, root } = await attachAs(s, '9P2000.L', 4321);
    const f = (await c.walk(root, [])).fid as number;
    await c.lcreate(f, 'file', P9_DOTL_WRONLY | P9_DOTL_CREATE, 0o640, 777);
    await c.clunk(f);
    await c.mkdir(root, 'dir', 0o750, 778);
    await c.symlink(root, 'ln', 'file', 779);
    await c.mknod(root, 'fifo', 0o010600, 0, 0, 780);
    assertRecord(s, 'file', '416 4321 777\n');
    assertRecord(s, 'dir', '488 4321 778\n');
    assert.ok(fs.statSync(path.join(s.exportDir, 'file_metadata', 'dir')).isDirectory(), 'file_metadata/ mirrors the new directory');
    assertRecord(s, 'ln', '511 4321 779\n');
    assertRecord(s, 'fifo', '384 4321 780 p 0 0\n');
    const info = await statFid(c, await walkPath(c, root, 'file'));
    assert.is(info.uid, '4321');
    assert.is(info.gid, '777');
    for (const rel of ['file', 'dir', 'ln']) assertServerOwned(s, rel);
    assertPlaceholder(s, 'fifo');
  }));

for (const v of ['9P2000.u', '9P2000'] as DialectName[]) {
  test(`humfs ${v}: new entries belong to the attach uid and the directory's gid (the request names none)`, () =>
    withServer(humfs, async (s) => {
      setHostMeta(s, '', { perm: 0o777, gid: 50 });
      const { c, root } = await attachAs(s, v, 2345);
      const mk = async (name: string, perm: number, mode: number, ext?: string): Promise<void> => {
        const d = (await c.walk(root, [])).fid as number;
        await c.create(d, name, perm >>> 0, mode, ext);
        await c.clunk(d);
      };
      await mk('file', 0o640, OWRITE);
      await mk('dir', DMDIR | 0o750, OREAD);
      assertRecord(s, 'file', '416 2345 50\n');
      assertRecord(s, 'dir', '488 2345 50\n');
      if (v === '9P2000.u') {
        await mk('ln', DMSYMLINK | 0o777, OREAD, 'file');
        assertRecord(s, 'ln', '511 2345 50\n');
      }
      const info = await statFid(c, await walkPath(c, root, 'file'));
      assert.is(info.uid, '2345');
      assert.is(info.gid, '50');
      for (const rel of ['file', 'dir']) assertServerOwned(s, rel);
    }));
}

test.run();
