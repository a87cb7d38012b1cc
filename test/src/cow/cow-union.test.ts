// Copy-on-write behaviour the conformance suite cannot see: what lands in
// the layer (copies, whiteouts, opaque marks, hard links, humfs records),
// that the base stays byte-identical, and the base identity check.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getAttribute, setAttribute, setAttributeSync } from 'fs-xattr';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isWhiteout, OPAQUE_XATTR } from '../../../src/cow/layout.js';
import { openExport } from '../../../src/index.js';
import { O_RDONLY, O_RDWR, type NodeId } from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import { B, listNames, ME, readAll, rejects, walk } from '../../conformance/vfs.js';
import { makeLayer } from '../../helpers/cow-layer.js';
import { makeLayout } from '../meta/humfs-helpers.js';
import { snapshotTree } from './cow-helpers.js';

const MIB = 1 << 20;
const GIB = 1n << 30n;

interface World {
  base: string;
  layer: string;
  upper: string;
  open(extra?: { cowForce?: boolean }): Promise<Vfs>;
  cleanup(): void;
}

/** A base made by `fill` (plain host calls), and a fresh layer for it. */
function world(mode: 'hostfs' | 'humfs', fill: (data: string) => void): World {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cow-'));
  const base = path.join(top, 'base');
  const layer = path.join(top, 'layer');
  fs.mkdirSync(base);
  if (mode === 'humfs') makeLayout(base);
  fill(mode === 'humfs' ? path.join(base, 'data') : base);
  makeLayer(base, layer, mode);
  return {
    base,
    layer,
    upper: mode === 'humfs' ? path.join(layer, 'upper', 'data') : path.join(layer, 'upper'),
    open: (extra = {}) => openExport({ path: base, mode, cow: layer, ...extra }),
    cleanup: () => fs.rmSync(top, { recursive: true, force: true }),
  };
}

async function writeAt(vfs: Vfs, id: NodeId, offset: bigint, data: Buffer): Promise<void> {
  const h = await vfs.open(ME, id, O_RDWR);
  try {
    assert.is(await vfs.write(h, offset, data), data.length);
  } finally {
    await vfs.release(h);
  }
}

const names = async (vfs: Vfs, p: string): Promise<string[]> => (await listNames(vfs, (await walk(vfs, p)).id)).map(String).sort();

const t = suite('cow union');

t('copy-up of a 5 MiB file and of a sparse file with data at 1 GiB: contents kept, the hole stays a hole, the base untouched', async () => {
  const big = Buffer.alloc(5 * MIB);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
  const w = world('hostfs', (d) => {
    fs.writeFileSync(path.join(d, 'big'), big);
    const fd = fs.openSync(path.join(d, 'sparse'), 'w');
    fs.writeSync(fd, Buffer.from('head'), 0, 4, 0);
    fs.writeSync(fd, Buffer.from('tail'), 0, 4, Number(GIB));
    fs.closeSync(fd);
  });
  const before = snapshotTree(w.base);
  const vfs = await w.open();
  try {
    const b = await walk(vfs, 'big');
    await writeAt(vfs, b.id, 0n, B('X'));
    const s = await walk(vfs, 'sparse');
    await writeAt(vfs, s.id, 1n, B('E'));
    const copy = fs.readFileSync(path.join(w.upper, 'big'));
    assert.ok(copy.subarray(1).equals(big.subarray(1)), 'the copy holds the base data');
    assert.is(copy[0], 'X'.charCodeAt(0));
    const st = fs.statSync(path.join(w.upper, 'sparse'));
    assert.is(BigInt(st.size), GIB + 4n);
    assert.ok(st.blocks < 1024, `the hole was not written (${st.blocks} blocks)`);
    const h = await vfs.open(ME, s.id, 0);
    const tail = Buffer.alloc(4);
    assert.is(await vfs.read(h, GIB, tail), 4);
    await vfs.release(h);
    assert.is(tail.toString(), 'tail');
    assert.equal(fs.readdirSync(w.upper).sort(), ['big', 'sparse'], 'no temporary names left');
  } finally {
    await vfs.close();
  }
  assert.equal(snapshotTree(w.base), before, 'the base is byte-identical');
  w.cleanup();
});

for (const mode of ['hostfs', 'humfs'] as const) {
  t(`${mode}: a handle opened for reading before copy-up reads the copy afterwards; one holding a lock stays on the base`, async () => {
    const w = world(mode, (d) => {
      fs.writeFileSync(path.join(d, 'f'), 'base f\n');
      fs.writeFileSync(path.join(d, 'l'), 'base l\n');
    });
    const before = snapshotTree(w.base);
    const vfs = await w.open();
    try {
      const f = await walk(vfs, 'f');
      const l = await walk(vfs, 'l');
      const rf = await vfs.open(ME, f.id, O_RDONLY);
      const rl = await vfs.open(ME, l.id, O_RDONLY);
      try {
        const buf = Buffer.alloc(64);
        assert.is(buf.toString('utf8', 0, await vfs.read(rf, 0n, buf)), 'base f\n');
        assert.ok(await vfs.setlk(rl, 'owner', { type: 'read', start: 0n, length: 0n, pid: 1 }));
        await writeAt(vfs, f.id, 0n, B('guest'));
        await writeAt(vfs, l.id, 0n, B('guest'));
        assert.is(buf.toString('utf8', 0, await vfs.read(rf, 0n, buf)), 'guestf\n', 'the earlier reader sees the copy');
        assert.is((await vfs.getattr(f.id, rf)).size, 7n);
        assert.is(buf.toString('utf8', 0, await vfs.read(rl, 0n, buf)), 'base l\n', 'a locked handle stays where its locks are');
      } finally {
        await vfs.release(rf);
        await vfs.release(rl);
      }
      assert.is(fs.readFileSync(path.join(w.upper, 'f'), 'utf8'), 'guestf\n');
    } finally {
      await vfs.close();
    }
    assert.equal(snapshotTree(w.base), before, 'the base is byte-identical');
    w.cleanup();
  });
}

t('hard links: copied up once, the other name linked to the copy (and after a restart)', async () => {
  const w = world('hostfs', (d) => {
    fs.mkdirSync(path.join(d, 'a'));
    fs.mkdirSync(path.join(d, 'b'));
    fs.writeFileSync(path.join(d, 'a', 'one'), 'base\n');
    fs.linkSync(path.join(d, 'a', 'one'), path.join(d, 'b', 'two'));
  });
  const before = snapshotTree(w.base);
  let vfs = await w.open();
  try {
    const one = await walk(vfs, 'a/one');
    const two = await walk(vfs, 'b/two');
    assert.is(one.id, two.id, 'one node for both names');
    await writeAt(vfs, one.id, 0n, B('LAYR'));
    assert.is((await readAll(vfs, (await walk(vfs, 'b/two')).id)).toString(), 'LAYR\n', 'seen through the other name');
    assert.is((await vfs.getattr(two.id)).nlink, 2);
    const x = fs.statSync(path.join(w.upper, 'a', 'one'));
    const y = fs.statSync(path.join(w.upper, 'b', 'two'));
    assert.is(x.ino, y.ino, 'the layer holds one inode with both names');
    await vfs.close();
    vfs = await w.open();
    const again = await walk(vfs, 'b/two');
    assert.is((await readAll(vfs, again.id)).toString(), 'LAYR\n', 'after a restart');
    assert.is(again.attr.nlink, 2);
  } finally {
    await vfs.close();
  }
  assert.equal(snapshotTree(w.base), before);
  w.cleanup();
});

t('rename of a base directory: the tree moves, the old name is a whiteout, the new one opaque', async () => {
  const w = world('hostfs', (d) => {
    fs.mkdirSync(path.join(d, 'src', 'deep'), { recursive: true });
    fs.writeFileSync(path.join(d, 'src', 'f'), 'f\n');
    fs.writeFileSync(path.join(d, 'src', 'deep', 'g'), 'g\n');
  });
  const before = snapshotTree(w.base);
  const vfs = await w.open();
  try {
    const src = await walk(vfs, 'src');
    await vfs.rename(ME, vfs.root, B('src'), vfs.root, B('dst'), 0);
    assert.equal(await names(vfs, '/'), ['dst']);
    assert.is((await walk(vfs, 'dst')).id, src.id, 'the directory keeps its NodeId');
    assert.equal(await names(vfs, 'dst'), ['deep', 'f']);
    assert.is((await readAll(vfs, (await walk(vfs, 'dst/deep/g')).id)).toString(), 'g\n');
    await rejects(vfs.lookup(ME, vfs.root, B('src')), 'ENOENT');
    assert.ok(isWhiteout(fs.lstatSync(path.join(w.upper, 'src'))));
    assert.is((await getAttribute(path.join(w.upper, 'dst'), OPAQUE_XATTR)).toString(), 'y');
  } finally {
    await vfs.close();
  }
  assert.equal(snapshotTree(w.base), before);
  w.cleanup();
});

t('rmdir of a base directory with base children; whiteout then re-create (file and opaque directory)', async () => {
  const w = world('hostfs', (d) => {
    fs.mkdirSync(path.join(d, 'dir'));
    fs.writeFileSync(path.join(d, 'dir', 'c1'), '1');
    fs.writeFileSync(path.join(d, 'dir', 'c2'), '2');
    fs.writeFileSync(path.join(d, 'f'), 'base f\n');
  });
  const before = snapshotTree(w.base);
  const vfs = await w.open();
  try {
    const dir = await walk(vfs, 'dir');
    await rejects(vfs.rmdir(ME, vfs.root, B('dir')), 'ENOTEMPTY');
    await vfs.unlink(ME, dir.id, B('c1'));
    await vfs.unlink(ME, dir.id, B('c2'));
    assert.equal(await names(vfs, 'dir'), []);
    await vfs.rmdir(ME, vfs.root, B('dir'));
    assert.ok(isWhiteout(fs.lstatSync(path.join(w.upper, 'dir'))), 'dir is a whiteout');
    await vfs.unlink(ME, vfs.root, B('f'));
    assert.equal(await names(vfs, '/'), []);
    // Re-created: a file over its whiteout, a directory (opaque: the base's children stay hidden).
    const { entry, handle } = await vfs.create(ME, vfs.root, B('f'), O_RDWR | 0o100, 0o600);
    await vfs.write(handle, 0n, B('new'));
    await vfs.release(handle);
    assert.is((await readAll(vfs, entry.id)).toString(), 'new');
    await vfs.mkdir(ME, vfs.root, B('dir'), 0o700);
    assert.equal(await names(vfs, 'dir'), [], 'the base children stay deleted');
    assert.equal(await names(vfs, '/'), ['dir', 'f']);
    assert.ok(fs.lstatSync(path.join(w.upper, 'dir')).isDirectory());
    assert.is((await getAttribute(path.join(w.upper, 'dir'), OPAQUE_XATTR)).toString(), 'y');
    assert.is(fs.readFileSync(path.join(w.upper, 'f'), 'utf8'), 'new');
  } finally {
    await vfs.close();
  }
  assert.equal(snapshotTree(w.base), before);
  w.cleanup();
});

t('xattrs: copied up with the file, changed in the layer; the overlay marks are hidden and refused', async () => {
  const w = world('hostfs', (d) => {
    fs.writeFileSync(path.join(d, 'f'), 'x');
    setAttributeSync(path.join(d, 'f'), 'user.kept', Buffer.from('base value'));
  });
  const before = snapshotTree(w.base);
  const vfs = await w.open();
  try {
    const f = await walk(vfs, 'f');
    await vfs.setxattr(ME, f.id, 'user.added', B('new'), 0);
    assert.is((await getAttribute(path.join(w.upper, 'f'), 'user.kept')).toString(), 'base value', 'copied up');
    assert.equal((await vfs.listxattr(ME, f.id)).filter((n) => n.startsWith('user.')).sort(), ['user.added', 'user.kept']);
    await rejects(vfs.setxattr(ME, f.id, OPAQUE_XATTR, B('y'), 0), 'EPERM');
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await setAttribute(path.join(w.upper, 'd'), OPAQUE_XATTR, Buffer.from('y'));
    assert.not.ok((await vfs.listxattr(ME, d.id)).includes(OPAQUE_XATTR));
    await rejects(vfs.getxattr(ME, d.id, OPAQUE_XATTR), 'ENODATA');
  } finally {
    await vfs.close();
  }
  assert.equal(snapshotTree(w.base), before);
  w.cleanup();
});

t('humfs: a chmod and chown of a base file copy it up with its record; deletes white out the record too', async () => {
  const w = world('humfs', () => undefined);
  // Entries with records, made through a plain humfs export of the base.
  const plain = await openExport({ path: w.base, mode: 'humfs' });
  const made = await plain.create(ME, plain.root, B('f'), 0o101, 0o644);
  await plain.release(made.handle);
  await plain.setattr(ME, made.entry.id, { uid: 1234, gid: 567 });
  const g = await plain.create(ME, plain.root, B('g'), 0o101, 0o600);
  await plain.release(g.handle);
  await plain.close();
  makeLayer(w.base, w.layer, 'humfs');
  const before = snapshotTree(w.base);
  const vfs = await w.open();
  try {
    const f = await walk(vfs, 'f');
    assert.is(f.attr.uid, 1234);
    await vfs.setattr(ME, f.id, { mode: 0o4750 });
    const a = await vfs.getattr(f.id);
    assert.is(a.mode & 0o7777, 0o4750);
    assert.is(a.uid, 1234, 'the owner came with the copy');
    assert.is(fs.readFileSync(path.join(w.layer, 'upper', 'file_metadata', 'f'), 'latin1'), `${0o4750} 1234 567\n`);
    await vfs.unlink(ME, vfs.root, B('g'));
    for (const tree of ['data', 'file_metadata']) assert.ok(isWhiteout(fs.lstatSync(path.join(w.layer, 'upper', tree, 'g'))), `${tree}/g is a whiteout`);
    assert.equal(await names(vfs, '/'), ['f']);
  } finally {
    await vfs.close();
  }
  assert.equal(snapshotTree(w.base), before, 'the base, records included, is byte-identical');
  w.cleanup();
});

t('a base changed since the layer was made is refused with the reason; --force serves it', async () => {
  const w = world('hostfs', (d) => fs.writeFileSync(path.join(d, 'f'), 'x'));
  fs.writeFileSync(path.join(w.base, 'later'), 'added behind the layer');
  try {
    await w.open();
    assert.unreachable('served a changed base');
  } catch (e) {
    assert.match(String(e), /changed since the layer was made/);
    assert.match(String(e), /--force/);
  }
  const vfs = await w.open({ cowForce: true });
  assert.equal(await names(vfs, '/'), ['f', 'later']);
  await vfs.close();
  try {
    await openExport({ path: w.base, mode: 'humfs', cow: w.layer });
    assert.unreachable('served in the wrong mode');
  } catch (e) {
    assert.match(String(e), /made for a hostfs base/);
  }
  w.cleanup();
});

t('references: forgotten nodes are dropped (their inner references given back) and keep their NodeId', async () => {
  const w = world('hostfs', (d) => {
    fs.mkdirSync(path.join(d, 'dir'));
    fs.writeFileSync(path.join(d, 'dir', 'f'), 'x');
  });
  const vfs = await w.open();
  try {
    const stats = (): { nodes: number; handles: number } => (vfs as unknown as { stats: { nodes: number; handles: number } }).stats;
    const dir = await vfs.lookup(ME, vfs.root, B('dir'));
    const f = await vfs.lookup(ME, dir.id, B('f'));
    await writeAt(vfs, f.id, 0n, B('y'));
    assert.is(stats().nodes, 3);
    vfs.forget(f.id, 1);
    assert.is(stats().nodes, 2, 'the file is dropped, its directory still referenced');
    vfs.forget(dir.id, 1);
    assert.is(stats().nodes, 1, 'only the root is left');
    const again = await walk(vfs, 'dir/f');
    assert.is(again.id, f.id, 'the copied-up file keeps its NodeId');
    assert.is((await readAll(vfs, again.id)).toString(), 'y');
  } finally {
    await vfs.close();
  }
  w.cleanup();
});

t.run();
