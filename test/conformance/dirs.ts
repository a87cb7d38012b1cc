// Conformance cases: opendir/readdir with cookies, odd names, statfs.

import fs from 'node:fs';
import * as assert from 'uvu/assert';
import { isWhiteout } from '../../src/cow/layout.js';
import { DT_DIR, DT_LNK, DT_REG } from '../../src/types.js';
import type { DirEntry } from '../../src/types.js';
import { B, listNames, ME, rejects, writeFile, type Case } from './vfs.js';

const key = (b: Buffer) => b.toString('hex');

export function registerDirCases(test: Case): void {
  test('readdir: "." and ".." first, types, d_ino of live nodes, cookies never 0', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const f = await writeFile(vfs, d.id, 'f', '');
    await vfs.symlink(ME, d.id, B('l'), B('f'));
    await vfs.mkdir(ME, d.id, B('sub'), 0o755);
    const h = await vfs.opendir(ME, d.id);
    const all = await vfs.readdir(h, 0n, 100);
    assert.equal(all.slice(0, 2).map((e) => e.name.toString()), ['.', '..']);
    assert.is(all[0]?.ino, BigInt(d.id));
    assert.is(all[1]?.ino, BigInt(vfs.root));
    const byName = new Map(all.map((e) => [e.name.toString(), e] as const));
    assert.is(byName.get('f')?.type, DT_REG);
    assert.is(byName.get('l')?.type, DT_LNK);
    assert.is(byName.get('sub')?.type, DT_DIR);
    assert.is(byName.get('f')?.ino, BigInt(f.id));
    for (const e of all) assert.ok(e.cookie > 0n);
    assert.equal(await vfs.readdir(h, (all[all.length - 1] as DirEntry).cookie, 100), [], 'end');
    assert.is((await vfs.getattr(d.id, h)).ino, d.id, 'getattr through a directory handle');
    assert.equal(await vfs.readdir(h, 0n, 0), [], 'max 0');
    const paged = [...(await vfs.readdir(h, 0n, 1)), ...(await vfs.readdir(h, 1n, 1)), ...(await vfs.readdir(h, 2n, 1))];
    assert.equal(paged.map((e) => e.name.toString()), ['.', '..', (all[2] as DirEntry).name.toString()]);
    await vfs.releasedir(h);
    await rejects(vfs.readdir(h, 0n, 10), 'EBADF', 'released');
    const r = await vfs.opendir(ME, vfs.root);
    const top = await vfs.readdir(r, 0n, 2);
    assert.is(top[1]?.ino, BigInt(vfs.root), 'the root\'s ".." is the root');
    await vfs.releasedir(r);
    await rejects(vfs.opendir(ME, f.id), 'ENOTDIR');
  });

  test('readdir cookies: resumed while entries come and go, each lasting entry seen once', async ({ vfs }) => {
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const names = Array.from({ length: 300 }, (_, i) => `entry-${i}`);
    for (const n of names) await writeFile(vfs, d.id, n, '');
    const h = await vfs.opendir(ME, d.id);
    const seen = new Map<string, number>();
    const removed = new Set<string>();
    let cookie = 0n;
    for (let round = 0; ; round++) {
      const batch = await vfs.readdir(h, cookie, 7);
      if (batch.length === 0) break;
      for (const e of batch) seen.set(key(e.name), (seen.get(key(e.name)) ?? 0) + 1);
      cookie = (batch[batch.length - 1] as DirEntry).cookie;
      // Change the directory between pages: add a new name, remove an old one.
      await writeFile(vfs, d.id, `added-${round}`, '');
      const victim = names[(round * 37) % names.length] as string;
      if (!removed.has(victim)) {
        await vfs.unlink(ME, d.id, B(victim));
        removed.add(victim);
      }
    }
    for (const [k, n] of seen) assert.is(n, 1, `seen twice: ${Buffer.from(k, 'hex').toString()}`);
    for (const n of names) if (!removed.has(n)) assert.ok(seen.has(key(B(n))), `skipped ${n}`);
    await vfs.releasedir(h);

    // A fresh handle resumes from a cookie of the old listing.
    const h2 = await vfs.opendir(ME, d.id);
    const first = await vfs.readdir(h2, 0n, 50);
    await vfs.releasedir(h2);
    const mid = (first[first.length - 1] as DirEntry).cookie;
    const h3 = await vfs.opendir(ME, d.id);
    const rest: DirEntry[] = [];
    for (let c = mid; ; ) {
      const b = await vfs.readdir(h3, c, 64);
      if (b.length === 0) break;
      rest.push(...b);
      c = (b[b.length - 1] as DirEntry).cookie;
    }
    await vfs.releasedir(h3);
    const firstNames = new Set(first.map((e) => key(e.name)));
    for (const e of rest) assert.not.ok(firstNames.has(key(e.name)), 'no repeats across handles');
    const total = (await listNames(vfs, d.id)).length;
    assert.is(first.length - 2 + rest.length, total, 'nothing skipped across handles');
  });

  test('odd names round-trip exactly: spaces, newline, leading dash, non-UTF-8', async ({ vfs, data }) => {
    const odd = [B('with space'), B('new\nline'), B('-rf'), Buffer.from([0x66, 0xff, 0xfe, 0x80]), B('ünïcødé'), Buffer.alloc(255, 0x7a)];
    for (const n of odd) await writeFile(vfs, vfs.root, n, n);
    const listed = await listNames(vfs, vfs.root, 2);
    assert.equal(listed.map(key).sort(), odd.map(key).sort());
    for (const n of odd) {
      const e = await vfs.lookup(ME, vfs.root, n);
      assert.is(e.attr.size, BigInt(n.length));
    }
    // A copy-on-write layer's whiteouts (its deleted base names) are no entries.
    const onHost = fs.readdirSync(data, { encoding: 'buffer' }).filter((n) => !isWhiteout(fs.lstatSync(Buffer.concat([Buffer.from(`${data}/`), n])))).map(key).sort();
    assert.equal(onHost, odd.map(key).sort(), 'the host holds exactly these bytes');
  });

  test('statfs reports the host filesystem', async ({ vfs, data, statfs }) => {
    const s = await vfs.statfs(vfs.root);
    const h = fs.statfsSync(data, { bigint: true });
    assert.is(s.bsize, Number(h.bsize));
    // A store that sizes the export itself (humfs) is checked by its own tests.
    if (statfs === 'host') assert.is(s.blocks, h.blocks);
    assert.is(s.files, h.files);
    assert.is(s.type, Number(h.type));
    assert.ok(s.bfree > 0n && s.bavail <= s.bfree);
    assert.ok(s.namelen >= 255);
  });

  test('every failure is a VfsError with an errno code', async ({ vfs }) => {
    await rejects(vfs.readlink(vfs.root), 'EINVAL');
    await rejects(vfs.getxattr(ME, 99999, 'user.x'), 'ESTALE');
    await rejects(vfs.releasedir(12345), 'EBADF');
    await rejects(vfs.setlk(12345, 'o', { type: 'read', start: 0n, length: 0n, pid: 0 }), 'EBADF');
    await rejects(vfs.mkdir(ME, 99999, B('x'), 0o755), 'ESTALE');
  });
}
