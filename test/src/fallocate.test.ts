// Vfs.fallocate (util-linux fallocate(1) on the handle's descriptor) and
// Vfs.copyRange (a read/write loop), on real exports: sizes on the host,
// write rules (read-only handles, setuid clearing, read-only exports),
// change signals, humfs space accounting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { openExport, ReadOnlyVfs, VfsError, O_RDONLY, O_RDWR, O_WRONLY, type Vfs } from '../../src/index.js';
import type { VfsChange } from '../../src/changes.js';
import { gated, needProgram } from '../helpers/gate.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { openHumfsExport } from './meta/humfs-helpers.js';

const missing = needProgram('fallocate', 'util-linux');
const root = { uid: 0, gid: 0 };
let tmp: TmpExport;
let vfs: Vfs;

test.before.each(async () => {
  tmp = tmpExport('humbridge-fallocate-');
  fs.writeFileSync(path.join(tmp.dir, 'f'), Buffer.alloc(8192, 1));
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
});
test.after.each(async () => {
  await vfs.close();
  tmp.cleanup();
});

async function openF(v: Vfs, name: string, flags: number, cred = root): Promise<{ id: number; h: number }> {
  const e = await v.lookup(cred, v.root, Buffer.from(name));
  return { id: e.id, h: await v.open(cred, e.id, flags) };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, VfsError);
    return (e as VfsError).code;
  }
  return 'resolved';
}

gated(test, 'mode 0 past the end grows the file; KEEP_SIZE and PUNCH_HOLE keep the size; a change is announced', missing, async () => {
  const heard: VfsChange[] = [];
  vfs.onChange((c) => heard.push(c));
  const { id, h } = await openF(vfs, 'f', O_RDWR);
  await vfs.fallocate(h, 0, 0n, 1n << 20n);
  assert.is(fs.statSync(path.join(tmp.dir, 'f')).size, 1 << 20);
  await vfs.fallocate(h, 0x01, 0n, 2n << 20n);
  assert.is(fs.statSync(path.join(tmp.dir, 'f')).size, 1 << 20);
  await vfs.fallocate(h, 0x03, 0n, 4096n);
  assert.equal(fs.readFileSync(path.join(tmp.dir, 'f')).subarray(0, 4097), Buffer.concat([Buffer.alloc(4096), Buffer.from([1])]));
  assert.ok(heard.filter((c) => c.kind === 'data' && c.node === id).length >= 3);
  assert.is(await code(vfs.fallocate(h, 0x04, 0n, 4096n)), 'ENOTSUP');
  assert.is(await code(vfs.fallocate(h, 0, 0n, 0n)), 'EINVAL');
  await vfs.release(h);
  const ro = await openF(vfs, 'f', O_RDONLY);
  assert.is(await code(vfs.fallocate(ro.h, 0, 0n, 4096n)), 'EBADF');
  await vfs.release(ro.h);
});

gated(test, 'a non-root fallocate clears setuid as a write does; a read-only export is EROFS', missing, async () => {
  fs.chmodSync(path.join(tmp.dir, 'f'), 0o4755);
  const user = { uid: 1000, gid: 1000 };
  const { h } = await openF(vfs, 'f', O_WRONLY, user);
  await vfs.fallocate(h, 0, 0n, 65536n);
  assert.is(fs.statSync(path.join(tmp.dir, 'f')).mode & 0o7777, 0o755);
  await vfs.release(h);
  const ro: Vfs = new ReadOnlyVfs(vfs);
  assert.is(await code(ro.fallocate(1, 0, 0n, 1n)), 'EROFS');
  assert.is(await code(ro.copyRange(1, 0n, 2, 0n, 1n)), 'EROFS');
});

gated(test, 'humfs: fallocate growth is counted in the superblock', missing, async () => {
  const dir = path.join(tmp.outside, 'humfs');
  fs.mkdirSync(dir);
  const h = await openHumfsExport(dir);
  try {
    const { entry, handle } = await h.create(root, h.root, Buffer.from('g'), O_RDWR, 0o644);
    const used = async (): Promise<bigint> => {
      const s = await h.statfs(h.root);
      return (s.blocks - s.bfree) * BigInt(s.bsize);
    };
    const before = await used();
    await h.fallocate(handle, 0, 0n, 1n << 20n);
    assert.is((await h.getattr(entry.id, handle)).size, 1n << 20n);
    const after = await used();
    assert.ok(after >= before + (1n << 20n) - 4096n, `used ${before} -> ${after}`);
    await h.release(handle);
    h.forget(entry.id, 1);
  } finally {
    await h.close();
  }
});

test('copyRange copies in chunks, stops at the end of the input and announces the output', async () => {
  const src = Buffer.alloc(2.5 * 1024 * 1024);
  for (let i = 0; i < src.length; i++) src[i] = i & 0xff;
  fs.writeFileSync(path.join(tmp.dir, 'src'), src);
  const heard: VfsChange[] = [];
  vfs.onChange((c) => heard.push(c));
  const a = await openF(vfs, 'src', O_RDONLY);
  const { entry, handle } = await vfs.create(root, vfs.root, Buffer.from('dst'), O_WRONLY, 0o644);
  assert.is(await vfs.copyRange(a.h, 100n, handle, 10n, 10n << 20n), BigInt(src.length - 100));
  const out = fs.readFileSync(path.join(tmp.dir, 'dst'));
  assert.equal(out.subarray(10), src.subarray(100));
  assert.ok(heard.some((c) => c.kind === 'data' && c.node === entry.id));
  assert.is(await vfs.copyRange(a.h, BigInt(src.length), handle, 0n, 100n), 0n);
  assert.is(await code(vfs.copyRange(handle, 0n, a.h, 0n, 10n)), 'EBADF');
  await vfs.release(a.h);
  await vfs.release(handle);
});

test.run();
