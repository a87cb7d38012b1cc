// The node table over a real host tree: identity, references, the
// descriptor LRU and re-resolution. Plus a scale test through the Vfs.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Host } from '../../src/host/host.js';
import { nullLogger } from '../../src/log.js';
import { NodeTable, type Node } from '../../src/nodes.js';
import { openExport } from '../../src/index.js';
import type { CoreVfs } from '../../src/core.js';
import { B, ME } from '../conformance/vfs.js';
import { openFdCount, tmpExport, type TmpExport } from '../helpers/tmp-export.js';

function withTable(max: number, fn: (t: NodeTable, host: Host, tmp: TmpExport) => Promise<void> | void, remembered = 1000, idleDirs = 0): () => Promise<void> {
  return async () => {
    const tmp = tmpExport('humbridge-nodes-');
    const host = new Host(nullLogger);
    const t = new NodeTable(host, host.openRoot(tmp.dir), max, remembered, idleDirs);
    try {
      await fn(t, host, tmp);
    } finally {
      t.closeAll();
      tmp.cleanup();
    }
  };
}

function look(t: NodeTable, host: Host, parent: Node, name: string): Node {
  const fd = host.openAt(t.fdOf(parent), B(name));
  return t.adopt(parent, B(name), fd, host.fstat(fd));
}

test(
  'ids count up from the root, hard links share a node, and a forgotten file keeps its id',
  withTable(64, (t, host, tmp) => {
    fs.writeFileSync(path.join(tmp.dir, 'a'), 'a');
    fs.linkSync(path.join(tmp.dir, 'a'), path.join(tmp.dir, 'b'));
    assert.is(t.root.id, 1);
    const a = look(t, host, t.root, 'a');
    const b = look(t, host, t.root, 'b');
    assert.is(a, b);
    assert.is(a.refs, 2);
    assert.is(a.name.toString(), 'b', 'the name found last is where it resolves from');
    t.forget(a.id, 2);
    assert.throws(() => t.get(a.id), /ESTALE/);
    assert.is(t.size, 1);
    assert.is(t.remembered, 1);
    const again = look(t, host, t.root, 'a');
    assert.is.not(again, a, 'a new node...');
    assert.is(again.id, a.id, '...with the same id');
    assert.is(t.remembered, 0, 'the record is taken back');
    assert.is(t.size, 2);
    t.forget(t.root.id, 10);
    assert.is(t.get(1), t.root, 'the root is never forgotten');
  }),
);

test(
  'with nothing remembered, a forgotten file comes back with a new id, never an old one',
  withTable(
    64,
    (t, host, tmp) => {
      fs.writeFileSync(path.join(tmp.dir, 'a'), 'a');
      const a = look(t, host, t.root, 'a');
      t.forget(a.id, 1);
      const again = look(t, host, t.root, 'a');
      assert.ok(again.id > a.id);
      assert.is(t.remembered, 0);
    },
    0,
  ),
);

test(
  'a live node whose inode number the host gives to a new file is retired; the new file gets a new node',
  withTable(16, (t, host, tmp) => {
    const file = path.join(tmp.dir, 'f');
    fs.writeFileSync(file, 'old');
    const old = look(t, host, t.root, 'f');
    // Evict its descriptor (live nodes fill the LRU), so nothing keeps the host inode alive.
    for (let i = 0; i < 40; i++) {
      fs.writeFileSync(path.join(tmp.dir, `x${i}`), '');
      look(t, host, t.root, `x${i}`);
    }
    assert.is(old.fd, -1);
    let reused = false;
    for (let i = 0; i < 20 && !reused; i++) {
      fs.rmSync(file);
      fs.writeFileSync(file, 'new');
      reused = fs.statSync(file, { bigint: true }).ino === old.ino;
    }
    const st = fs.statSync(file, { bigint: true });
    const now = look(t, host, t.root, 'f');
    assert.is.not(now.id, old.id);
    assert.is(host.fstat(t.fdOf(now)).size, 3n);
    if (reused && st.birthtimeNs !== 0n && st.birthtimeNs !== old.birthtimeNs) {
      assert.ok(old.gone, 'the old node is retired');
      assert.throws(() => t.fdOf(old), /ESTALE/, 'and never resolves to the new file');
      t.forget(old.id, 1);
      assert.is(t.remembered, 0, 'a retired node leaves no identity behind');
    }
  }),
);

test(
  'removed(): a last name drops the identity, another name keeps it',
  withTable(64, (t, host, tmp) => {
    fs.writeFileSync(path.join(tmp.dir, 'a'), 'a');
    fs.linkSync(path.join(tmp.dir, 'a'), path.join(tmp.dir, 'b'));
    const a = look(t, host, t.root, 'a');
    t.removed(host.lstatAt(t.fdOf(t.root), B('a')));
    assert.not.ok(a.gone, 'nlink 2: still reachable as b');
    t.forget(a.id, 1);
    fs.rmSync(path.join(tmp.dir, 'a'));
    const b = look(t, host, t.root, 'b');
    assert.is(b.id, a.id);
    const st = host.lstatAt(t.fdOf(t.root), B('b'));
    t.detach(b);
    fs.rmSync(path.join(tmp.dir, 'b'));
    t.removed(st);
    assert.ok(b.gone);
    assert.is(t.find(st), undefined, 'no lookup finds it again');
    assert.ok(host.fstat(t.fdOf(b)).nlink === 0, 'its descriptor still works');
    t.forget(b.id, 1);
    assert.is(t.remembered, 0);
  }),
);

test(
  'the LRU bounds cached descriptors; evicted nodes re-resolve through their parents',
  withTable(16, (t, host, tmp) => {
    const nodes: Node[] = [];
    for (let d = 0; d < 5; d++) {
      fs.mkdirSync(path.join(tmp.dir, `d${d}`));
      for (let f = 0; f < 20; f++) fs.writeFileSync(path.join(tmp.dir, `d${d}`, `f${f}`), `${d}/${f}`);
    }
    for (let d = 0; d < 5; d++) {
      const dir = look(t, host, t.root, `d${d}`);
      for (let f = 0; f < 20; f++) nodes.push(look(t, host, dir, `f${f}`));
      t.forget(dir.id, 1);
    }
    assert.is(t.size, 1 + 5 + 100, 'directories stay while their children live');
    assert.ok(t.openDescriptors <= 17, `${t.openDescriptors} descriptors`);
    for (const n of nodes) {
      const st = host.fstat(t.fdOf(n));
      assert.is(st.ino, n.ino);
      assert.ok(t.openDescriptors <= 17);
    }
    for (const n of nodes) t.forget(n.id, 1);
    assert.is(t.size, 1, 'dropping the last child drops its directory');
    assert.is(t.openDescriptors, 1);
  }),
);

test(
  'idle directories: up to idleDirs stay in the table with their ids (not their descriptors); the least recently idle go first; one whose name goes is dropped',
  withTable(
    64,
    (t, host, tmp) => {
      for (const d of ['a', 'b', 'c']) fs.mkdirSync(path.join(tmp.dir, d));
      fs.writeFileSync(path.join(tmp.dir, 'a', 'f'), '');
      const dropped: string[] = [];
      t.dirHooks = { added: () => undefined, dropped: (n) => dropped.push(n.name.toString()) };
      const a = look(t, host, t.root, 'a');
      const f = look(t, host, a, 'f');
      t.forget(a.id, 1);
      t.forget(f.id, 1);
      assert.throws(() => t.get(f.id), /ESTALE/, 'a file is dropped at once');
      assert.is(t.get(a.id), a, 'an idle directory stays');
      assert.is(a.fd, -1, 'without a descriptor');
      assert.is(t.openDescriptors, 1);
      assert.is(look(t, host, t.root, 'a'), a, 'and is found again as the same node');
      t.forget(a.id, 1);
      const b = look(t, host, t.root, 'b');
      t.forget(b.id, 1);
      assert.equal(dropped, []);
      const c = look(t, host, t.root, 'c');
      t.forget(c.id, 1);
      assert.equal(dropped, ['a'], 'past idleDirs the least recently idle is dropped');
      assert.throws(() => t.get(a.id), /ESTALE/);
      assert.is(t.size, 3);
      t.lostName(b);
      assert.equal(dropped, ['a', 'b'], 'an idle directory that lost its name is dropped');
      const st = host.lstatAt(t.fdOf(t.root), B('c'));
      t.detach(c);
      assert.equal(dropped, ['a', 'b', 'c'], 'and so is one detached through the Vfs');
      t.removed(st);
      assert.is(t.size, 1);
      assert.is(t.openDescriptors, 1);
    },
    1000,
    2,
  ),
);

test(
  'a node adopted without a descriptor is stated and opened by name, never through an O_PATH descriptor, and is stale once its name leads elsewhere',
  withTable(64, (t, host, tmp) => {
    fs.writeFileSync(path.join(tmp.dir, 'f'), 'abc');
    const f = t.adopt(t.root, B('f'), -1, host.lstatAt(t.fdOf(t.root), B('f')));
    assert.is(f.fd, -1);
    assert.is(t.openDescriptors, 1, 'only the root');
    assert.is(t.lstatOf(f)?.size, 3n, 'stated by name');
    const opened = t.openByName(f, 0);
    assert.ok(opened !== undefined, 'the addon opens by name');
    assert.is(fs.readFileSync(opened.fd, 'utf8'), 'abc');
    assert.is(opened.st.ino, f.ino);
    fs.closeSync(opened.fd);
    assert.is(t.openDescriptors, 1, 'and still keeps no descriptor of its own');
    assert.is(t.lstatOf(t.root), undefined, 'a node with a descriptor is fstat-ed instead');

    // Replaced on the host by another file, then by a FIFO: stale, and the FIFO neither blocks nor stays open.
    fs.writeFileSync(path.join(tmp.dir, 'g'), 'new');
    fs.renameSync(path.join(tmp.dir, 'g'), path.join(tmp.dir, 'f'));
    assert.throws(() => t.lstatOf(f), /ESTALE/);
    assert.throws(() => t.openByName(f, 0), /ESTALE/);
    fs.unlinkSync(path.join(tmp.dir, 'f'));
    assert.throws(() => t.lstatOf(f), /ESTALE/, 'removed');
    spawnSync('mkfifo', [path.join(tmp.dir, 'f')]);
    const fds = openFdCount();
    assert.throws(() => t.openByName(f, 0), /ESTALE/);
    assert.is(openFdCount(), fds, 'nothing left open');
    fs.unlinkSync(path.join(tmp.dir, 'f'));
    fs.mkdirSync(path.join(tmp.dir, 'f'));
    assert.throws(() => t.openByName(f, fs.constants.O_WRONLY), /ESTALE/, 'a directory now');
    t.forget(f.id, 1);
  }),
);

test(
  'a pinned descriptor is never evicted while an async call uses it',
  withTable(16, async (t, host, tmp) => {
    for (let f = 0; f < 40; f++) fs.writeFileSync(path.join(tmp.dir, `f${f}`), '');
    const first = look(t, host, t.root, 'f0');
    await t.withFd(first, async (fd) => {
      for (let f = 1; f < 40; f++) look(t, host, t.root, `f${f}`);
      await new Promise((r) => setImmediate(r));
      assert.is(first.fd, fd, 'still cached');
      assert.is(host.fstat(fd).ino, first.ino);
    });
    assert.ok(t.openDescriptors <= 17, 'trimmed once unpinned');
  }),
);

test(
  'moves are O(1) for subtrees; a host change under an evicted node is ESTALE',
  withTable(16, (t, host, tmp) => {
    fs.mkdirSync(path.join(tmp.dir, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'a', 'b', 'f'), 'f');
    const a = look(t, host, t.root, 'a');
    const b = look(t, host, a, 'b');
    const f = look(t, host, b, 'f');
    fs.renameSync(path.join(tmp.dir, 'a'), path.join(tmp.dir, 'z'));
    t.move(a, t.root, B('z'));
    for (let i = 0; i < 40; i++) {
      fs.writeFileSync(path.join(tmp.dir, `x${i}`), '');
      look(t, host, t.root, `x${i}`);
    }
    assert.is(f.fd, -1, 'evicted');
    assert.is(host.fstat(t.fdOf(f)).ino, f.ino, 'resolved through the moved parent');
    assert.equal(t.pathOf(f).map(String), ['z', 'b', 'f']);
    for (let i = 0; i < 40; i++) look(t, host, t.root, `x${i}`);
    fs.renameSync(path.join(tmp.dir, 'z', 'b', 'f'), path.join(tmp.outside, 'kept'));
    fs.writeFileSync(path.join(tmp.dir, 'z', 'b', 'f'), 'new');
    assert.is(f.fd, -1);
    assert.throws(() => t.fdOf(f), /ESTALE/);
    t.detach(b);
    assert.ok(b.fd >= 0, 'a detached node keeps its descriptor');
    assert.throws(() => t.fdOf(f), /ESTALE/, 'its children cannot be re-resolved by name');
  }),
);

test('scale: thousands of live nodes with maxCachedFds 32 keep descriptors bounded', async () => {
  const tmp = tmpExport('humbridge-scale-');
  const N = 3000;
  for (let d = 0; d < 30; d++) {
    fs.mkdirSync(path.join(tmp.dir, `d${d}`));
    for (let f = 0; f < N / 30; f++) fs.writeFileSync(path.join(tmp.dir, `d${d}`, `f${f}`), `${d}:${f}`);
  }
  const vfs = (await openExport({ path: tmp.dir, maxCachedFds: 32 })) as CoreVfs;
  try {
    const base = openFdCount();
    const ids: Array<{ id: number; size: bigint }> = [];
    for (let d = 0; d < 30; d++) {
      const dir = await vfs.lookup(ME, vfs.root, B(`d${d}`));
      for (let f = 0; f < N / 30; f++) {
        const e = await vfs.lookup(ME, dir.id, B(`f${f}`));
        ids.push({ id: e.id, size: BigInt(`${d}:${f}`.length) });
      }
    }
    assert.is(vfs.stats.nodes, 1 + 30 + N);
    assert.ok(openFdCount() - base <= 40, `descriptors grew by ${openFdCount() - base}`);
    for (const { id, size } of ids) assert.is((await vfs.getattr(id)).size, size);
    assert.ok(openFdCount() - base <= 40, `after resolving all: grew by ${openFdCount() - base}`);
    assert.ok(vfs.stats.descriptors <= 33);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('a deep chain of evicted directories re-resolves from the nearest cached ancestor', async () => {
  const tmp = tmpExport('humbridge-deep-');
  const vfs = (await openExport({ path: tmp.dir, maxCachedFds: 16 })) as CoreVfs;
  try {
    const chain: number[] = [];
    let parent = vfs.root;
    for (let i = 0; i < 1500; i++) {
      parent = (await vfs.mkdir(ME, parent, B('d'), 0o755)).id;
      chain.push(parent);
    }
    const leaf = await vfs.create(ME, parent, B('leaf'), 0o101, 0o644);
    await vfs.release(leaf.handle);
    assert.ok(vfs.stats.descriptors <= 17);
    assert.is((await vfs.getattr(chain[0] as number)).nlink, 3);
    assert.is((await vfs.getattr(leaf.entry.id)).size, 0n, 'resolved down 1500 names');
    assert.is((await vfs.parent(ME, chain[700] as number)).id, chain[699]);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('concurrent calls on many nodes with a tiny cache: no descriptor is lost under a call', async () => {
  const tmp = tmpExport('humbridge-concurrent-');
  for (let f = 0; f < 200; f++) fs.writeFileSync(path.join(tmp.dir, `f${f}`), `content ${f}`);
  fs.mkdirSync(path.join(tmp.dir, 'd'));
  const vfs = (await openExport({ path: tmp.dir, maxCachedFds: 16 })) as CoreVfs;
  try {
    const work: Array<Promise<void>> = [];
    for (let round = 0; round < 3; round++) {
      for (let f = 0; f < 200; f++) {
        work.push(
          (async () => {
            const e = await vfs.lookup(ME, vfs.root, B(`f${f}`));
            const h = await vfs.open(ME, e.id, 0);
            const buf = Buffer.alloc(64);
            const n = await vfs.read(h, 0n, buf);
            assert.is(buf.subarray(0, n).toString(), `content ${f}`);
            assert.is((await vfs.getattr(e.id)).size, BigInt(n));
            await vfs.release(h);
            vfs.forget(e.id, 1);
          })(),
        );
      }
      const d = await vfs.lookup(ME, vfs.root, B('d'));
      for (let i = 0; i < 50; i++) {
        work.push(
          (async () => {
            const m = await vfs.mkdir(ME, d.id, B(`r${round}-${i}`), 0o755);
            const c = await vfs.create(ME, m.id, B('x'), 0o101, 0o644);
            await vfs.write(c.handle, 0n, B('y'));
            await vfs.release(c.handle);
            vfs.forget(c.entry.id, 1);
            vfs.forget(m.id, 1);
          })(),
        );
      }
    }
    await Promise.all(work);
    assert.ok(vfs.stats.descriptors <= 17 + 1, `${vfs.stats.descriptors} cached descriptors`);
    assert.is(vfs.stats.handles, 0);
    assert.is(fs.readdirSync(path.join(tmp.dir, 'd')).length, 150);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
