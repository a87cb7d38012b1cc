// Conformance cases: lookup, parent, whereIs, forget and NodeIds, getattr, setattr, access.

import * as assert from 'uvu/assert';
import { S_IFDIR, S_IFMT, S_IFREG, F_OK, R_OK, W_OK, X_OK } from '../../src/types.js';
import { B, IS_ROOT, ME, NEEDS_ROOT, rejects, walk, writeFile, type Case, type Env } from './vfs.js';
import { loadNative } from '../../native/index.js';

const NS = 1_000_000_000n;

export function registerAttrCases(test: Case): void {
  const asRoot = (name: string, fn: (env: Env) => Promise<void>): void => test(name, fn, NEEDS_ROOT);

  test('root: a directory, its own parent, stable attributes', async ({ vfs }) => {
    const a = await vfs.getattr(vfs.root);
    assert.is(a.mode & S_IFMT, S_IFDIR);
    assert.is(a.ino, vfs.root);
    const p = await vfs.parent(ME, vfs.root);
    assert.is(p.id, vfs.root);
  });

  test('lookup finds a child, the same NodeId each time, with ino = NodeId', async ({ vfs }) => {
    const made = await writeFile(vfs, vfs.root, 'f', 'abc');
    const e1 = await vfs.lookup(ME, vfs.root, B('f'));
    const e2 = await vfs.lookup(ME, vfs.root, B('f'));
    assert.is(e1.id, made.id);
    assert.is(e2.id, made.id);
    assert.is(e1.attr.ino, e1.id);
    assert.is(e1.attr.mode & S_IFMT, S_IFREG);
    assert.is(e1.attr.size, 3n);
    assert.is(e1.attr.nlink, 1);
  });

  test('lookup errors: ENOENT, ENOTDIR, EINVAL for bad names, ESTALE for unknown nodes', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'file', 'x');
    await rejects(vfs.lookup(ME, vfs.root, B('missing')), 'ENOENT', 'missing');
    await rejects(vfs.lookup(ME, f.id, B('x')), 'ENOTDIR', 'in a file');
    for (const bad of ['', '.', '..', 'a/b', 'nul\0']) await rejects(vfs.lookup(ME, vfs.root, B(bad)), 'EINVAL', JSON.stringify(bad));
    await rejects(vfs.lookup(ME, vfs.root, Buffer.alloc(256, 0x61)), 'ENAMETOOLONG', 'long');
    await rejects(vfs.getattr(987654), 'ESTALE', 'unknown node');
  });

  test('parent of a nested directory, ENOTDIR for a file', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const e = await vfs.mkdir(ME, d.id, B('e'), 0o755);
    assert.is((await vfs.parent(ME, e.id)).id, d.id);
    assert.is((await vfs.parent(ME, d.id)).id, vfs.root);
    const f = await writeFile(vfs, d.id, 'f', '');
    await rejects(vfs.parent(ME, f.id), 'ENOTDIR');
  });

  test('whereIs: the name a node was last found by, following renames, links and removal', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const f = await writeFile(vfs, vfs.root, 'f', 'x');
    const at = async (id: number): Promise<string> => {
      const w = await vfs.whereIs(id);
      return `${w.parent}/${w.name.toString()}`;
    };
    assert.is(await at(f.id), `${vfs.root}/f`);
    assert.is(await at(d.id), `${vfs.root}/d`);
    await vfs.rename(ME, vfs.root, B('f'), d.id, B('g'), 0);
    assert.is(await at(f.id), `${d.id}/g`, 'after a rename');
    const l = await vfs.link(ME, f.id, vfs.root, B('hard'));
    assert.is(l.id, f.id);
    assert.is(await at(f.id), `${vfs.root}/hard`, 'the name found last');
    await vfs.lookup(ME, d.id, B('g'));
    assert.is(await at(f.id), `${d.id}/g`);
    await rejects(vfs.whereIs(vfs.root), 'EINVAL', 'the root');
    await vfs.unlink(ME, d.id, B('g'));
    await vfs.unlink(ME, vfs.root, B('hard'));
    await rejects(vfs.whereIs(f.id), 'ESTALE', 'every name removed');
  });

  test('forget drops a node; the file keeps its NodeId, which no other file gets', async ({ vfs }) => {
    const seen = new Map<number, string>();
    for (let round = 0; round < 3; round++) {
      for (const n of ['a', 'b', 'c']) {
        if (round === 0) await writeFile(vfs, vfs.root, n, n);
        const e = await vfs.lookup(ME, vfs.root, B(n));
        const prev = seen.get(e.id);
        assert.ok(prev === undefined || prev === n, `NodeId ${e.id} reused for ${n} (was ${prev})`);
        seen.set(e.id, n);
        // create/lookup gave references; give all back.
        vfs.forget(e.id, round === 0 ? 2 : 1);
        await rejects(vfs.getattr(e.id), 'ESTALE', 'forgotten node');
      }
    }
    // The same inode found again gets its old id back each round.
    assert.is(seen.size, 3);
    vfs.forget(vfs.root, 5);
    assert.is((await vfs.getattr(vfs.root)).ino, vfs.root);
  });

  test('setattr: mode keeps the type, size truncates and extends', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'hello world');
    let a = await vfs.setattr(ME, f.id, { mode: 0o4751 });
    assert.is(a.mode, S_IFREG | 0o4751);
    a = await vfs.setattr(ME, f.id, { mode: 0o600 });
    assert.is(a.mode, S_IFREG | 0o600);
    a = await vfs.setattr(ME, f.id, { size: 5n });
    assert.is(a.size, 5n);
    a = await vfs.setattr(ME, f.id, { size: 1n << 33n });
    assert.is(a.size, 1n << 33n);
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    assert.is((await vfs.setattr(ME, d.id, { mode: 0o1777 })).mode, S_IFDIR | 0o1777);
    await rejects(vfs.setattr(ME, d.id, { size: 0n }), 'EISDIR', 'truncate dir');
  });

  test('setattr: explicit times to the microsecond, and now', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', '');
    const at = 1_000_000_000n * NS + 123_456_789n;
    const mt = 1_600_000_000n * NS + 987_654_321n;
    let a = await vfs.setattr(ME, f.id, { atime: at, mtime: mt });
    const close = (x: bigint, y: bigint) => (x > y ? x - y : y - x) < 1000n;
    assert.ok(close(a.atime, at), `atime ${a.atime} vs ${at}`);
    assert.ok(close(a.mtime, mt), `mtime ${a.mtime} vs ${mt}`);
    a = await vfs.setattr(ME, f.id, { mtime: 5n * NS });
    assert.ok(close(a.mtime, 5n * NS));
    assert.ok(close(a.atime, at), 'atime kept when only mtime is set');
    const before = BigInt(Date.now() - 2000) * 1_000_000n;
    a = await vfs.setattr(ME, f.id, { atime: 'now', mtime: 'now' });
    const after = BigInt(Date.now() + 2000) * 1_000_000n;
    assert.ok(a.mtime > before && a.mtime < after, 'mtime now');
    assert.ok(a.atime > before && a.atime < after, 'atime now');
  });

  test(
    'setattr: nanoseconds exactly, and setting one time leaves the other exactly as it was',
    async ({ vfs }) => {
      const f = await writeFile(vfs, vfs.root, 'f', '');
      let a = await vfs.setattr(ME, f.id, { atime: 1_000_000_000n * NS + 123_456_789n, mtime: 1_600_000_000n * NS + 987_654_321n });
      assert.equal([a.atime, a.mtime], [1_000_000_000n * NS + 123_456_789n, 1_600_000_000n * NS + 987_654_321n]);
      a = await vfs.setattr(ME, f.id, { mtime: 5n * NS + 1n });
      assert.equal([a.atime, a.mtime], [1_000_000_000n * NS + 123_456_789n, 5n * NS + 1n]);
      a = await vfs.setattr(ME, f.id, { atime: 'now' });
      assert.is(a.mtime, 5n * NS + 1n, 'mtime kept when only atime is set to now');
      assert.ok(a.atime > 1_600_000_000n * NS);
    },
    loadNative().reason,
  );

  asRoot('setattr: owner and group (as root)', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', '');
    const a = await vfs.setattr(ME, f.id, { uid: 1234, gid: 4321 });
    assert.is(a.uid, 1234);
    assert.is(a.gid, 4321);
    assert.is((await vfs.getattr(f.id)).uid, 1234);
    const l = await vfs.symlink(ME, vfs.root, B('l'), B('f'));
    const la = await vfs.setattr(ME, l.id, { uid: 77 });
    assert.is(la.uid, 77);
    assert.is((await vfs.getattr(f.id)).uid, 1234, 'the link target is untouched');
  });

  asRoot('new entries belong to the caller; a setgid directory gives its group', async ({ vfs }) => {
    const who = { uid: 2001, gid: 2002 };
    const f = await vfs.create(who, vfs.root, B('mine'), 1, 0o640);
    await vfs.release(f.handle);
    assert.is(f.entry.attr.uid, 2001);
    assert.is(f.entry.attr.gid, 2002);
    assert.is(f.entry.attr.mode, S_IFREG | 0o640);
    const d = await vfs.mkdir(ME, vfs.root, B('sg'), 0o2775);
    await vfs.setattr(ME, d.id, { gid: 3003, mode: 0o2775 });
    const sub = await vfs.mkdir(who, d.id, B('sub'), 0o755);
    assert.is(sub.attr.gid, 3003);
    assert.is(sub.attr.mode & 0o2000, 0o2000, 'a directory inherits setgid');
    const s = await vfs.symlink(who, d.id, B('ln'), B('x'));
    assert.is(s.attr.uid, 2001);
    assert.is(s.attr.gid, 3003);
  });

  test('access checks the mode bits for the caller', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', '', 0o640);
    await vfs.access(ME, f.id, F_OK);
    await vfs.access(ME, f.id, R_OK | W_OK);
    await rejects(vfs.access(ME, f.id, X_OK), 'EACCES', 'no x bit at all');
    if (IS_ROOT) {
      const stranger = { uid: 4242, gid: 4242 };
      await rejects(vfs.access(stranger, f.id, R_OK), 'EACCES', 'other has no bits');
      await vfs.access({ uid: 4242, gid: ME.gid }, f.id, R_OK);
      await rejects(vfs.access({ uid: 4242, gid: 1, groups: [ME.gid] }, f.id, W_OK), 'EACCES', 'group has r only');
    }
  });
}
