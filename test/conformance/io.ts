// Conformance cases: open, create, read, write, fsync, release, locks,
// xattrs, unlink-while-open.

import * as assert from 'uvu/assert';
import { O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFIFO, XATTR_CREATE, XATTR_REPLACE } from '../../src/types.js';
import { B, ME, readAll, rejects, writeFile, type Case } from './vfs.js';
import { loadNative } from '../../native/index.js';
import { RefLedger } from '../../src/ref-ledger.js';

const GiB = 1n << 30n;

export function registerIoCases(test: Case): void {
  test('create: O_EXCL refuses an existing name, without it the file is opened', async ({ vfs }) => {
    await writeFile(vfs, vfs.root, 'f', 'content');
    await rejects(vfs.create(ME, vfs.root, B('f'), O_CREAT | O_EXCL | O_RDWR, 0o644), 'EEXIST');
    const { entry, handle } = await vfs.create(ME, vfs.root, B('f'), O_CREAT | O_RDWR, 0o600);
    const buf = Buffer.alloc(7);
    assert.is(await vfs.read(handle, 0n, buf), 7);
    assert.is(buf.toString(), 'content');
    await vfs.release(handle);
    assert.is(entry.attr.mode & 0o777, 0o644, 'mode of an existing file is untouched');
    const t = await vfs.create(ME, vfs.root, B('f'), O_CREAT | O_WRONLY | O_TRUNC, 0o644);
    assert.is(t.entry.attr.size, 0n, 'O_TRUNC');
    await vfs.release(t.handle);
  });

  test('open: O_TRUNC, O_APPEND, access modes, and what cannot be opened', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', '0123456789');
    const ro = await vfs.open(ME, f.id, O_RDONLY);
    await rejects(vfs.write(ro, 0n, B('x')), 'EBADF', 'write on O_RDONLY');
    const wo = await vfs.open(ME, f.id, O_WRONLY);
    await rejects(vfs.read(wo, 0n, Buffer.alloc(1)), 'EBADF', 'read on O_WRONLY');
    await vfs.release(wo);
    await vfs.release(ro);
    const ap = await vfs.open(ME, f.id, O_WRONLY | O_APPEND);
    assert.is(await vfs.write(ap, 0n, B('AB')), 2);
    await vfs.release(ap);
    assert.is((await readAll(vfs, f.id)).toString(), '0123456789AB');
    const tr = await vfs.open(ME, f.id, O_RDWR | O_TRUNC);
    assert.is((await vfs.getattr(f.id, tr)).size, 0n);
    await vfs.release(tr);
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await rejects(vfs.open(ME, d.id, O_RDONLY), 'EISDIR', 'directory');
    await rejects(vfs.open(ME, f.id, O_RDONLY | O_DIRECTORY), 'ENOTDIR', 'O_DIRECTORY on a file');
    const l = await vfs.symlink(ME, vfs.root, B('l'), B('f'));
    await rejects(vfs.open(ME, l.id, O_RDONLY), 'ELOOP', 'symlink');
    const p = await vfs.mknod(ME, vfs.root, B('p'), S_IFIFO | 0o644, 0n);
    await rejects(vfs.open(ME, p.id, O_RDONLY), 'ENXIO', 'FIFO');
    await rejects(vfs.read(424242, 0n, Buffer.alloc(1)), 'EBADF', 'unknown handle');
  });

  test('openWithAttr (or open then getattr where a Vfs lacks it): the attributes getattr gives through the handle; with O_TRUNC, after the truncate', async ({ vfs }) => {
    const ledger = new RefLedger(vfs);
    const f = await writeFile(vfs, vfs.root, 'f', '0123456789', 0o640);
    const ro = await ledger.openWithAttr(ME, f.id, O_RDONLY);
    assert.equal(ro.attr, await vfs.getattr(f.id, ro.handle));
    assert.is(ro.attr.size, 10n);
    assert.is(ro.attr.mode, 0o100640);
    assert.is(await vfs.read(ro.handle, 0n, Buffer.alloc(10)), 10, 'the handle reads');
    const tr = await ledger.openWithAttr(ME, f.id, O_RDWR | O_TRUNC);
    assert.is(tr.attr.size, 0n);
    assert.equal(tr.attr, await vfs.getattr(f.id, tr.handle));
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await rejects(ledger.openWithAttr(ME, d.id, O_RDONLY), 'EISDIR', 'directory');
    assert.equal(await ledger.releaseAll(), { handles: 2, refs: 0 }, 'both handles were the ledger\'s to close');
  });

  test(
    'seek: SEEK_DATA and SEEK_HOLE in a sparse file, ENXIO past the end',
    async ({ vfs }) => {
      const { handle } = await vfs.create(ME, vfs.root, B('sparse'), O_CREAT | O_RDWR, 0o644);
      assert.is(await vfs.write(handle, GiB, Buffer.alloc(4096, 1)), 4096);
      assert.is(await vfs.seek(handle, 0n, 'data'), GiB);
      assert.is(await vfs.seek(handle, 0n, 'hole'), 0n);
      assert.is(await vfs.seek(handle, GiB, 'hole'), GiB + 4096n, 'the end of the file is a hole');
      await rejects(vfs.seek(handle, GiB + 4096n, 'data'), 'ENXIO');
      await vfs.release(handle);
      await rejects(vfs.seek(handle, 0n, 'data'), 'EBADF', 'a released handle');
    },
    loadNative().reason,
  );

  test('read and write at offsets above 4 GiB (sparse)', async ({ vfs }) => {
    const { entry, handle } = await vfs.create(ME, vfs.root, B('big'), O_CREAT | O_RDWR, 0o644);
    const far = 5n * GiB + 12345n;
    assert.is(await vfs.write(handle, far, B('far away')), 8);
    assert.is(await vfs.write(handle, 4n * GiB, B('four')), 4);
    const a = await vfs.getattr(entry.id, handle);
    assert.is(a.size, far + 8n);
    assert.ok(a.blocks < 1024n, `sparse: ${a.blocks} blocks`);
    const buf = Buffer.alloc(16);
    assert.is(await vfs.read(handle, far, buf), 8);
    assert.is(buf.subarray(0, 8).toString(), 'far away');
    assert.is(await vfs.read(handle, 4n * GiB, buf.subarray(0, 4)), 4);
    assert.is(buf.subarray(0, 4).toString(), 'four');
    const hole = Buffer.alloc(4, 1);
    assert.is(await vfs.read(handle, 2n * GiB, hole), 4);
    assert.equal([...hole], [0, 0, 0, 0]);
    assert.is(await vfs.read(handle, far + 8n, buf), 0, 'end of file');
    await vfs.fsync(handle, false);
    await vfs.fsync(handle, true);
    await vfs.release(handle);
    await rejects(vfs.read(handle, 0n, buf), 'EBADF', 'released');
    await rejects(vfs.release(handle), 'EBADF', 'released twice');
  });

  test('release while reads are in flight: the reads still see their file', async ({ vfs }) => {
    const data = Buffer.alloc(4 << 20, 0x5a);
    const f = await writeFile(vfs, vfs.root, 'f', data);
    for (let round = 0; round < 5; round++) {
      const h = await vfs.open(ME, f.id, O_RDONLY);
      const bufs = [Buffer.alloc(1 << 20), Buffer.alloc(1 << 20)];
      const reads = bufs.map((b, i) => vfs.read(h, BigInt(i) << 20n, b));
      const released = vfs.release(h);
      // Other opens may take the released descriptor number at once.
      const others = await Promise.all([0, 1, 2].map(() => vfs.open(ME, f.id, O_RDONLY)));
      assert.equal(await Promise.all(reads), [1 << 20, 1 << 20]);
      for (const b of bufs) assert.ok(b.every((x) => x === 0x5a));
      await released;
      await rejects(vfs.read(h, 0n, Buffer.alloc(1)), 'EBADF', 'after release');
      for (const o of others) await vfs.release(o);
    }
  });

  test('unlink while open: getattr, read, write and setattr through the handle', async ({ vfs }) => {
    const { entry, handle } = await vfs.create(ME, vfs.root, B('gone'), O_CREAT | O_RDWR, 0o644);
    await vfs.write(handle, 0n, B('still here'));
    await vfs.unlink(ME, vfs.root, B('gone'));
    await rejects(vfs.lookup(ME, vfs.root, B('gone')), 'ENOENT');
    const a = await vfs.getattr(entry.id, handle);
    assert.is(a.nlink, 0);
    assert.is(a.size, 10n);
    assert.is(await vfs.write(handle, 10n, B('!')), 1);
    const buf = Buffer.alloc(11);
    assert.is(await vfs.read(handle, 0n, buf), 11);
    assert.is(buf.toString(), 'still here!');
    const t = await vfs.setattr(ME, entry.id, { size: 5n, mode: 0o600 }, handle);
    assert.is(t.size, 5n);
    assert.is(t.mode & 0o777, 0o600);
    assert.is((await vfs.getattr(entry.id)).size, 5n, 'the node itself stays reachable');
    await vfs.release(handle);
  });

  test('xattrs: set, get, list, remove, XATTR_CREATE and XATTR_REPLACE', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', '');
    await rejects(vfs.getxattr(ME, f.id, 'user.none'), 'ENODATA', 'absent');
    await vfs.setxattr(ME, f.id, 'user.one', B('1'), 0);
    await vfs.setxattr(ME, f.id, 'user.two', Buffer.from([0, 255, 1]), XATTR_CREATE);
    assert.equal([...(await vfs.getxattr(ME, f.id, 'user.two'))], [0, 255, 1]);
    assert.equal((await vfs.listxattr(ME, f.id)).filter((n) => n.startsWith('user.')).sort(), ['user.one', 'user.two']);
    await rejects(vfs.setxattr(ME, f.id, 'user.one', B('x'), XATTR_CREATE), 'EEXIST', 'create over existing');
    await rejects(vfs.setxattr(ME, f.id, 'user.three', B('x'), XATTR_REPLACE), 'ENODATA', 'replace absent');
    await vfs.setxattr(ME, f.id, 'user.one', B('uno'), XATTR_REPLACE);
    assert.is((await vfs.getxattr(ME, f.id, 'user.one')).toString(), 'uno');
    await vfs.removexattr(ME, f.id, 'user.one');
    await rejects(vfs.removexattr(ME, f.id, 'user.one'), 'ENODATA', 'remove absent');
    assert.equal((await vfs.listxattr(ME, f.id)).filter((n) => n.startsWith('user.')), ['user.two']);
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    await vfs.setxattr(ME, d.id, 'user.dir', B('yes'), 0);
    assert.is((await vfs.getxattr(ME, d.id, 'user.dir')).toString(), 'yes');
    await rejects(vfs.setxattr(ME, f.id, 'user.x', B(''), XATTR_CREATE | XATTR_REPLACE), 'EINVAL', 'both flags');
  });

  test('locks: owners conflict, unlock frees, release drops a handle\'s locks', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'data');
    const h1 = await vfs.open(ME, f.id, O_RDWR);
    const h2 = await vfs.open(ME, f.id, O_RDWR);
    const w = (start: bigint, length: bigint) => ({ type: 'write' as const, start, length, pid: 1 });
    const r = (start: bigint, length: bigint) => ({ type: 'read' as const, start, length, pid: 2 });
    assert.ok(await vfs.setlk(h1, 'A', w(0n, 100n)));
    assert.is(await vfs.setlk(h2, 'B', r(50n, 10n)), false, 'read under another owner\'s write lock');
    const c = await vfs.getlk(h2, 'B', w(90n, 0n));
    assert.ok(c !== null);
    assert.is(c?.owner, 'A');
    assert.is(c?.type, 'write');
    assert.is(c?.start, 0n);
    assert.is(c?.length, 100n);
    assert.is(await vfs.getlk(h1, 'A', w(0n, 10n)), null, 'own locks never conflict');
    assert.ok(await vfs.setlk(h1, 'A', { type: 'unlock', start: 40n, length: 20n, pid: 1 }));
    assert.ok(await vfs.setlk(h2, 'B', r(50n, 10n)), 'the unlocked hole is free');
    assert.ok(await vfs.setlk(h2, 'C', r(45n, 10n)), 'read locks share');
    assert.is(await vfs.setlk(h2, 'C', w(0n, 0n)), false);
    await vfs.release(h1);
    assert.is(await vfs.getlk(h2, 'C', w(0n, 40n)), null, 'release dropped A\'s locks');
    const ro = await vfs.open(ME, f.id, O_RDONLY);
    await rejects(vfs.setlk(ro, 'D', w(0n, 1n)), 'EBADF', 'write lock on a read-only handle');
    await vfs.release(ro);
    await vfs.release(h2);
  });

  test('setlkw: a waiter is woken by an unlock or a release through another handle, and gives up on abort', async ({ vfs }) => {
    const f = await writeFile(vfs, vfs.root, 'f', 'data');
    const h1 = await vfs.open(ME, f.id, O_RDWR);
    const h2 = await vfs.open(ME, f.id, O_RDWR);
    const w = (start: bigint, length: bigint) => ({ type: 'write' as const, start, length, pid: 1 });
    const never = new AbortController().signal;
    // Settled state of a promise after everything already queued has run.
    const state = async <T>(p: Promise<T>): Promise<'pending' | T> => {
      let got: 'pending' | T = 'pending';
      void p.then((v) => (got = v), () => undefined);
      await new Promise((r) => setImmediate(r));
      return got;
    };

    assert.ok(await vfs.setlkw(h1, 'A', w(0n, 10n), never), 'a free range is granted at once');
    const byUnlock = vfs.setlkw(h2, 'B', w(5n, 1n), never);
    assert.is(await state(byUnlock), 'pending', 'waits while A holds the range');
    assert.ok(await vfs.setlk(h1, 'A', { type: 'unlock', start: 0n, length: 0n, pid: 1 }));
    assert.is(await byUnlock, true, 'woken by the unlock');
    assert.is((await vfs.getlk(h1, 'A', w(5n, 1n)))?.owner, 'B', 'B holds it now');

    const byRelease = vfs.setlkw(h1, 'A', w(0n, 0n), never);
    assert.is(await state(byRelease), 'pending');
    await vfs.release(h2);
    assert.is(await byRelease, true, 'woken by the release of the holder\'s handle');

    const h3 = await vfs.open(ME, f.id, O_RDWR);
    const stop = new AbortController();
    const aborted = vfs.setlkw(h3, 'C', w(0n, 1n), stop.signal);
    assert.is(await state(aborted), 'pending');
    stop.abort();
    assert.is(await aborted, false, 'abort ends the wait');
    assert.is(await vfs.setlkw(h3, 'C', w(0n, 1n), stop.signal), false, 'an aborted signal does not wait');
    assert.is((await vfs.getlk(h3, 'C', w(0n, 0n)))?.owner, 'A', 'C got nothing');

    // The waiter's own handle released under it: the wait ends with EBADF.
    const gone = vfs.setlkw(h3, 'C', w(0n, 1n), never);
    assert.is(await state(gone), 'pending');
    await vfs.release(h3);
    await rejects(gone, 'EBADF', 'waiting handle released');
    await vfs.release(h1);
  });
}
