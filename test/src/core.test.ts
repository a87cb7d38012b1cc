// CoreVfs in hostfs mode: the conformance suite, then what is specific to
// the core (permission checks, host changes behind its back, close).

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openExport } from '../../src/index.js';
import { CoreVfs } from '../../src/core.js';
import { SYNC_READ_MAX } from '../../src/core/files.js';
import { O_RDONLY, O_RDWR, O_TRUNC, R_OK, W_OK } from '../../src/types.js';
import type { Vfs } from '../../src/vfs.js';
import { B, ME, NEEDS_ROOT, rejects, writeFile, vfsConformance } from '../conformance/vfs.js';
import { gated } from '../helpers/gate.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';

// The POSIX cases: setuid files and devices as a plain mount allows them
// (the nosuid/nodev defaults are tested in test/ninep/e2e/host-limits.test.ts).
vfsConformance('hostfs', { open: (dir) => openExport({ path: dir, allowSetuid: true, allowDevices: true }) }).run();

async function withExport(opts: { access?: 'client' | 'user'; maxCachedFds?: number }, fn: (vfs: Vfs, tmp: TmpExport) => Promise<void>): Promise<void> {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir, ...opts });
  try {
    await fn(vfs, tmp);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
}

const alice = { uid: 5001, gid: 5001 };
const bob = { uid: 5002, gid: 5002 };

gated(test, 'permission checks: search, read, write by class; root bypass', NEEDS_ROOT, async () => {
  await withExport({ access: 'user' }, async (vfs) => {
    await vfs.setattr(ME, vfs.root, { mode: 0o777 });
    const priv = await vfs.mkdir(alice, vfs.root, B('priv'), 0o700);
    assert.is(priv.attr.uid, alice.uid);
    await writeFile(vfs, priv.id, 'f', 'secret', 0o600);
    await rejects(vfs.lookup(bob, priv.id, B('f')), 'EACCES', 'search in 0700 by another user');
    await rejects(vfs.opendir(bob, priv.id), 'EACCES', 'list 0700 by another user');
    const f = await vfs.lookup(alice, priv.id, B('f'));
    await vfs.setattr(ME, f.id, { uid: alice.uid, gid: alice.gid });
    await rejects(vfs.open(bob, f.id, O_RDONLY), 'EACCES', 'read 0600 by another user');
    const h = await vfs.open(alice, f.id, O_RDWR);
    await vfs.release(h);
    await vfs.access(ME, f.id, R_OK | W_OK);
    await rejects(vfs.create(bob, priv.id, B('g'), 0o101, 0o644), 'EACCES', 'create in a dir bob cannot write');
    await rejects(vfs.setattr(bob, f.id, { mode: 0o777 }), 'EPERM', 'chmod by a non-owner');
    await rejects(vfs.setattr(alice, f.id, { uid: bob.uid }), 'EPERM', 'give away a file');
    await rejects(vfs.setattr(bob, f.id, { mtime: 1n }), 'EPERM', 'explicit times by a non-owner');
    await rejects(vfs.setattr(bob, f.id, { size: 0n }), 'EACCES', 'truncate without write permission');
    assert.is((await vfs.setattr(alice, f.id, { mode: 0o640 })).mode & 0o777, 0o640);
    await rejects(vfs.setxattr(bob, f.id, 'user.x', B('1'), 0), 'EACCES', 'user xattr without write permission');
  });
});

gated(test, 'permission checks: the sticky directory rule for unlink and rename', NEEDS_ROOT, async () => {
  await withExport({ access: 'user' }, async (vfs) => {
    const tmp = await vfs.mkdir(ME, vfs.root, B('tmp'), 0o1777);
    await writeFile(vfs, tmp.id, 'alices', '');
    const a = await vfs.lookup(ME, tmp.id, B('alices'));
    await vfs.setattr(ME, a.id, { uid: alice.uid, gid: alice.gid, mode: 0o666 });
    await rejects(vfs.unlink(bob, tmp.id, B('alices')), 'EPERM', 'bob removes alice\'s file');
    await rejects(vfs.rename(bob, tmp.id, B('alices'), tmp.id, B('mine'), 0), 'EPERM', 'bob renames alice\'s file');
    await vfs.rename(alice, tmp.id, B('alices'), tmp.id, B('renamed'), 0);
    await vfs.unlink(alice, tmp.id, B('renamed'));
  });
});

test('an evicted node whose host inode was replaced answers ESTALE; others re-resolve', async () => {
  await withExport({ maxCachedFds: 16 }, async (vfs, tmp) => {
    const victim = await writeFile(vfs, vfs.root, 'victim', 'v');
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push((await writeFile(vfs, vfs.root, `f${i}`, String(i))).id);
    // Behind the server's back: the name now leads to another inode (the
    // old one is kept elsewhere so its inode number cannot be reused).
    fs.renameSync(path.join(tmp.dir, 'victim'), path.join(tmp.outside, 'kept'));
    fs.writeFileSync(path.join(tmp.dir, 'victim'), 'other');
    await rejects(vfs.getattr(victim.id), 'ESTALE', 'host changed under an evicted node');
    for (let i = 0; i < 40; i++) assert.is((await vfs.getattr(ids[i] as number)).size, BigInt(String(i).length));
    const again = await vfs.lookup(ME, vfs.root, B('victim'));
    assert.is.not(again.id, victim.id, 'the new inode gets a new NodeId');
  });
});

test('reads on both sides of SYNC_READ_MAX, sync opens and read-only closes: the bytes, the errors and the descriptors', async () => {
  await withExport({}, async (vfs, tmp) => {
    const body = Buffer.alloc(SYNC_READ_MAX * 3);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    fs.writeFileSync(path.join(tmp.dir, 'big'), body);
    const before = (vfs as CoreVfs).stats.descriptors;
    const f = await vfs.lookup(ME, vfs.root, B('big'));
    const h = await vfs.open(ME, f.id, O_RDONLY);
    for (const [at, n] of [[0, SYNC_READ_MAX], [1000, SYNC_READ_MAX + 1], [body.length - 10, SYNC_READ_MAX], [body.length, 4]] as const) {
      const into = Buffer.alloc(n);
      const got = await vfs.read(h, BigInt(at), into);
      assert.ok(into.subarray(0, got).equals(body.subarray(at, at + n)), `read ${n} at ${at}`);
    }
    await rejects(vfs.read(h, -1n, Buffer.alloc(16)), 'EINVAL', 'a negative offset on the sync path');
    await rejects(vfs.write(h, 0n, B('x')), 'EBADF', 'write through a read-only handle');
    await vfs.release(h);
    await rejects(vfs.read(h, 0n, Buffer.alloc(16)), 'EBADF', 'read after release');
    await rejects(vfs.open(ME, vfs.root, O_RDONLY), 'EISDIR', 'a directory on the sync open path');
    const w = await vfs.open(ME, f.id, O_RDWR | O_TRUNC);
    assert.is((await vfs.getattr(f.id)).size, 0n, 'O_TRUNC still truncates');
    await vfs.release(w);
    vfs.forget(f.id, 1);
    assert.is((vfs as CoreVfs).stats.descriptors, before, 'every descriptor closed again');
  });
});

test('openExport: read-only wrapping, humfs needs its layout, bad options', async () => {
  const tmp = tmpExport();
  try {
    const ro = await openExport({ path: tmp.dir, readonly: true });
    await rejects(ro.mkdir(ME, ro.root, B('x'), 0o755), 'EROFS');
    await ro.close();
    // A plain directory is not a humfs export (no superblock, no data/).
    await openExport({ path: tmp.dir, mode: 'humfs' }).then(
      () => assert.unreachable('humfs over a plain directory'),
      (e: unknown) => assert.instance(e, Error),
    );
    await openExport({ path: tmp.dir, maxCachedFds: 1 }).then(
      () => assert.unreachable('maxCachedFds'),
      (e: Error) => assert.is(e.name, 'OptionsError'),
    );
    for (const readonly of [false, true]) {
      const v = await openExport({ path: tmp.dir, access: 'user', readonly });
      assert.is(v.accessModel, 'user', 'the Vfs tells its front ends who checks permissions');
      await v.close();
    }
    await openExport({ path: tmp.dir, access: 'everyone' as 'user' }).then(
      () => assert.unreachable('access'),
      (e: Error) => assert.match(e.message, /access must be "client" or "user"/),
    );
    await openExport({ path: path.join(tmp.dir, 'missing') }).then(
      () => assert.unreachable('missing dir'),
      (e: { code?: string }) => assert.is(e.code, 'ENOENT'),
    );
    fs.writeFileSync(path.join(tmp.dir, 'file'), '');
    await openExport({ path: path.join(tmp.dir, 'file') }).then(
      () => assert.unreachable('a file'),
      (e: { code?: string }) => assert.is(e.code, 'ENOTDIR'),
    );
  } finally {
    tmp.cleanup();
  }
});

test('close releases every descriptor and refuses later calls', async () => {
  const tmp = tmpExport();
  try {
    const vfs = await openExport({ path: tmp.dir });
    assert.instance(vfs, CoreVfs);
    const { entry, handle } = await vfs.create(ME, vfs.root, B('f'), 0o102, 0o644);
    const dh = await vfs.opendir(ME, vfs.root);
    assert.ok((vfs as CoreVfs).stats.handles === 2);
    await vfs.close();
    await rejects(vfs.getattr(entry.id), 'ESTALE', 'after close');
    await rejects(vfs.read(handle, 0n, Buffer.alloc(1)), 'ESTALE', 'handle after close');
    await rejects(vfs.readdir(dh, 0n, 1), 'ESTALE', 'dir handle after close');
    vfs.forget(entry.id, 1);
    await vfs.close();
    assert.is((vfs as CoreVfs).stats.descriptors, 0);
  } finally {
    tmp.cleanup();
  }
});

test('getattrByName: a file looked up is stated by its name, with no descriptor; undefined once the name leads elsewhere or nowhere, and for a directory', async () => {
  await withExport({}, async (vfs, tmp) => {
    const core = vfs as CoreVfs;
    fs.writeFileSync(path.join(tmp.dir, 'f'), 'abc');
    fs.mkdirSync(path.join(tmp.dir, 'd'));
    const f = await vfs.lookup(ME, vfs.root, B('f'));
    const d = await vfs.lookup(ME, vfs.root, B('d'));
    const a = await core.getattrByName(f.id);
    assert.is(a?.size, 3n);
    assert.is(a?.ino, f.id);
    assert.is(core.stats.descriptors, 2, 'the root and the directory: the file was not opened');
    assert.is(await core.getattrByName(d.id), undefined, 'a directory is stated through its descriptor');
    fs.writeFileSync(path.join(tmp.dir, 'g'), 'other');
    fs.renameSync(path.join(tmp.dir, 'g'), path.join(tmp.dir, 'f'));
    assert.is(await core.getattrByName(f.id), undefined, 'replaced on the host');
    fs.unlinkSync(path.join(tmp.dir, 'f'));
    assert.is(await core.getattrByName(f.id), undefined, 'removed on the host');
    vfs.forget(f.id, 1);
    vfs.forget(d.id, 1);
  });
});

test.run();
