// humfs over 9P, size accounting: Tstatfs reports the superblock's total
// and what is used, and a write or a truncate that would pass the total is
// refused with ENOSPC in every dialect, before a byte of it lands.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_RDWR, P9_SETATTR_SIZE, ORDWR } from '../../../ninep/index.js';
import { dontTouchStat, readFile, walkPath, writeFile, type Client } from '../../../ninep/client/index.js';
import { withServer, type Served } from './harness.js';
import { codeOf, DIALECTS } from './humfs-expect.js';

const TOTAL = 1n << 20n;
const FIRST = Number(TOTAL) - 10_000;

/** The superblock's `used` on disk. */
function usedOnDisk(s: Served): bigint {
  const m = /^used (\d+)$/m.exec(fs.readFileSync(path.join(s.exportDir, 'superblock'), 'latin1'));
  assert.ok(m, 'the superblock has a used line');
  return BigInt((m as RegExpExecArray)[1] as string);
}

/** Waits (polling, without a fixed sleep) until `cond()` holds; the store writes `used` out a little later. */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) assert.unreachable(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('humfs 9P2000.L: statfs reports the superblock total and what the files use', () =>
  withServer({ mode: 'humfs', total: 64n << 20n }, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    const st = await c.statfs(root);
    const bsize = BigInt(st.bsize);
    assert.ok(bsize > 0n);
    assert.is(st.blocks, (64n << 20n) / bsize);
    assert.is(st.bfree, st.blocks, 'nothing used yet');
    assert.is(st.bavail, st.blocks);
    await writeFile(c, root, 'f', Buffer.alloc(1 << 20, 1));
    const after = await c.statfs(root);
    assert.is(after.blocks, st.blocks);
    assert.is(after.bfree, ((64n << 20n) - (1n << 20n)) / bsize);
    await eventually(() => usedOnDisk(s) === 1n << 20n, 'used reaches the superblock');
  }));

/** An opened fid of `name` (created empty when absent) for reading and writing. */
async function openRw(c: Client, root: number, name: string): Promise<number> {
  await writeFile(c, root, name, Buffer.alloc(0));
  const f = await walkPath(c, root, name);
  if (c.dialect.name === '9P2000.L') await c.lopen(f, P9_DOTL_RDWR);
  else await c.open(f, ORDWR);
  return f;
}

/** Sets the size of `fid` in the dialect's way (Tsetattr, or Twstat length). */
async function truncate(c: Client, fid: number, size: bigint): Promise<void> {
  if (c.dialect.name === '9P2000.L') return c.setattr(fid, { valid: P9_SETATTR_SIZE, size });
  const st = dontTouchStat(c.dialect.name === '9P2000.u');
  st.length = size;
  return c.wstat(fid, st);
}

for (const v of DIALECTS) {
  test(`humfs ${v}: a write or truncate past the total is ENOSPC, and nothing written before is lost`, () =>
    withServer({ mode: 'humfs', total: TOTAL }, async (s) => {
      const { c, root } = await s.attached(v, { msize: 65536 });
      const first = Buffer.alloc(FIRST);
      for (let i = 0; i < first.length; i++) first[i] = (i * 31) & 0xff;
      await writeFile(c, root, 'a', first);
      const b = await openRw(c, root, 'b');
      assert.is(await codeOf(c.write(b, 0n, Buffer.alloc(20_000, 2))), 'ENOSPC', 'a write that would pass the total');
      assert.is(fs.statSync(path.join(s.dir, 'b')).size, 0, 'none of the refused write landed');
      assert.is(await codeOf(truncate(c, b, 10_001n)), 'ENOSPC', 'a truncate that would pass the total');
      assert.is(fs.statSync(path.join(s.dir, 'b')).size, 0);
      assert.is(await c.write(b, 0n, Buffer.alloc(10_000, 3)), 10_000, 'exactly the room left fits');
      assert.is(await codeOf(c.write(b, 10_000n, Buffer.from('x'))), 'ENOSPC', 'one byte more does not');
      assert.is(await c.write(b, 5n, Buffer.from('inside')), 6, 'a write inside the file still works when full');
      assert.ok(fs.readFileSync(path.join(s.dir, 'a')).equals(first), 'the earlier data is intact on the host');
      assert.ok((await readFile(c, root, 'a')).equals(first), 'and over 9P');
      // Shrinking gives room back.
      await truncate(c, b, 0n);
      assert.is(await c.write(b, 0n, Buffer.alloc(9_000, 4)), 9_000);
    }));
}

test.run();
