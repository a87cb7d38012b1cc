// The humfs store through the Vfs: the exact bytes of every record after
// each operation, hard links sharing one record inode, directory renames
// moving their metadata subtrees, arbitrary owners and special bits,
// placeholder special files, confinement of the metadata trees, permission
// checks against the virtual owner, and `humfsify --check` agreeing with
// what the store leaves on disk.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  makedev,
  O_RDONLY,
  O_RDWR,
  RENAME_EXCHANGE,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
} from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import { B, listNames, ME, readAll, rejects, writeFile } from '../../conformance/vfs.js';
import { tmpExport, waitFor } from '../../helpers/tmp-export.js';
import { humfsifyCheck, makeLayout, openHumfsExport, readMeta } from './humfs-helpers.js';

const who = { uid: 1234, gid: 5678 };

async function withHumfs(fn: (vfs: Vfs, dir: string) => Promise<void>, opts = {}): Promise<void> {
  const tmp = tmpExport('humfs-');
  let vfs: Vfs | null = null;
  try {
    makeLayout(tmp.dir);
    vfs = await openHumfsExport(tmp.dir, opts);
    await fn(vfs, tmp.dir);
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
}

const ino = (dir: string, rel: string): bigint => fs.lstatSync(path.join(dir, rel), { bigint: true }).ino;

/** Every path below the two metadata trees (temporary files would show up here). */
function metaPaths(dir: string): string[] {
  const out: string[] = [];
  const visit = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const r = `${rel}/${name}`;
      out.push(r);
      if (fs.lstatSync(path.join(dir, r)).isDirectory()) visit(r);
    }
  };
  visit('file_metadata');
  visit('dir_metadata');
  return out.sort();
}

test('create, mkdir, mknod, symlink: records hold the caller, the full mode in decimal, the type', async () => {
  await withHumfs(async (vfs, dir) => {
    const f = await vfs.create(who, vfs.root, B('f'), O_RDWR, 0o644);
    await vfs.release(f.handle);
    assert.is(readMeta(dir, 'file_metadata/f'), '420 1234 5678\n');
    assert.is(f.entry.attr.uid, 1234);
    const d = await vfs.mkdir(who, vfs.root, B('d'), 0o2750);
    assert.is(readMeta(dir, 'dir_metadata/d/metadata'), '1512 1234 5678\n');
    assert.ok(fs.statSync(path.join(dir, 'file_metadata/d')).isDirectory(), 'file_metadata/ mirrors the directory');
    assert.is(d.attr.mode, S_IFDIR | 0o2750);
    const tty = await vfs.mknod(who, d.id, B('tty1'), S_IFCHR | 0o620, makedev(4, 1));
    assert.is(readMeta(dir, 'file_metadata/d/tty1'), '400 1234 5678 c 4 1\n');
    assert.is(tty.attr.mode, S_IFCHR | 0o620);
    assert.is(tty.attr.rdev, makedev(4, 1));
    const chowned = await vfs.setattr(ME, tty.id, { uid: 9, mode: 0o600 });
    assert.equal([chowned.mode, chowned.uid, chowned.rdev], [S_IFCHR | 0o600, 9, makedev(4, 1)], 'a change keeps the type and device');
    assert.is(readMeta(dir, 'file_metadata/d/tty1'), '384 9 5678 c 4 1\n');
    const big = await vfs.mknod(who, d.id, B('sda'), S_IFBLK | 0o660, makedev(259, 70000));
    assert.is(readMeta(dir, 'file_metadata/d/sda'), '432 1234 5678 b 259 70000\n');
    assert.is(big.attr.rdev, makedev(259, 70000));
    await vfs.mknod(who, d.id, B('fifo'), S_IFIFO | 0o600, 0n);
    assert.is(readMeta(dir, 'file_metadata/d/fifo'), '384 1234 5678 p 0 0\n');
    await vfs.mknod(who, d.id, B('sock'), S_IFSOCK | 0o666, 0n);
    assert.is(readMeta(dir, 'file_metadata/d/sock'), '438 1234 5678 s 0 0\n');
    const l = await vfs.symlink(who, d.id, B('l'), B('../f'));
    assert.is(readMeta(dir, 'file_metadata/d/l'), '511 1234 5678\n');
    assert.is(l.attr.mode & S_IFMT, S_IFLNK);
    // Special files are empty placeholder regular files the serving user can use.
    for (const name of ['tty1', 'sda', 'fifo', 'sock']) {
      const st = fs.lstatSync(path.join(dir, 'data/d', name));
      assert.ok(st.isFile(), `${name} is a placeholder`);
      assert.is(st.size, 0);
      assert.is(st.mode & 0o7777, 0o644);
      assert.is(st.uid, process.getuid?.());
    }
    assert.is(fs.statSync(path.join(dir, 'data/d')).mode & 0o7777, 0o755, 'host modes stay usable');
    // The same after re-opening: everything comes from the files.
    const names = (await listNames(vfs, d.id)).map(String).sort();
    assert.equal(names, ['fifo', 'l', 'sda', 'sock', 'tty1']);
    const h = await vfs.opendir(ME, d.id);
    const types = Object.fromEntries((await vfs.readdir(h, 0n, 100)).map((e) => [e.name.toString(), e.type]));
    await vfs.releasedir(h);
    assert.equal([types['tty1'], types['sda'], types['fifo'], types['sock'], types['l']], [2, 6, 1, 12, 10], 'readdir shows the virtual types');
    assert.equal(humfsifyCheck(dir), [], 'humfsify --check finds nothing wrong');
  });
});

test('chown to any ids and setuid/setgid/sticky bits live in the record only', async () => {
  await withHumfs(async (vfs, dir) => {
    const f = await writeFile(vfs, vfs.root, 'su', 'x', 0o755);
    const hostBefore = fs.statSync(path.join(dir, 'data/su'));
    let a = await vfs.setattr(ME, f.id, { uid: 4000000000, gid: 7 });
    assert.is(a.uid, 4000000000);
    a = await vfs.setattr(ME, f.id, { mode: 0o4755 });
    assert.is(a.mode, S_IFREG | 0o4755);
    assert.is(readMeta(dir, 'file_metadata/su'), '2541 4000000000 7\n');
    const d = await vfs.mkdir(ME, vfs.root, B('tmp'), 0o755);
    await vfs.setattr(ME, d.id, { mode: 0o1777, gid: 0 });
    assert.is(readMeta(dir, 'dir_metadata/tmp/metadata'), `1023 ${ME.uid} 0\n`);
    await vfs.setattr(ME, vfs.root, { uid: 0, gid: 0, mode: 0o755 });
    assert.is(readMeta(dir, 'dir_metadata/metadata'), '493 0 0\n');
    const hostAfter = fs.statSync(path.join(dir, 'data/su'));
    assert.is(hostAfter.uid, hostBefore.uid, 'the host owner is untouched');
    assert.is(hostAfter.mode, hostBefore.mode, 'the host mode is untouched');
    const l = await vfs.symlink(ME, vfs.root, B('l'), B('su'));
    await vfs.setattr(ME, l.id, { uid: 77, gid: 88 });
    assert.is(readMeta(dir, 'file_metadata/l'), '511 77 88\n');
    assert.is(readMeta(dir, 'file_metadata/su'), '2541 4000000000 7\n', 'the link target is untouched');
  });
});

test('chown clears setuid, and setgid on group-executable files, as the host kernel does', async () => {
  const host = tmpExport('humfs-host-');
  try {
    // What Linux does to a host file, as root, for reference.
    const ref = path.join(host.dir, 'ref');
    fs.writeFileSync(ref, 'x');
    fs.chmodSync(ref, 0o6755);
    fs.chownSync(ref, 1, 1);
    const hostKept = fs.statSync(ref).mode & 0o7777;
    await withHumfs(async (vfs) => {
      const f = await writeFile(vfs, vfs.root, 'prog', 'x', 0o755);
      await vfs.setattr(ME, f.id, { mode: 0o6755 });
      const a = await vfs.setattr(ME, f.id, { uid: 1, gid: 1 });
      assert.is(a.mode & 0o7777, hostKept);
      assert.is(a.mode & 0o7777, 0o755);
      // setgid without group-execute (mandatory-locking marker) stays; chown with a mode sets that mode.
      await vfs.setattr(ME, f.id, { mode: 0o2745 });
      assert.is((await vfs.setattr(ME, f.id, { gid: 2 })).mode & 0o7777, 0o2745);
      assert.is((await vfs.setattr(ME, f.id, { uid: 3, mode: 0o4755 })).mode & 0o7777, 0o4755);
      // Directories keep their bits.
      const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o2775);
      assert.is((await vfs.setattr(ME, d.id, { uid: 5 })).mode & 0o7777, 0o2775);
    });
  } finally {
    host.cleanup();
  }
});

test('a setgid directory gives new entries its group; directories inherit the bit', async () => {
  await withHumfs(async (vfs, dir) => {
    const sg = await vfs.mkdir(ME, vfs.root, B('sg'), 0o2775);
    await vfs.setattr(ME, sg.id, { gid: 3003 });
    const f = await vfs.create(who, sg.id, B('f'), O_RDWR, 0o640);
    await vfs.release(f.handle);
    assert.is(readMeta(dir, 'file_metadata/sg/f'), '416 1234 3003\n');
    await vfs.mkdir(who, sg.id, B('sub'), 0o755);
    assert.is(readMeta(dir, 'dir_metadata/sg/sub/metadata'), `${0o2755} 1234 3003\n`);
  });
});

test('hard links share one record inode, also after chmod and chown; unlink drops one name', async () => {
  await withHumfs(async (vfs, dir) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'shared');
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await vfs.link(ME, f.id, d.id, B('g'));
    await vfs.link(ME, f.id, vfs.root, B('h'));
    assert.is(ino(dir, 'file_metadata/d/g'), ino(dir, 'file_metadata/f'));
    assert.is(ino(dir, 'file_metadata/h'), ino(dir, 'file_metadata/f'));
    assert.is(fs.statSync(path.join(dir, 'file_metadata/f')).nlink, 3);
    await vfs.setattr(ME, f.id, { mode: 0o4711, uid: 99 });
    for (const name of ['f', 'd/g', 'h']) assert.is(readMeta(dir, `file_metadata/${name}`), `${0o4711} 99 ${ME.gid}\n`, name);
    assert.is(ino(dir, 'file_metadata/d/g'), ino(dir, 'file_metadata/f'), 'still one inode after a rewrite');
    assert.is(ino(dir, 'file_metadata/h'), ino(dir, 'file_metadata/f'));
    assert.is(fs.statSync(path.join(dir, 'file_metadata/f')).nlink, 3);
    await vfs.unlink(ME, vfs.root, B('f'));
    assert.is(readMeta(dir, 'file_metadata/f'), null);
    assert.is(fs.statSync(path.join(dir, 'file_metadata/d/g')).nlink, 2);
    const g = await vfs.lookup(ME, d.id, B('g'));
    assert.is(g.attr.uid, 99);
    assert.is((await readAll(vfs, g.id)).toString(), 'shared');
    assert.equal(humfsifyCheck(dir), []);
  });
});

test('rename moves a whole directory\'s metadata subtree, across directories and over an empty directory', async () => {
  await withHumfs(async (vfs, dir) => {
    const a = await vfs.mkdir(who, vfs.root, B('a'), 0o750);
    const b = await vfs.mkdir(ME, a.id, B('b'), 0o700);
    await writeFile(vfs, b.id, 'deep', 'deep', 0o600);
    await vfs.mknod(ME, b.id, B('null'), S_IFCHR | 0o666, makedev(1, 3));
    const x = await vfs.mkdir(ME, vfs.root, B('x'), 0o755);
    await vfs.mkdir(ME, x.id, B('y'), 0o755);
    await vfs.rename(ME, vfs.root, B('a'), x.id, B('y'), 0);
    assert.is(readMeta(dir, 'dir_metadata/x/y/metadata'), '488 1234 5678\n', 'the moved directory keeps its record');
    assert.is(readMeta(dir, 'dir_metadata/x/y/b/metadata'), `448 ${ME.uid} ${ME.gid}\n`);
    assert.is(readMeta(dir, 'file_metadata/x/y/b/deep'), `384 ${ME.uid} ${ME.gid}\n`);
    assert.is(readMeta(dir, 'file_metadata/x/y/b/null'), `438 ${ME.uid} ${ME.gid} c 1 3\n`);
    assert.not.ok(fs.existsSync(path.join(dir, 'dir_metadata/a')), 'nothing left at the old place');
    assert.not.ok(fs.existsSync(path.join(dir, 'file_metadata/a')));
    const deep = await vfs.lookup(ME, b.id, B('null'));
    assert.is(deep.attr.rdev, makedev(1, 3));
    assert.equal(humfsifyCheck(dir), []);
  });
});

test('rename over an existing file replaces its record; EXCHANGE swaps records, a file with a directory too', async () => {
  await withHumfs(async (vfs, dir) => {
    await writeFile(vfs, vfs.root, 'src', 's', 0o600);
    await writeFile(vfs, vfs.root, 'dst', 'd', 0o644);
    const sub = await vfs.mkdir(ME, vfs.root, B('sub'), 0o755);
    await vfs.setattr(ME, (await vfs.lookup(ME, vfs.root, B('src'))).id, { uid: 11 });
    await vfs.rename(ME, vfs.root, B('src'), sub.id, B('dst'), 0);
    await vfs.rename(ME, sub.id, B('dst'), vfs.root, B('dst'), 0);
    assert.is(readMeta(dir, 'file_metadata/dst'), `384 11 ${ME.gid}\n`);
    assert.is(readMeta(dir, 'file_metadata/src'), null);
    assert.is(readMeta(dir, 'file_metadata/sub/dst'), null);
    const d = await vfs.mkdir(who, vfs.root, B('dir'), 0o711);
    await writeFile(vfs, d.id, 'inside', '', 0o640);
    await vfs.rename(ME, vfs.root, B('dst'), vfs.root, B('dir'), RENAME_EXCHANGE);
    assert.is(readMeta(dir, 'file_metadata/dir'), `384 11 ${ME.gid}\n`, 'the file\'s record moved to its new name');
    assert.is(readMeta(dir, 'dir_metadata/dst/metadata'), '457 1234 5678\n', 'the directory\'s record too');
    assert.is(readMeta(dir, `file_metadata/dst/inside`), `416 ${ME.uid} ${ME.gid}\n`, 'with its children');
    assert.is(readMeta(dir, 'dir_metadata/dir/metadata'), null);
    assert.is((await vfs.lookup(ME, vfs.root, B('dst'))).attr.mode, S_IFDIR | 0o711);
    assert.equal(humfsifyCheck(dir), []);
    assert.equal(metaPaths(dir).filter((p) => p.includes('.humbridge-')), [], 'no temporary names left');
  });
});

test('records land in the right folders after a directory is renamed away or removed and made again', async () => {
  await withHumfs(async (vfs, dir) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await writeFile(vfs, d.id, 'f', '', 0o600);
    await vfs.rename(ME, vfs.root, B('d'), vfs.root, B('e'), 0);
    const d2 = await vfs.mkdir(ME, vfs.root, B('d'), 0o700);
    await writeFile(vfs, d2.id, 'g', '', 0o640);
    assert.is(readMeta(dir, 'file_metadata/d/g'), `416 ${ME.uid} ${ME.gid}\n`);
    assert.is(readMeta(dir, 'file_metadata/e/g'), null);
    assert.is(readMeta(dir, 'file_metadata/e/f'), `384 ${ME.uid} ${ME.gid}\n`);
    await vfs.unlink(ME, d2.id, B('g'));
    await vfs.rmdir(ME, vfs.root, B('d'));
    const d3 = await vfs.mkdir(ME, vfs.root, B('d'), 0o750);
    await writeFile(vfs, d3.id, 'h', '', 0o604);
    assert.is(readMeta(dir, 'file_metadata/d/h'), `388 ${ME.uid} ${ME.gid}\n`);
    assert.is(readMeta(dir, 'dir_metadata/d/metadata'), `488 ${ME.uid} ${ME.gid}\n`);
    assert.equal(humfsifyCheck(dir), []);
  });
});

test('unlink and rmdir remove the records; a file open after unlink keeps its owner and mode', async () => {
  await withHumfs(async (vfs, dir) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const { entry, handle } = await vfs.create(who, d.id, B('f'), O_RDWR, 0o640);
    await vfs.unlink(ME, d.id, B('f'));
    assert.is(readMeta(dir, 'file_metadata/d/f'), null);
    // A new file under the old name must not lend its record to the open one.
    await writeFile(vfs, d.id, 'f', 'new', 0o604);
    const a = await vfs.getattr(entry.id, handle);
    assert.is(a.uid, 1234);
    assert.is(a.mode, S_IFREG | 0o640);
    assert.is((await vfs.setattr(ME, entry.id, { mode: 0o600 }, handle)).mode, S_IFREG | 0o600);
    assert.is(readMeta(dir, 'file_metadata/d/f'), `388 ${ME.uid} ${ME.gid}\n`, 'the new file\'s record is untouched');
    await vfs.release(handle);
    await vfs.unlink(ME, d.id, B('f'));
    await vfs.rmdir(ME, vfs.root, B('d'));
    assert.equal(metaPaths(dir), ['dir_metadata/metadata']);
  });
});

test('a removed directory still held keeps its record in memory; a new one of the same name keeps its own', async () => {
  await withHumfs(async (vfs, dir) => {
    const old = await vfs.mkdir(who, vfs.root, B('d'), 0o750);
    await vfs.rmdir(ME, vfs.root, B('d'));
    assert.equal(metaPaths(dir), ['dir_metadata/metadata'], 'its records are gone from disk');
    const fresh = await vfs.mkdir(ME, vfs.root, B('d'), 0o711);
    const a = await vfs.getattr(old.id);
    assert.equal([a.mode, a.uid, a.gid], [S_IFDIR | 0o750, 1234, 5678], 'the removed one shows its own record');
    assert.is((await vfs.setattr(ME, old.id, { mode: 0o700 })).mode, S_IFDIR | 0o700);
    assert.is(readMeta(dir, 'dir_metadata/d/metadata'), `${0o711} ${ME.uid} ${ME.gid}\n`, "the new directory's record is untouched");
    assert.is((await vfs.getattr(fresh.id)).mode, S_IFDIR | 0o711);
    vfs.forget(fresh.id, 1);
    await vfs.rmdir(ME, vfs.root, B('d'));
    // chmod of the removed directory writes nothing at its old path.
    assert.is((await vfs.setattr(ME, old.id, { mode: 0o755 })).mode, S_IFDIR | 0o755);
    assert.equal(metaPaths(dir), ['dir_metadata/metadata']);
    assert.equal(humfsifyCheck(dir), []);
  });
});

test('a node whose name was removed while other hard links remain never reads or writes the record now at that name', async () => {
  await withHumfs(async (vfs, dir) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'x', 0o640);
    await vfs.setattr(ME, f.id, { uid: 1234, gid: 5678 });
    await vfs.link(ME, f.id, vfs.root, B('g'));
    const n = await vfs.lookup(ME, vfs.root, B('f'));
    await vfs.unlink(ME, vfs.root, B('f'));
    const d = await vfs.mkdir(ME, vfs.root, B('f'), 0o700);
    const a = await vfs.getattr(n.id);
    assert.equal([a.mode, a.uid, a.gid, a.nlink], [S_IFREG | 0o640, 1234, 5678, 1], 'its own record, not the directory now named f');
    await rejects(vfs.setattr(ME, n.id, { mode: 0o600 }), 'ESTALE', 'its record is shared with a name the node does not know');
    assert.is(readMeta(dir, 'dir_metadata/f/metadata'), `${0o700} ${ME.uid} ${ME.gid}\n`, "the directory's record is untouched");
    // Found again by its live name, it is served and changed from there.
    assert.is((await vfs.lookup(ME, vfs.root, B('g'))).id, n.id);
    assert.is((await vfs.setattr(ME, n.id, { mode: 0o600 })).mode, S_IFREG | 0o600);
    assert.is(readMeta(dir, 'file_metadata/g'), `${0o600} 1234 5678\n`);
    vfs.forget(d.id, 1);
    assert.equal(humfsifyCheck(dir), []);
  });
});

test('a record replaced on the host is served once its data entry has changed', async () => {
  await withHumfs(async (vfs, dir) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'x', 0o644);
    assert.is((await vfs.getattr(f.id)).uid, ME.uid);
    fs.writeFileSync(path.join(dir, 'file_metadata/f'), '384 4242 4343\n');
    // Any change of the data inode (here its times) moves its ctime, once
    // the filesystem's clock granularity has passed since the last change.
    const data = path.join(dir, 'data/f');
    const before = fs.statSync(data, { bigint: true }).ctimeNs;
    await waitFor(() => {
      fs.utimesSync(data, new Date(), new Date());
      return fs.statSync(data, { bigint: true }).ctimeNs !== before;
    });
    const a = await vfs.getattr(f.id);
    assert.equal([a.mode, a.uid, a.gid], [S_IFREG | 0o600, 4242, 4343]);
  });
});

test('placeholder special files: open fails as ENXIO (never the placeholder\'s bytes), truncate EINVAL', async () => {
  await withHumfs(async (vfs) => {
    const c = await vfs.mknod(ME, vfs.root, B('null'), S_IFCHR | 0o666, makedev(1, 3));
    const p = await vfs.mknod(ME, vfs.root, B('fifo'), S_IFIFO | 0o666, 0n);
    const s = await vfs.mknod(ME, vfs.root, B('sock'), S_IFSOCK | 0o666, 0n);
    for (const [e, what] of [[c, 'device'], [p, 'FIFO'], [s, 'socket']] as const) {
      await rejects(vfs.open(ME, e.id, O_RDONLY), 'ENXIO', what);
      await rejects(vfs.open(ME, e.id, O_RDWR), 'ENXIO', what);
      await rejects(vfs.setattr(ME, e.id, { size: 10n }), 'EINVAL', `truncate ${what}`);
    }
    await rejects(vfs.create(ME, vfs.root, B('null'), O_RDWR, 0o644), 'ENXIO', 'create over a device opens it');
  });
});

test('guests never reach the metadata trees or the superblock', async () => {
  await withHumfs(async (vfs, dir) => {
    assert.equal(await listNames(vfs, vfs.root), [], 'the root is data/');
    await rejects(vfs.lookup(ME, vfs.root, B('file_metadata')), 'ENOENT');
    await rejects(vfs.lookup(ME, vfs.root, B('superblock')), 'ENOENT');
    await rejects(vfs.lookup(ME, vfs.root, B('..')), 'EINVAL');
    assert.is((await vfs.parent(ME, vfs.root)).id, vfs.root);
    // A guest symlink pointing at the metadata is stored, never followed.
    const l = await vfs.symlink(ME, vfs.root, B('up'), B('../file_metadata'));
    await rejects(vfs.lookup(ME, l.id, B('x')), 'ENOTDIR');
    await rejects(vfs.opendir(ME, l.id), 'ENOTDIR');
    // Guest names that look like the trees are plain data entries.
    const fake = await vfs.mkdir(ME, vfs.root, B('file_metadata'), 0o755);
    await writeFile(vfs, fake.id, 'x', 'guest');
    assert.is(readMeta(dir, 'data/file_metadata/x'), 'guest');
    assert.is(readMeta(dir, 'file_metadata/file_metadata/x'), `420 ${ME.uid} ${ME.gid}\n`);
    assert.ok(readMeta(dir, 'superblock')?.startsWith('version 2\n'));
  });
});

test('permission checks use the virtual owner and mode, not the host\'s', async () => {
  const alice = { uid: 5001, gid: 5001 };
  const bob = { uid: 5002, gid: 5002 };
  await withHumfs(
    async (vfs, dir) => {
      await rejects(vfs.create(alice, vfs.root, B('x'), O_RDWR, 0o644), 'EACCES', 'the root is 0755 root:root in its record');
      await vfs.setattr(ME, vfs.root, { mode: 0o777 });
      const priv = await vfs.mkdir(alice, vfs.root, B('priv'), 0o700);
      const f = await vfs.create(alice, priv.id, B('f'), O_RDWR, 0o600);
      await vfs.release(f.handle);
      // On the host the file is 0644 and owned by the serving user.
      assert.is(fs.statSync(path.join(dir, 'data/priv/f')).mode & 0o777, 0o644);
      await rejects(vfs.lookup(bob, priv.id, B('f')), 'EACCES', 'search in alice\'s 0700 directory');
      await rejects(vfs.open(bob, f.entry.id, O_RDONLY), 'EACCES', 'read alice\'s 0600 file');
      const h = await vfs.open(alice, f.entry.id, O_RDWR);
      await vfs.release(h);
      await rejects(vfs.setattr(bob, f.entry.id, { mode: 0o666 }), 'EPERM', 'chmod by a non-owner');
      await vfs.setattr(alice, f.entry.id, { mode: 0o644 });
      const r = await vfs.open(bob, f.entry.id, O_RDONLY);
      await vfs.release(r);
    },
    { access: 'user' },
  );
});

test('many operations in flight at once leave a layout humfsify --check finds consistent', async () => {
  await withHumfs(async (vfs, dir) => {
    const dirs = await Promise.all(['a', 'b', 'c', 'd'].map((n) => vfs.mkdir(who, vfs.root, B(n), 0o755)));
    const ids = dirs.map((d) => d.id);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => writeFile(vfs, ids[i % 4] as number, `f${i}`, String(i), 0o600 + (i % 8))),
    );
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const from = ids[i % 4] as number;
      const to = ids[(i + 1) % 4] as number;
      if (i % 4 === 0) ops.push(vfs.rename(ME, from, B(`f${i}`), to, B(`r${i}`), 0));
      else if (i % 4 === 1) ops.push(vfs.unlink(ME, from, B(`f${i}`)));
      else if (i % 4 === 2) ops.push(vfs.lookup(ME, from, B(`f${i}`)).then((e) => vfs.link(ME, e.id, to, B(`l${i}`))));
      else ops.push(vfs.lookup(ME, from, B(`f${i}`)).then((e) => vfs.setattr(ME, e.id, { uid: i, mode: 0o4700 })));
    }
    ops.push(...ids.map((id) => listNames(vfs, id)));
    await Promise.all(ops);
    assert.equal(humfsifyCheck(dir), []);
    for (let i = 0; i < 200; i++) {
      const parent = ['a', 'b', 'c', 'd'][i % 4] as string;
      const next = ['a', 'b', 'c', 'd'][(i + 1) % 4] as string;
      if (i % 4 === 0) assert.is(readMeta(dir, `file_metadata/${next}/r${i}`), `${0o600 + (i % 8)} ${ME.uid} ${ME.gid}\n`);
      if (i % 4 === 1) assert.is(readMeta(dir, `file_metadata/${parent}/f${i}`), null);
      if (i % 4 === 2) assert.is(ino(dir, `file_metadata/${next}/l${i}`), ino(dir, `file_metadata/${parent}/f${i}`));
      if (i % 4 === 3) assert.is(readMeta(dir, `file_metadata/${parent}/f${i}`), `${0o4700} ${i} ${ME.gid}\n`);
    }
  });
});

test('crash between data step and metadata step: humfsify --check reports it and --repair fixes it', async () => {
  await withHumfs(async (vfs, dir) => {
    const d = await vfs.mkdir(who, vfs.root, B('d'), 0o755);
    await writeFile(vfs, d.id, 'kept', 'k');
    await writeFile(vfs, d.id, 'gone', 'g');
    await vfs.close();
    // create: data first; a crash before the record leaves a data entry without one.
    fs.writeFileSync(path.join(dir, 'data/d/new'), '');
    // unlink: data first; a crash before the record goes leaves an orphan record.
    fs.unlinkSync(path.join(dir, 'data/d/gone'));
    // rename: data first; a crash before the records move leaves both.
    fs.renameSync(path.join(dir, 'data/d/kept'), path.join(dir, 'data/d/moved'));
    // mkdir: data first; the directory has neither its record nor its mirror folder.
    fs.mkdirSync(path.join(dir, 'data/d/sub'));
    // link: data first; the new name has no record.
    fs.linkSync(path.join(dir, 'data/d/moved'), path.join(dir, 'data/d/hard'));
    const found = humfsifyCheck(dir).map((p) => `${p.kind} ${p.path}`).sort();
    assert.equal(found, [
      'missing-mirror-dir file_metadata/d/sub',
      'missing-record dir_metadata/d/sub/metadata',
      'missing-record file_metadata/d/hard',
      'missing-record file_metadata/d/moved',
      'missing-record file_metadata/d/new',
      'orphan file_metadata/d/gone',
      'orphan file_metadata/d/kept',
    ]);
    humfsifyCheck(dir, true);
    assert.equal(humfsifyCheck(dir), [], 'repaired in one pass');
    assert.is(ino(dir, 'file_metadata/d/hard'), ino(dir, 'file_metadata/d/moved'));
    const again = await openHumfsExport(dir);
    try {
      const names = (await listNames(again, (await again.lookup(ME, again.root, B('d'))).id)).map(String).sort();
      assert.equal(names, ['hard', 'moved', 'new', 'sub']);
    } finally {
      await again.close();
    }
  });
});

test('RENAME_EXCHANGE with a file named metadata keeps every directory record in its place', async () => {
  await withHumfs(async (vfs, dir) => {
    const d = await vfs.mkdir(who, vfs.root, B('d'), 0o750);
    const m = await writeFile(vfs, d.id, 'metadata', 'm');
    await vfs.setattr(ME, m.id, { mode: 0o600 });
    await writeFile(vfs, d.id, 'b', 'b');
    await vfs.mkdir(who, d.id, B('sub'), 0o700);
    const dRecord = '488 1234 5678\n';
    assert.is(readMeta(dir, 'dir_metadata/d/metadata'), dRecord);
    // file with file
    await vfs.rename(ME, d.id, B('metadata'), d.id, B('b'), RENAME_EXCHANGE);
    assert.is(readMeta(dir, 'file_metadata/d/b'), '384 0 0\n');
    assert.is(readMeta(dir, 'file_metadata/d/metadata'), '420 0 0\n');
    assert.is(readMeta(dir, 'dir_metadata/d/metadata'), dRecord);
    // a directory may not take the name; the file named metadata may take the directory's
    await rejects(vfs.rename(ME, d.id, B('sub'), d.id, B('metadata'), RENAME_EXCHANGE), 'EINVAL', 'a directory named metadata');
    await rejects(vfs.rename(ME, d.id, B('metadata'), d.id, B('sub'), RENAME_EXCHANGE), 'EINVAL', 'the same swap, named the other way');
    assert.is(readMeta(dir, 'dir_metadata/d/sub/metadata'), '448 1234 5678\n');
    // file with directory (neither named metadata): the directory's folders go with it
    await vfs.rename(ME, d.id, B('b'), d.id, B('sub'), RENAME_EXCHANGE);
    assert.is(readMeta(dir, 'dir_metadata/d/b/metadata'), '448 1234 5678\n');
    assert.is(readMeta(dir, 'file_metadata/d/sub'), '384 0 0\n');
    assert.is(readMeta(dir, 'dir_metadata/d/sub'), null);
    assert.is(readMeta(dir, 'dir_metadata/d/metadata'), dRecord);
    assert.equal(humfsifyCheck(dir), []);
  });
});

test.run();
