// The host watcher at the Vfs (src/watch/): host edits become the change
// signal and node identities; the Vfs's own changes do not come back as
// host changes; a spent watch budget is said once and leaves nodes uncovered.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { CoreVfs, O_RDONLY, O_WRONLY, openExport, type Vfs } from '../../src/index.js';
import type { VfsChange } from '../../src/changes.js';
import { tmpExport } from '../helpers/tmp-export.js';
import { rejects } from '../conformance/vfs.js';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const b = (s: string): Buffer => Buffer.from(s);

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) assert.unreachable(`${what}: never seen`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function core(v: Vfs): CoreVfs {
  assert.instance(v, CoreVfs);
  return v as CoreVfs;
}

test('a file replaced by a rename on the host is a new node; the open handle keeps the old one; the change is announced', async () => {
  const tmp = tmpExport();
  fs.writeFileSync(path.join(tmp.dir, 'f'), 'old');
  const vfs = await openExport({ path: tmp.dir, watch: true });
  try {
    const heard: VfsChange[] = [];
    vfs.onChange((c) => heard.push(c));
    const before = await vfs.lookup(me, vfs.root, b('f'));
    assert.ok(vfs.hostChangesSeen?.(before.id));
    const h = await vfs.open(me, before.id, O_RDONLY);
    fs.writeFileSync(path.join(tmp.dir, '.f.tmp'), 'new!');
    fs.renameSync(path.join(tmp.dir, '.f.tmp'), path.join(tmp.dir, 'f'));
    await until(() => heard.some((c) => c.kind === 'entry' && c.node === vfs.root && c.name.equals(b('f'))), 'the entry change');
    const after = await vfs.lookup(me, vfs.root, b('f'));
    assert.is.not(after.id, before.id);
    assert.is(after.attr.size, 4n);
    const buf = Buffer.alloc(10);
    assert.is(buf.subarray(0, await vfs.read(h, 0n, buf)).toString(), 'old');
    await vfs.release(h);
    // Open, the file has a descriptor that tells it is gone for good: the removal names its node.
    const h2 = await vfs.open(me, after.id, O_RDONLY);
    fs.unlinkSync(path.join(tmp.dir, 'f'));
    await until(() => heard.some((c) => c.kind === 'entry' && c.change === 'removed' && c.child === after.id), 'the removal, naming the node');
    await vfs.release(h2);
    // Looked up and never opened, a file has no descriptor (nodes.ts): its removal is announced without naming it.
    fs.writeFileSync(path.join(tmp.dir, 'g'), 'g');
    const g = await vfs.lookup(me, vfs.root, b('g'));
    assert.is(core(vfs).stats.descriptors, 1, 'only the root has a descriptor');
    fs.unlinkSync(path.join(tmp.dir, 'g'));
    await until(() => heard.some((c) => c.kind === 'entry' && c.change === 'removed' && c.name.equals(b('g'))), 'the removal of g');
    assert.ok(!heard.some((c) => c.kind === 'entry' && c.child === g.id));
    await rejects(vfs.getattr(g.id), 'ESTALE');
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('the Vfs\'s own writes and creates are not announced again as host changes', async () => {
  const tmp = tmpExport();
  fs.writeFileSync(path.join(tmp.dir, 'f'), '');
  const vfs = await openExport({ path: tmp.dir, watch: true });
  try {
    const w = core(vfs).watcher;
    assert.ok(w !== undefined);
    const e = await vfs.lookup(me, vfs.root, b('f'));
    const h = await vfs.open(me, e.id, O_WRONLY);
    for (let i = 0; i < 100; i++) await vfs.write(h, BigInt(i * 10), Buffer.alloc(10, 1));
    await vfs.release(h);
    const made = await vfs.create(me, vfs.root, b('g'), O_WRONLY, 0o644);
    await vfs.release(made.handle);
    await until(() => (w?.counts.echoes ?? 0) > 0, 'the echoes');
    await new Promise((r) => setTimeout(r, 100));
    assert.is(w?.counts.announced, 0);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('a burst of the Vfs\'s own creates and removes is recognised by name: no scan of the live nodes per batch', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir, watch: true });
  try {
    const w = core(vfs).watcher;
    assert.ok(w !== undefined);
    // One event-loop turn per call, as a client's requests arrive (creates, closes of empty
    // files and unlinks are answered synchronously: a loop without turns would hold the
    // watcher's batches back past the echo window).
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    for (let i = 0; i < 200; i++) {
      const made = await vfs.create(me, vfs.root, b(`f${i}`), O_WRONLY, 0o644);
      await vfs.release(made.handle);
      await turn();
    }
    for (let i = 0; i < 200; i += 2) {
      await vfs.unlink(me, vfs.root, b(`f${i}`));
      await turn();
    }
    await until(() => (w?.counts.echoes ?? 0) > 0, 'the echoes');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok((w?.counts.echoes ?? 0) >= 50, `echoes ${w?.counts.echoes}`);
    assert.is(w?.counts.scans, 0, 'every event was the server\'s own, by name');
    fs.writeFileSync(path.join(tmp.dir, 'host-made'), 'x');
    await until(() => (w?.counts.announced ?? 0) > 0, 'the host edit');
    assert.ok((w?.counts.scans ?? 0) >= 1, 'a host edit looks at the live nodes');
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('a spent watch budget is warned about once and leaves directories uncovered', async () => {
  const tmp = tmpExport();
  for (const d of ['a', 'b']) fs.mkdirSync(path.join(tmp.dir, d));
  fs.writeFileSync(path.join(tmp.dir, 'a', 'f'), '');
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined };
  const vfs = await openExport({ path: tmp.dir, watch: true, maxWatches: 1, logger });
  try {
    const a = await vfs.lookup(me, vfs.root, b('a'));
    await vfs.lookup(me, vfs.root, b('b'));
    const f = await vfs.lookup(me, a.id, b('f'));
    assert.ok(vfs.hostChangesSeen?.(a.id), 'a is in the watched root');
    assert.not.ok(vfs.hostChangesSeen?.(f.id), 'a itself is not watched');
    assert.equal(core(vfs).watcher?.watches, { watched: 1, unwatched: 2 });
    assert.is(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] as string, /watch budget/);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});


test('a directory nothing needs stays watched while idle (a client walking every path from the root), and goes with its name', async () => {
  const tmp = tmpExport();
  fs.mkdirSync(path.join(tmp.dir, 'd'));
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(tmp.dir, 'd', `f${i}`), '');
  const vfs = await openExport({ path: tmp.dir, watch: true });
  try {
    const w = core(vfs).watcher;
    assert.ok(w !== undefined);
    let dirId = 0;
    for (let i = 0; i < 20; i++) {
      const d = await vfs.lookup(me, vfs.root, b('d'));
      const f = await vfs.lookup(me, d.id, b(`f${i}`));
      vfs.forget(f.id, 1);
      vfs.forget(d.id, 1);
      if (i === 0) dirId = d.id;
      assert.is(d.id, dirId);
    }
    assert.equal(core(vfs).stats, { nodes: 1, idle: 1, descriptors: 1, handles: 0 }, 'the root, and the idle directory without a descriptor');
    assert.equal(w.watches, { watched: 2, unwatched: 0 });
    const heard: VfsChange[] = [];
    vfs.onChange((c) => heard.push(c));
    fs.writeFileSync(path.join(tmp.dir, 'd', 'new'), 'x');
    await until(() => heard.some((c) => c.kind === 'entry' && c.node === dirId), 'the host edit in the idle directory');
    fs.rmSync(path.join(tmp.dir, 'd'), { recursive: true });
    await until(() => core(vfs).stats.idle === 0, 'the idle directory dropped once its name went');
    assert.equal(w.watches, { watched: 1, unwatched: 0 });
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
