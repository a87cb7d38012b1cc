// walk(5) on the real server: clone, partial walks, "..", newfid == fid,
// MAXWELEM, walking from an opened fid.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_RDONLY, type DialectName } from '../../../ninep/index.js';
import { NinepError, walkPath } from '../../../ninep/client/index.js';
import { testModes } from './harness.js';

for (const v of ['9P2000.L', '9P2000.u', '9P2000'] as DialectName[]) {
  testModes(test, `${v}: clone, full and partial walks`, {}, async (s) => {
    fs.mkdirSync(path.join(s.dir, 'a/b/c'), { recursive: true });
    const { c, root } = await s.attached(v);
    const clone = await c.walk(root, []);
    assert.ok(clone.fid !== undefined);
    assert.is(clone.wqid.length, 0);
    const full = await c.walk(root, ['a', 'b', 'c']);
    assert.is(full.wqid.length, 3);
    const rootQid = (await c.walk(root, ['a'])).wqid[0];
    const partial = await c.walk(root, ['a', 'b', 'zz', 'c']);
    assert.is(partial.fid, undefined);
    assert.is(partial.wqid.length, 2, 'nwqid counts the names walked');
    assert.equal(partial.wqid[0], rootQid);
    const first = (await c.walk(root, ['zz']).catch((x: unknown) => x)) as NinepError;
    assert.instance(first, NinepError, 'a failing first name is an error reply');
    assert.is(first.code, 'ENOENT');
  });
}

testModes(test, '".." at the root stays at the root; ".." elsewhere goes up', {}, async (s) => {
  fs.mkdirSync(path.join(s.dir, 'sub'));
  const { c, root } = await s.attached();
  const rootPath = (await c.getattr(root, 1n)).qid.path;
  const up = await c.walk(root, ['..', '..']);
  assert.is(up.wqid.length, 2);
  assert.is(up.wqid[1]?.path, rootPath);
  const back = await c.walk(root, ['sub', '..']);
  assert.is(back.wqid[1]?.path, rootPath);
  assert.is.not(back.wqid[0]?.path, rootPath);
});

testModes(test, 'newfid == fid moves the fid; 16 names are allowed, 17 are not', {}, async (s) => {
  const deep = Array.from({ length: 17 }, (_, i) => `d${i}`);
  fs.mkdirSync(path.join(s.dir, ...deep), { recursive: true });
  const { c, root } = await s.attached();
  const f = (await c.walk(root, [])).fid as number;
  const moved = await c.walk(f, ['d0'], f);
  assert.is(moved.fid, f);
  assert.is((await c.getattr(f, 1n)).qid.path, moved.wqid[0]?.path);
  const sixteen = await c.walk(root, deep.slice(0, 16));
  assert.is(sixteen.wqid.length, 16);
  const e = await c.walk(root, deep).catch((x: unknown) => x);
  assert.ok(e instanceof NinepError || (e as Error).name === 'ClientError', String(e));
  const all = await walkPath(c, root, deep.join('/'));
  assert.ok((await c.getattr(all, 1n)).qid.type & 0x80, 'walkPath splits long paths');
});

testModes(test, 'walking from an opened fid to a new fid works; moving the opened fid itself does not', {}, async (s) => {
  fs.mkdirSync(path.join(s.dir, 'x'));
  const { c, root } = await s.attached();
  const f = (await c.walk(root, [])).fid as number;
  await c.lopen(f, P9_DOTL_RDONLY);
  const child = await c.walk(f, ['x']);
  assert.ok(child.fid !== undefined, 'diodls walks from an open directory fid');
  const e = await c.walk(f, ['x'], f).catch((x: unknown) => x);
  assert.instance(e, NinepError);
});

testModes(test, 'walking from a non-directory and from an unknown fid fails', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'file'), '');
  const { c, root } = await s.attached();
  const e1 = (await c.walk(root, ['file', 'x']).catch((x: unknown) => x)) as { wqid?: unknown[] } | NinepError;
  if (e1 instanceof NinepError) assert.ok(e1.code === 'ENOTDIR');
  else assert.is((e1 as { wqid: unknown[] }).wqid.length, 1, 'short walk: stopped at the file');
  const e2 = (await c.walk(999, ['x']).catch((x: unknown) => x)) as NinepError;
  assert.instance(e2, NinepError);
  assert.is(e2.code, 'EBADF');
});

test.run();
