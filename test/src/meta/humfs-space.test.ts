// humfs space: statfs from the superblock, `used` following every size
// change, ENOSPC at `total` with nothing already written lost, and the
// superblock on disk brought up to date (soon while writing, exactly on close).

import { test } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { O_APPEND, O_RDWR, O_TRUNC, O_WRONLY } from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import { B, ME, readAll, rejects, writeFile } from '../../conformance/vfs.js';
import { tmpExport, waitFor } from '../../helpers/tmp-export.js';
import { makeLayout, openHumfsExport, usedOnDisk } from './humfs-helpers.js';

const KIB = 1024n;

/** An export of `total` whose data/ holds `used` bytes already (one file, `pre`), as its superblock says. */
async function withSized(total: bigint, used: bigint, fn: (vfs: Vfs, dir: string) => Promise<void>): Promise<void> {
  const tmp = tmpExport('humfs-space-');
  let vfs: Vfs | null = null;
  try {
    makeLayout(tmp.dir, total, undefined, used);
    if (used > 0n) {
      fs.writeFileSync(path.join(tmp.dir, 'data', 'pre'), Buffer.alloc(Number(used)));
      fs.writeFileSync(path.join(tmp.dir, 'file_metadata', 'pre'), '420 0 0\n');
    }
    vfs = await openHumfsExport(tmp.dir);
    await fn(vfs, tmp.dir);
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
}

/** Bytes used as statfs shows them (exact when `used` is a multiple of bsize). */
async function statUsed(vfs: Vfs): Promise<bigint> {
  const s = await vfs.statfs(vfs.root);
  return (s.blocks - s.bfree) * BigInt(s.bsize);
}

test('statfs: total is the size, used is used; bavail equals bfree', async () => {
  await withSized(64n * 1024n * KIB, 8n * KIB, async (vfs) => {
    const s = await vfs.statfs(vfs.root);
    assert.is(s.blocks * BigInt(s.bsize), 64n * 1024n * KIB);
    assert.is((s.blocks - s.bfree) * BigInt(s.bsize), 8n * KIB);
    assert.is(s.bavail, s.bfree);
    assert.ok(s.files > 0n, 'inode counts are the host\'s');
  });
});

test('a write that would pass total fails with ENOSPC and loses nothing already written', async () => {
  await withSized(64n * KIB, 0n, async (vfs, dir) => {
    const { entry, handle } = await vfs.create(ME, vfs.root, B('f'), O_RDWR, 0o644);
    const first = Buffer.alloc(40 * 1024, 0x61);
    assert.is(await vfs.write(handle, 0n, first), first.length);
    await rejects(vfs.write(handle, 40n * KIB, Buffer.alloc(30 * 1024, 0x62)), 'ENOSPC', 'past total');
    await rejects(vfs.write(handle, 100n * KIB, B('far')), 'ENOSPC', 'a hole counts too');
    assert.ok((await readAll(vfs, entry.id)).equals(first), 'the file is as it was');
    assert.is(await vfs.write(handle, 0n, Buffer.alloc(40 * 1024, 0x63)), 40 * 1024, 'overwriting takes no space');
    assert.is(await vfs.write(handle, 40n * KIB, Buffer.alloc(24 * 1024, 0x64)), 24 * 1024, 'exactly up to total');
    assert.is(await statUsed(vfs), 64n * KIB);
    assert.is((await vfs.statfs(vfs.root)).bfree, 0n);
    await rejects(vfs.write(handle, 64n * KIB, B('!')), 'ENOSPC', 'one byte more');
    const ap = await vfs.open(ME, entry.id, O_WRONLY | O_APPEND);
    await rejects(vfs.write(ap, 0n, B('!')), 'ENOSPC', 'appending');
    await vfs.release(ap);
    await rejects(writeFile(vfs, vfs.root, 'g', 'x'), 'ENOSPC', 'another file');
    assert.is((await vfs.getattr(entry.id)).size, 64n * KIB);
    await vfs.release(handle);
    await vfs.close();
    assert.is(usedOnDisk(dir), 64n * KIB, 'the superblock is exact after close');
  });
});

test('truncate: extending past total is ENOSPC; shrinking frees space', async () => {
  await withSized(64n * KIB, 0n, async (vfs) => {
    const f = await writeFile(vfs, vfs.root, 'f', Buffer.alloc(10 * 1024, 1));
    await rejects(vfs.setattr(ME, f.id, { size: 65n * KIB }), 'ENOSPC', 'truncate-extend');
    assert.is((await vfs.getattr(f.id)).size, 10n * KIB, 'size unchanged');
    await vfs.setattr(ME, f.id, { size: 64n * KIB });
    assert.is(await statUsed(vfs), 64n * KIB, 'a hole made by truncate counts');
    await vfs.setattr(ME, f.id, { size: 4n * KIB });
    assert.is(await statUsed(vfs), 4n * KIB);
    const h = await vfs.open(ME, f.id, O_RDWR | O_TRUNC);
    await vfs.release(h);
    assert.is(await statUsed(vfs), 0n, 'O_TRUNC frees');
  });
});

test('used follows writes, appends, unlink, hard links and rename over a file; the superblock catches up', async () => {
  await withSized(1024n * KIB, 16n * KIB, async (vfs, dir) => {
    const a = await writeFile(vfs, vfs.root, 'a', Buffer.alloc(8 * 1024, 1));
    await writeFile(vfs, vfs.root, 'b', Buffer.alloc(4 * 1024, 2));
    assert.is(await statUsed(vfs), 28n * KIB, 'starts from what data/ held');
    const ap = await vfs.open(ME, a.id, O_WRONLY | O_APPEND);
    await vfs.write(ap, 0n, Buffer.alloc(4 * 1024, 3));
    await vfs.release(ap);
    assert.is(await statUsed(vfs), 32n * KIB);
    // The superblock follows without a close (written shortly after the change).
    await waitFor(() => usedOnDisk(dir) === 32n * KIB);
    await vfs.link(ME, a.id, vfs.root, B('a2'));
    await vfs.unlink(ME, vfs.root, B('a'));
    assert.is(await statUsed(vfs), 32n * KIB, 'another name keeps the data');
    await vfs.rename(ME, vfs.root, B('b'), vfs.root, B('a2'), 0);
    assert.is(await statUsed(vfs), 20n * KIB, 'the replaced file is freed');
    await vfs.unlink(ME, vfs.root, B('a2'));
    assert.is(await statUsed(vfs), 16n * KIB);
    await vfs.close();
    assert.is(usedOnDisk(dir), 16n * KIB);
  });
});

test('concurrent growing writes to one file are counted once each', async () => {
  await withSized(1024n * KIB, 0n, async (vfs) => {
    const { handle } = await vfs.create(ME, vfs.root, B('f'), O_RDWR, 0o644);
    const chunk = Buffer.alloc(1024, 7);
    await Promise.all(Array.from({ length: 64 }, (_, i) => vfs.write(handle, BigInt(i) * 1024n, chunk)));
    await vfs.release(handle);
    assert.is(await statUsed(vfs), 64n * KIB);
  });
});

test('at open, used is what data/ holds (a crash may have left the superblock behind), and the superblock is corrected', async () => {
  const tmp = tmpExport('humfs-space-');
  let vfs: Vfs | null = null;
  try {
    makeLayout(tmp.dir, 1024n * KIB, undefined, 100n * KIB);
    fs.writeFileSync(path.join(tmp.dir, 'data', 'a'), Buffer.alloc(3000));
    fs.linkSync(path.join(tmp.dir, 'data', 'a'), path.join(tmp.dir, 'data', 'a2'));
    fs.mkdirSync(path.join(tmp.dir, 'data', 'd'));
    fs.writeFileSync(path.join(tmp.dir, 'data', 'd', 'b'), Buffer.alloc(1096));
    fs.symlinkSync('a', path.join(tmp.dir, 'data', 'l'));
    vfs = await openHumfsExport(tmp.dir);
    assert.is(await statUsed(vfs), 4n * KIB, 'sizes of the regular files, a hard-linked one once');
    await waitFor(() => usedOnDisk(tmp.dir) === 4n * KIB);
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
});

test('a read-only export never rewrites the superblock, and still serves what data/ holds', async () => {
  const tmp = tmpExport('humfs-space-');
  let vfs: Vfs | null = null;
  try {
    makeLayout(tmp.dir, 1024n * KIB, undefined, 100n * KIB);
    fs.writeFileSync(path.join(tmp.dir, 'data', 'a'), Buffer.alloc(4096));
    vfs = await openHumfsExport(tmp.dir, { readonly: true });
    assert.is(await statUsed(vfs), 4n * KIB);
    await vfs.close();
    assert.is(usedOnDisk(tmp.dir), 100n * KIB);
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
});

test('a file replaced by a rename while open keeps its bytes counted until it is closed', async () => {
  await withSized(64n * KIB, 0n, async (vfs) => {
    const { entry, handle } = await vfs.create(ME, vfs.root, B('f'), O_RDWR, 0o644);
    await vfs.write(handle, 0n, Buffer.alloc(20 * 1024, 1));
    await writeFile(vfs, vfs.root, 'g', Buffer.alloc(12 * 1024, 2));
    await vfs.rename(ME, vfs.root, B('g'), vfs.root, B('f'), 0);
    assert.is(await statUsed(vfs), 32n * KIB, 'the replaced file is still open');
    await rejects(vfs.write(handle, 20n * KIB, Buffer.alloc(40 * 1024)), 'ENOSPC', 'and its writes count');
    await vfs.write(handle, 20n * KIB, Buffer.alloc(4 * 1024));
    assert.is(await statUsed(vfs), 36n * KIB);
    await vfs.release(handle);
    assert.is(await statUsed(vfs), 12n * KIB, 'closed: freed');
    vfs.forget(entry.id, 1);
  });
});

test('a file unlinked with nothing open is freed once: a truncate, open, write and close through a reference still held (a 9P fid) move nothing', async () => {
  await withSized(64n * KIB, 8n * KIB, async (vfs) => {
    await writeFile(vfs, vfs.root, 'f', Buffer.alloc(4 * 1024, 1));
    assert.is(await statUsed(vfs), 12n * KIB);
    const e = await vfs.lookup(ME, vfs.root, B('f'));
    await vfs.unlink(ME, vfs.root, B('f'));
    assert.is(await statUsed(vfs), 8n * KIB, 'nothing had it open: freed');
    await vfs.setattr(ME, e.id, { size: 0n });
    const h = await vfs.open(ME, e.id, O_WRONLY);
    await vfs.write(h, 0n, Buffer.alloc(8 * 1024, 2));
    assert.is(await statUsed(vfs), 8n * KIB, 'its bytes are no longer counted');
    await vfs.release(h);
    vfs.forget(e.id, 1);
    assert.is(await statUsed(vfs), 8n * KIB, 'and closing it frees nothing more');
  });
});

test.run();
