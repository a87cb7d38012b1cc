// Conformance cases: mkdir, mknod, symlink, readlink, link, rename, unlink, rmdir.

import * as assert from 'uvu/assert';
import {
  makedev,
  O_RDWR,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from '../../src/types.js';
import { B, IS_ROOT, listNames, ME, readAll, rejects, writeFile, type Case } from './vfs.js';

export function registerNamespaceCases(test: Case): void {
  test('mkdir: a directory with the asked mode; EEXIST', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o750);
    assert.is(d.attr.mode, S_IFDIR | 0o750);
    assert.is((await vfs.lookup(ME, vfs.root, B('d'))).id, d.id);
    await rejects(vfs.mkdir(ME, vfs.root, B('d'), 0o755), 'EEXIST');
    await writeFile(vfs, vfs.root, 'f', '');
    await rejects(vfs.mkdir(ME, vfs.root, B('f'), 0o755), 'EEXIST', 'over a file');
  });

  test('mknod: FIFO, socket, regular file; devices as root', async ({ vfs }) => {
    const p = await vfs.mknod(ME, vfs.root, B('fifo'), S_IFIFO | 0o640, 0n);
    assert.is(p.attr.mode, S_IFIFO | 0o640);
    const s = await vfs.mknod(ME, vfs.root, B('sock'), S_IFSOCK | 0o600, 0n);
    assert.is(s.attr.mode & S_IFMT, S_IFSOCK);
    const r = await vfs.mknod(ME, vfs.root, B('reg'), S_IFREG | 0o604, 0n);
    assert.is(r.attr.mode, S_IFREG | 0o604);
    assert.is(r.attr.size, 0n);
    await rejects(vfs.mknod(ME, vfs.root, B('fifo'), S_IFIFO | 0o640, 0n), 'EEXIST');
    await rejects(vfs.mknod(ME, vfs.root, B('dir'), S_IFDIR | 0o755, 0n), 'EINVAL', 'directories come from mkdir');
    const names = (await listNames(vfs, vfs.root)).map(String).sort();
    assert.equal(names, ['fifo', 'reg', 'sock'], 'no temporary names left behind');
    if (IS_ROOT) {
      const dev = makedev(1, 3);
      const c = await vfs.mknod(ME, vfs.root, B('null'), S_IFCHR | 0o666, dev);
      assert.is(c.attr.mode, S_IFCHR | 0o666);
      assert.is(c.attr.rdev, dev);
      await rejects(vfs.open(ME, c.id, O_RDWR), 'ENXIO', 'host devices are never opened');
      const big = makedev(300, 70000);
      assert.is((await vfs.mknod(ME, vfs.root, B('big'), 0o060600, big)).attr.rdev, big);
    }
  });

  test('symlink and readlink keep the target bytes; the server never follows them', async ({ vfs }) => {
    const target = Buffer.concat([B('../../some/'), Buffer.from([0xff, 0xfe]), B(' target')]);
    const l = await vfs.symlink(ME, vfs.root, B('l'), target);
    assert.is(l.attr.mode & S_IFMT, S_IFLNK);
    assert.ok((await vfs.readlink(l.id)).equals(target));
    assert.ok((await vfs.readlink((await vfs.lookup(ME, vfs.root, B('l'))).id)).equals(target));
    const f = await writeFile(vfs, vfs.root, 'f', '');
    await rejects(vfs.readlink(f.id), 'EINVAL', 'not a symlink');
    await rejects(vfs.symlink(ME, vfs.root, B('l'), B('x')), 'EEXIST');
    await rejects(vfs.symlink(ME, vfs.root, B('e'), B('')), 'ENOENT', 'empty target');
  });

  test('link: one NodeId for every name, nlink counts; EPERM for directories', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'shared');
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const l = await vfs.link(ME, f.id, d.id, B('g'));
    assert.is(l.id, f.id);
    assert.is(l.attr.nlink, 2);
    assert.is((await vfs.lookup(ME, d.id, B('g'))).id, f.id);
    assert.is((await vfs.getattr(f.id)).nlink, 2);
    await rejects(vfs.link(ME, d.id, vfs.root, B('d2')), 'EPERM', 'directory');
    await rejects(vfs.link(ME, f.id, d.id, B('g')), 'EEXIST');
    await vfs.unlink(ME, vfs.root, B('f'));
    assert.is((await vfs.getattr(f.id)).nlink, 1, 'reachable through the other name');
    assert.is((await readAll(vfs, f.id)).toString(), 'shared');
  });

  test('link answers the attributes of the file it links, not of a fresh name', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'x');
    const set = IS_ROOT ? { mode: 0o600, uid: 1234, gid: 5678 } : { mode: 0o600 };
    const want = await vfs.setattr(ME, f.id, set);
    const l = await vfs.link(ME, f.id, vfs.root, B('g'));
    assert.equal([l.attr.mode, l.attr.uid, l.attr.gid, l.attr.nlink], [want.mode, want.uid, want.gid, 2]);
  });

  test('rename across directories keeps the NodeId', async ({ vfs }) => {
    const a = await vfs.mkdir(ME, vfs.root, B('a'), 0o755);
    const b = await vfs.mkdir(ME, vfs.root, B('b'), 0o755);
    const f = await writeFile(vfs, a.id, 'f', 'moving');
    const sub = await vfs.mkdir(ME, a.id, B('sub'), 0o755);
    const deep = await writeFile(vfs, sub.id, 'deep', 'deep');
    await vfs.rename(ME, a.id, B('f'), b.id, B('g'), 0);
    await rejects(vfs.lookup(ME, a.id, B('f')), 'ENOENT');
    assert.is((await vfs.lookup(ME, b.id, B('g'))).id, f.id);
    assert.is((await readAll(vfs, f.id)).toString(), 'moving');
    await vfs.rename(ME, a.id, B('sub'), b.id, B('moved'), 0);
    assert.is((await vfs.parent(ME, sub.id)).id, b.id);
    assert.is((await readAll(vfs, deep.id)).toString(), 'deep', 'children of a moved directory stay valid');
    assert.is((await vfs.lookup(ME, sub.id, B('deep'))).id, deep.id);
  });

  test('rename over an existing target, NOREPLACE and EXCHANGE', async ({ vfs }) => {
    const x = await writeFile(vfs, vfs.root, 'x', 'X');
    const y = await writeFile(vfs, vfs.root, 'y', 'Y');
    const hy = await vfs.open(ME, y.id, O_RDWR);
    await rejects(vfs.rename(ME, vfs.root, B('x'), vfs.root, B('y'), RENAME_NOREPLACE), 'EEXIST', 'NOREPLACE');
    assert.is((await readAll(vfs, y.id)).toString(), 'Y', 'NOREPLACE changed nothing');
    await vfs.rename(ME, vfs.root, B('x'), vfs.root, B('y'), 0);
    assert.is((await vfs.lookup(ME, vfs.root, B('y'))).id, x.id);
    assert.is((await vfs.getattr(y.id, hy)).nlink, 0, 'the replaced file lives on through its handle');
    await vfs.release(hy);
    await vfs.rename(ME, vfs.root, B('y'), vfs.root, B('z'), RENAME_NOREPLACE);
    assert.is((await vfs.lookup(ME, vfs.root, B('z'))).id, x.id);
    const w = await writeFile(vfs, vfs.root, 'w', 'W');
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await vfs.rename(ME, vfs.root, B('w'), vfs.root, B('z'), RENAME_EXCHANGE);
    assert.is((await vfs.lookup(ME, vfs.root, B('z'))).id, w.id);
    assert.is((await vfs.lookup(ME, vfs.root, B('w'))).id, x.id);
    await vfs.rename(ME, vfs.root, B('d'), vfs.root, B('w'), RENAME_EXCHANGE);
    assert.is((await vfs.lookup(ME, vfs.root, B('w'))).id, d.id, 'a directory and a file exchange');
    assert.is((await vfs.lookup(ME, vfs.root, B('d'))).id, x.id);
    await rejects(vfs.rename(ME, vfs.root, B('d'), vfs.root, B('nothing'), RENAME_EXCHANGE), 'ENOENT', 'EXCHANGE needs both');
    await rejects(vfs.rename(ME, vfs.root, B('d'), vfs.root, B('w'), RENAME_EXCHANGE | RENAME_NOREPLACE), 'EINVAL', 'both flags');
    assert.equal((await listNames(vfs, vfs.root)).map(String).sort(), ['d', 'w', 'z'], 'no temporary names left behind');
  });

  test('rename errors: into itself, non-empty target, type mismatches, missing source', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const inner = await vfs.mkdir(ME, d.id, B('inner'), 0o755);
    await rejects(vfs.rename(ME, vfs.root, B('d'), inner.id, B('x'), 0), 'EINVAL', 'into its own subtree');
    await rejects(vfs.rename(ME, vfs.root, B('d'), d.id, B('x'), 0), 'EINVAL', 'into itself');
    await rejects(vfs.rename(ME, vfs.root, B('d'), d.id, B('inner'), RENAME_EXCHANGE), 'EINVAL', 'exchange with its own child');
    assert.is((await vfs.lookup(ME, vfs.root, B('d'))).id, d.id, 'a failed exchange changes nothing');
    assert.is((await vfs.lookup(ME, d.id, B('inner'))).id, inner.id);
    assert.equal((await listNames(vfs, vfs.root)).map(String), ['d']);
    const full = await vfs.mkdir(ME, vfs.root, B('full'), 0o755);
    await writeFile(vfs, full.id, 'f', '');
    const e = await vfs.mkdir(ME, vfs.root, B('e'), 0o755);
    await rejects(vfs.rename(ME, vfs.root, B('e'), vfs.root, B('full'), 0), 'ENOTEMPTY', 'over a non-empty directory');
    await writeFile(vfs, vfs.root, 'file', '');
    await rejects(vfs.rename(ME, vfs.root, B('e'), vfs.root, B('file'), 0), 'ENOTDIR', 'directory over a file');
    await rejects(vfs.rename(ME, vfs.root, B('file'), vfs.root, B('e'), 0), 'EISDIR', 'file over a directory');
    await rejects(vfs.rename(ME, vfs.root, B('nope'), vfs.root, B('x'), 0), 'ENOENT');
    await vfs.rename(ME, vfs.root, B('e'), vfs.root, B('d2'), 0);
    await vfs.rename(ME, vfs.root, B('d2'), d.id, B('inner'), 0);
    assert.is((await vfs.lookup(ME, d.id, B('inner'))).id, e.id, 'an empty directory is replaced');
  });

  test('unlink and rmdir', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await writeFile(vfs, d.id, 'f', '');
    await rejects(vfs.rmdir(ME, vfs.root, B('d')), 'ENOTEMPTY');
    await rejects(vfs.unlink(ME, vfs.root, B('d')), 'EISDIR');
    await rejects(vfs.rmdir(ME, d.id, B('f')), 'ENOTDIR');
    await vfs.unlink(ME, d.id, B('f'));
    await rejects(vfs.unlink(ME, d.id, B('f')), 'ENOENT');
    await vfs.rmdir(ME, vfs.root, B('d'));
    await rejects(vfs.lookup(ME, vfs.root, B('d')), 'ENOENT');
    const left = await listNames(vfs, d.id).catch(() => []);
    assert.equal(left, [], 'a removed directory lists nothing');
  });
}
