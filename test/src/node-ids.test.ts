// NodeIds: a file keeps its NodeId after its node is forgotten (whichever
// name finds it), a deleted file's identity never comes back, and the
// record LRU keeps to its cap. Unit tests of the record LRU, then the same
// guarantees through the Vfs over a real host tree.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NodeIds } from '../../src/node-ids.js';
import { openExport } from '../../src/index.js';
import type { CoreVfs } from '../../src/core.js';
import type { NodeId } from '../../src/types.js';
import { B, ME } from '../conformance/vfs.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';

const gen = (ino: number, btime = 1n, dev = 1n) => ({ dev, ino: BigInt(ino), birthtimeNs: btime });

test('NodeIds: new ids count up; a remembered file takes its id back once', () => {
  const ids = new NodeIds(10);
  const a = ids.take(gen(5));
  const b = ids.take(gen(6));
  assert.is(b, a + 1);
  ids.remember(gen(5), a);
  assert.is(ids.peek(gen(5)), a);
  assert.is(ids.take(gen(5)), a);
  assert.is(ids.remembered, 0);
  assert.is(ids.take(gen(5)), b + 1, 'taken back once: a second live node would be another file');
});

test('NodeIds: another birth time, another device, or a discarded record give a new id', () => {
  const ids = new NodeIds(10);
  const a = ids.take(gen(5, 100n));
  ids.remember(gen(5, 100n), a);
  assert.is(ids.peek(gen(5, 200n)), undefined, 'same inode number, born later: another file');
  assert.is(ids.peek(gen(5, 100n, 2n)), undefined, 'same inode number on another filesystem');
  assert.ok(ids.take(gen(5, 200n)) > a);
  ids.discard(gen(5, 100n));
  assert.ok(ids.take(gen(5, 100n)) > a);
});

test('NodeIds: beyond the cap the least recently forgotten record goes; 0 keeps none', () => {
  const ids = new NodeIds(3);
  const got = [1, 2, 3, 4].map((i) => ids.take(gen(i)));
  got.forEach((id, i) => ids.remember(gen(i + 1), id));
  assert.is(ids.remembered, 3);
  assert.is(ids.peek(gen(1)), undefined, 'the oldest went');
  assert.is(ids.peek(gen(2)), got[1]);
  ids.remember(gen(2), got[1] as NodeId);
  ids.remember(gen(9), ids.take(gen(9)));
  assert.is(ids.peek(gen(3)), undefined, 'remembering again refreshes a record');
  assert.is(ids.peek(gen(2)), got[1]);
  const none = new NodeIds(0);
  none.remember(gen(1), none.take(gen(1)));
  assert.is(none.remembered, 0);
});

async function withVfs(opts: { maxRememberedNodes?: number; maxCachedFds?: number }, fn: (vfs: CoreVfs, tmp: TmpExport) => Promise<void>): Promise<void> {
  const tmp = tmpExport('humbridge-ids-');
  const vfs = (await openExport({ path: tmp.dir, ...opts })) as CoreVfs;
  try {
    await fn(vfs, tmp);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
}

/** Lookup, read the NodeId and attribute ino, and forget the reference again. */
async function idOf(vfs: CoreVfs, name: string, dir = vfs.root): Promise<NodeId> {
  const e = await vfs.lookup(ME, dir, B(name));
  assert.is(e.attr.ino, e.id, 'the attribute ino is the NodeId');
  vfs.forget(e.id, 1);
  return e.id;
}

/** d_ino of `name` in a listing of `dir`. */
async function dirIno(vfs: CoreVfs, dir: NodeId, name: string): Promise<bigint | undefined> {
  const h = await vfs.opendir(ME, dir);
  try {
    return (await vfs.readdir(h, 0n, 1000)).find((e) => e.name.toString() === name)?.ino;
  } finally {
    await vfs.releasedir(h);
  }
}

/** Unlink and create `file` on the host until the new file has inode `ino` (most filesystems reuse it at once). */
function recreateOnHost(file: string, ino: bigint): boolean {
  for (let i = 0; i < 50; i++) {
    fs.rmSync(file);
    fs.writeFileSync(file, 'new');
    if (fs.statSync(file, { bigint: true }).ino === ino) return true;
  }
  return false;
}

test('Vfs: lookup a, forget it fully, lookup its hard link b and a again: one NodeId', () =>
  withVfs({}, async (vfs, tmp) => {
    fs.mkdirSync(path.join(tmp.dir, 'd'));
    fs.writeFileSync(path.join(tmp.dir, 'd', 'a'), 'a');
    fs.linkSync(path.join(tmp.dir, 'd', 'a'), path.join(tmp.dir, 'b'));
    const d = await vfs.lookup(ME, vfs.root, B('d'));
    const a = await idOf(vfs, 'a', d.id);
    vfs.forget(d.id, 1);
    assert.is(vfs.stats.nodes, 1, 'every node but the root was dropped');
    const b = await idOf(vfs, 'b');
    assert.is(b, a, 'the hard link found after a forget shows the same NodeId');
    assert.is(vfs.stats.nodes, 1);
    const dAgain = await vfs.lookup(ME, vfs.root, B('d'));
    assert.is(dAgain.id, d.id, 'a directory keeps its NodeId too');
    assert.is(await idOf(vfs, 'a', dAgain.id), a);
    assert.is(await dirIno(vfs, dAgain.id, 'a'), BigInt(a), 'readdir reports the remembered NodeId as d_ino');
    assert.is(await dirIno(vfs, vfs.root, 'b'), BigInt(a));
    vfs.forget(dAgain.id, 1);
  }));

test('Vfs: a file kept open survives forget, and keeps its NodeId after release', () =>
  withVfs({}, async (vfs, tmp) => {
    fs.writeFileSync(path.join(tmp.dir, 'f'), 'f');
    const e = await vfs.lookup(ME, vfs.root, B('f'));
    const h = await vfs.open(ME, e.id, 0);
    vfs.forget(e.id, 1);
    assert.is((await vfs.getattr(e.id)).ino, e.id);
    await vfs.release(h);
    assert.is(vfs.stats.nodes, 1);
    assert.is(await idOf(vfs, 'f'), e.id);
  }));

test('Vfs: unlink and create again with the same name gives a new NodeId, even on the same host inode', () =>
  withVfs({}, async (vfs, tmp) => {
    // ext4 (and most disk filesystems) hand the freed inode number to the
    // next file at once; tmpfs never does. Either way the NodeId must be new.
    const seen = new Set<NodeId>();
    let prevIno = -1n;
    for (let i = 0; i < 10; i++) {
      const c = await vfs.create(ME, vfs.root, B('f'), 0o101, 0o644);
      await vfs.release(c.handle);
      vfs.forget(c.entry.id, 1);
      const ino = fs.statSync(path.join(tmp.dir, 'f'), { bigint: true }).ino;
      assert.not.ok(seen.has(c.entry.id), `round ${i} (host inode ${ino === prevIno ? 'reused' : 'new'}): an old NodeId came back`);
      seen.add(c.entry.id);
      assert.is(await idOf(vfs, 'f'), c.entry.id, 'the same file keeps it meanwhile');
      await vfs.unlink(ME, vfs.root, B('f'));
      prevIno = ino;
    }
  }));

test('Vfs: rmdir + mkdir, and a file replaced by rename, get new NodeIds', () =>
  withVfs({}, async (vfs, tmp) => {
    const d1 = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    vfs.forget(d1.id, 1);
    await vfs.rmdir(ME, vfs.root, B('d'));
    const d2 = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    vfs.forget(d2.id, 1);
    assert.is.not(d2.id, d1.id);
    fs.writeFileSync(path.join(tmp.dir, 'x'), 'x');
    fs.writeFileSync(path.join(tmp.dir, 'y'), 'y');
    const x = await idOf(vfs, 'x');
    const y = await idOf(vfs, 'y');
    await vfs.rename(ME, vfs.root, B('x'), vfs.root, B('y'), 0);
    assert.is(await idOf(vfs, 'y'), x, 'the moved file keeps its NodeId');
    fs.writeFileSync(path.join(tmp.dir, 'z'), 'z');
    const z = await idOf(vfs, 'z');
    assert.ok(z !== y && z !== x, 'the replaced file left no identity for another to take');
  }));

test('Vfs: unlinking one name of a hard-linked file keeps its NodeId for the other', () =>
  withVfs({}, async (vfs, tmp) => {
    fs.writeFileSync(path.join(tmp.dir, 'a'), 'a');
    fs.linkSync(path.join(tmp.dir, 'a'), path.join(tmp.dir, 'b'));
    const a = await idOf(vfs, 'a');
    await vfs.unlink(ME, vfs.root, B('a'));
    assert.is(await idOf(vfs, 'b'), a);
    const live = await vfs.lookup(ME, vfs.root, B('b'));
    await vfs.unlink(ME, vfs.root, B('b'));
    assert.is((await vfs.getattr(live.id)).nlink, 0, 'a removed file stays usable by its NodeId');
    vfs.forget(live.id, 1);
    assert.is(vfs.stats.nodes, 1);
  }));

test('Vfs: a file deleted and made again on the host, on the same inode, is told apart by its birth time', () =>
  withVfs({}, async (vfs, tmp) => {
    const file = path.join(tmp.dir, 'f');
    fs.writeFileSync(file, 'old');
    const before = fs.statSync(file, { bigint: true });
    const old = await idOf(vfs, 'f');
    const reused = recreateOnHost(file, before.ino);
    const after = fs.statSync(file, { bigint: true });
    const now = await idOf(vfs, 'f');
    if (reused && after.birthtimeNs === before.birthtimeNs) {
      // No birth time on this filesystem (both 0): the documented limit.
      assert.is(now, old);
    } else {
      assert.is.not(now, old);
    }
  }));

test('Vfs: a live node whose host file was replaced behind our back goes stale; the new file gets a new NodeId', () =>
  withVfs({ maxCachedFds: 16 }, async (vfs, tmp) => {
    const file = path.join(tmp.dir, 'f');
    fs.writeFileSync(file, 'old');
    const before = fs.statSync(file, { bigint: true });
    const old = await vfs.lookup(ME, vfs.root, B('f'));
    for (let i = 0; i < 40; i++) {
      fs.writeFileSync(path.join(tmp.dir, `x${i}`), '');
      await vfs.lookup(ME, vfs.root, B(`x${i}`));
    }
    assert.ok(vfs.stats.descriptors <= 17, 'its descriptor was evicted');
    const reused = recreateOnHost(file, before.ino);
    const now = await vfs.lookup(ME, vfs.root, B('f'));
    assert.is.not(now.id, old.id);
    assert.is(now.attr.size, 3n);
    if (reused && fs.statSync(file, { bigint: true }).birthtimeNs !== before.birthtimeNs) {
      await vfs.getattr(old.id).then(
        () => assert.unreachable('the old NodeId must not reach the new file'),
        (e: { code?: string }) => assert.is(e.code, 'ESTALE'),
      );
    }
  }));

test('Vfs: with a tiny cap the oldest forgotten files come back with new NodeIds, never old ones', () =>
  withVfs({ maxRememberedNodes: 2 }, async (vfs, tmp) => {
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(tmp.dir, `f${i}`), '');
    const first: NodeId[] = [];
    for (let i = 0; i < 5; i++) first.push(await idOf(vfs, `f${i}`));
    assert.is(await idOf(vfs, 'f4'), first[4]);
    assert.is(await idOf(vfs, 'f3'), first[3]);
    const back = await idOf(vfs, 'f0');
    assert.ok(back > Math.max(...first), `f0 came back as ${back}: a new NodeId`);
    for (let i = 0; i < 5; i++) {
      const id = await idOf(vfs, `f${i}`);
      assert.ok(i === 0 || !first.includes(id) || id === first[i], `f${i} never shows another file's NodeId`);
    }
  }));

test('Vfs: maxRememberedNodes is validated', async () => {
  const tmp = tmpExport('humbridge-ids-');
  try {
    for (const bad of [-1, 1.5, Number.NaN]) {
      await openExport({ path: tmp.dir, maxRememberedNodes: bad }).then(
        () => assert.unreachable(String(bad)),
        (e: Error) => assert.is(e.name, 'OptionsError'),
      );
    }
    await (await openExport({ path: tmp.dir, maxRememberedNodes: 0 })).close();
  } finally {
    tmp.cleanup();
  }
});

test.run();
