// humfs over 9P, special files, links and renames: Tmknod (.L) and Tcreate
// with .u extensions make records that say the type and device number, and
// empty placeholders in data/ that the server never opens (ENXIO in every
// dialect); hard links share one record; a renamed directory takes its
// records along.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  DMDEVICE,
  DMLINK,
  DMNAMEDPIPE,
  DMSOCKET,
  DMSYMLINK,
  OREAD,
  OWRITE,
  P9_DOTL_RDONLY,
  P9_DOTL_WRONLY,
  QTSYMLINK,
  type DialectName,
  type StatU,
} from '../../../ninep/index.js';
import { dontTouchStat, mkdirPath, readdirAll, statFid, walkPath, writeFile, type Client } from '../../../ninep/client/index.js';
import { DT_BLK, DT_CHR, DT_FIFO, DT_SOCK, makedev } from '../../../src/types.js';
import { withServer, type Served } from './harness.js';
import { recordPath } from './host-view.js';
import { assertPlaceholder, assertRecord, chown, codeOf, DIALECTS } from './humfs-expect.js';

const humfs = { mode: 'humfs' } as const;

/** The four special files of the tests: name, st_mode, device, record, .u create perm and extension, DT_ type. */
const SPECIALS = [
  { name: 'null', mode: 0o020666, dev: [1, 3], record: '438 0 0 c 1 3\n', perm: DMDEVICE | 0o666, ext: 'c 1 3', dt: DT_CHR },
  { name: 'sda1', mode: 0o060660, dev: [8, 1], record: '432 0 0 b 8 1\n', perm: DMDEVICE | 0o660, ext: 'b 8 1', dt: DT_BLK },
  { name: 'fifo', mode: 0o010644, dev: [0, 0], record: '420 0 0 p 0 0\n', perm: DMNAMEDPIPE | 0o644, ext: '', dt: DT_FIFO },
  { name: 'sock', mode: 0o140755, dev: [0, 0], record: '493 0 0 s 0 0\n', perm: DMSOCKET | 0o755, ext: '', dt: DT_SOCK },
] as const;

/** Opening each special file for I/O is ENXIO (Tlopen or Topen). */
async function expectNoOpen(c: Client, root: number, name: string): Promise<void> {
  for (const how of ['read', 'write'] as const) {
    const f = await walkPath(c, root, name);
    try {
      const p =
        c.dialect.name === '9P2000.L'
          ? c.lopen(f, how === 'read' ? P9_DOTL_RDONLY : P9_DOTL_WRONLY)
          : c.open(f, how === 'read' ? OREAD : OWRITE);
      assert.is(await codeOf(p), 'ENXIO', `${c.dialect.name}: open ${name} for ${how}`);
    } finally {
      await c.clunk(f);
    }
  }
}

test('humfs 9P2000.L: Tmknod c/b/p/s writes the records, getattr and readdir report the type, data/ holds placeholders, Tlopen is ENXIO', () =>
  withServer(humfs, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    for (const sp of SPECIALS) await c.mknod(root, sp.name, sp.mode, sp.dev[0], sp.dev[1]);
    const types = new Map((await readdirAll(c, root)).map((e) => [e.name.toString(), e.dtype]));
    for (const sp of SPECIALS) {
      assertRecord(s, sp.name, sp.record);
      assertPlaceholder(s, sp.name);
      const f = await walkPath(c, root, sp.name);
      const r = await c.getattr(f, 0x7ffn);
      await c.clunk(f);
      assert.is(r.mode, sp.mode, `${sp.name}: mode`);
      assert.is(r.rdev, makedev(sp.dev[0], sp.dev[1]), `${sp.name}: rdev`);
      assert.is(r.size, 0n);
      assert.is(types.get(sp.name), sp.dt, `${sp.name}: readdir type`);
      await expectNoOpen(c, root, sp.name);
    }
  }));

test('humfs 9P2000.u: Tcreate with "c 1 3", "b 8 1", a pipe, a socket and a symlink: records, stat extensions, placeholders, Topen ENXIO', () =>
  withServer(humfs, async (s) => {
    const { c, root } = await s.attached('9P2000.u');
    const mk = async (name: string, perm: number, ext: string): Promise<void> => {
      const d = (await c.walk(root, [])).fid as number;
      await c.create(d, name, perm >>> 0, OREAD, ext);
      await c.clunk(d);
    };
    for (const sp of SPECIALS) await mk(sp.name, sp.perm, sp.ext);
    await mk('ln', DMSYMLINK | 0o777, 'target');
    for (const sp of SPECIALS) {
      assertRecord(s, sp.name, sp.record);
      assertPlaceholder(s, sp.name);
      const st = (await c.stat(await walkPath(c, root, sp.name))) as StatU;
      assert.is(st.mode, sp.perm >>> 0, `${sp.name}: stat mode`);
      assert.is(st.extension.toString(), sp.ext, `${sp.name}: stat extension`);
      assert.is(st.length, 0n);
      await expectNoOpen(c, root, sp.name);
    }
    assertRecord(s, 'ln', '511 0 0\n');
    assert.is(fs.readlinkSync(path.join(s.dir, 'ln')), 'target', 'a symlink is a real one in data/');
    const lst = (await c.stat(await walkPath(c, root, 'ln'))) as StatU;
    assert.is(lst.mode, (DMSYMLINK | 0o777) >>> 0);
    assert.is(lst.extension.toString(), 'target');
    assert.is(lst.qid.type & QTSYMLINK, QTSYMLINK);
  }));

test('humfs 9P2000: a device or FIFO made by another client looks like a file, and Topen is ENXIO', () =>
  withServer(humfs, async (s) => {
    const l = await s.attached('9P2000.L');
    await l.c.mknod(l.root, 'null', 0o020666, 1, 3);
    await l.c.mknod(l.root, 'fifo', 0o010644, 0, 0);
    const { c, root } = await s.attached('9P2000');
    for (const name of ['null', 'fifo']) {
      const st = await c.stat(await walkPath(c, root, name));
      assert.is(st.mode & 0o777, name === 'null' ? 0o666 : 0o644);
      await expectNoOpen(c, root, name);
    }
    assertRecord(s, 'null', '438 0 0 c 1 3\n');
  }));

/** Hard link `to` of `from` (both in the root) in the dialect's way: Tlink, or Tcreate DMLINK with the fid number. */
async function hardLink(c: Client, root: number, from: string, dir: string, to: string): Promise<void> {
  const src = await walkPath(c, root, from);
  const d = await walkPath(c, root, dir);
  if (c.dialect.name === '9P2000.L') await c.link(d, src, to);
  else await c.create(d, to, DMLINK >>> 0, OREAD, `${src}\n`);
  await c.clunk(d).catch(() => undefined);
  await c.clunk(src);
}

for (const v of ['9P2000.L', '9P2000.u'] as DialectName[]) {
  test(`humfs ${v}: a hard link shares one record; a change through one name shows through the other`, () =>
    withServer(humfs, async (s) => {
      const { c, root } = await s.attached(v);
      await writeFile(c, root, 'orig', Buffer.from('o'));
      await mkdirPath(c, root, 'sub');
      await hardLink(c, root, 'orig', '', 'hard');
      await hardLink(c, root, 'orig', 'sub', 'deep');
      const ino = (rel: string): number => fs.statSync(recordPath(s, rel, false)).ino;
      assert.is(ino('hard'), ino('orig'), 'one record file');
      assert.is(ino('sub/deep'), ino('orig'));
      assert.is(fs.statSync(recordPath(s, 'orig', false)).nlink, 3);
      await chown(c, await walkPath(c, root, 'sub/deep'), 1234, 5678);
      for (const rel of ['orig', 'hard', 'sub/deep']) assertRecord(s, rel, '420 1234 5678\n');
      assert.is((await statFid(c, await walkPath(c, root, 'orig'))).uid, '1234');
      // Removing the first name keeps the record of the others.
      await c.remove(await walkPath(c, root, 'orig'));
      assert.not.ok(fs.existsSync(recordPath(s, 'orig', false)), 'the removed name has no record');
      assertRecord(s, 'hard', '420 1234 5678\n');
      assert.is((await statFid(c, await walkPath(c, root, 'hard'))).gid, '5678');
    }));
}

/** Makes d/ with a file and a subdirectory (owned by 1234:5678 and 42:43) over 9P. */
async function makeTree(c: Client, root: number): Promise<void> {
  await mkdirPath(c, root, 'd');
  await mkdirPath(c, root, 'd/sub');
  await writeFile(c, root, 'd/f', Buffer.from('f'));
  await writeFile(c, root, 'd/sub/g', Buffer.from('g'));
  await chown(c, await walkPath(c, root, 'd'), 1234, 5678);
  await chown(c, await walkPath(c, root, 'd/sub/g'), 42, 43);
}

/** The records of the tree made by makeTree, found under `at`, and none left under `gone`. */
function assertTreeMoved(s: Served, gone: string, at: string): void {
  assertRecord(s, at, '493 1234 5678\n');
  assertRecord(s, `${at}/sub`, '493 0 0\n');
  assertRecord(s, `${at}/f`, '420 0 0\n');
  assertRecord(s, `${at}/sub/g`, '420 42 43\n');
  assert.not.ok(fs.existsSync(path.join(s.exportDir, 'dir_metadata', gone)), `dir_metadata/${gone} is gone`);
  assert.not.ok(fs.existsSync(path.join(s.exportDir, 'file_metadata', gone)), `file_metadata/${gone} is gone`);
}

for (const v of DIALECTS) {
  test(`humfs ${v}: renaming a directory moves its records`, () =>
    withServer(humfs, async (s) => {
      const { c, root } = await s.attached(v);
      await makeTree(c, root);
      const d = await walkPath(c, root, 'd');
      if (v === '9P2000.L') {
        await c.renameat(root, 'd', root, 'e');
      } else {
        const st = dontTouchStat(v === '9P2000.u');
        st.name = Buffer.from('e');
        await c.wstat(d, st);
      }
      assertTreeMoved(s, 'd', 'e');
      assert.is((await statFid(c, d)).uid, '1234', 'the fid follows its directory');
      assert.is((await statFid(c, await walkPath(c, root, 'e/sub/g'))).gid, '43');
      if (v === '9P2000.L') {
        // Into another directory, by fid (Trename) and by name (Trenameat).
        await mkdirPath(c, root, 'other');
        const other = await walkPath(c, root, 'other');
        // By the fid walked before the rename above: it still names "d",
        // and the server follows the directory to "e".
        await c.rename(d, other, 'moved');
        assertTreeMoved(s, 'e', 'other/moved');
        await c.renameat(other, 'moved', root, 'back');
        assertTreeMoved(s, 'other/moved', 'back');
      }
    }));
}

test.run();
