// Operations that act on a fid's file by name (Tremove, Trename, a .u or
// 9P2000 wstat rename) when another client moved, linked or replaced that
// file after the fid was walked: the server follows the file, prefers the
// name the fid was walked by, and refuses (ESTALE) rather than touch
// another file. Every dialect, hostfs and humfs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_AT_REMOVEDIR, type DialectName } from '../../../ninep/index.js';
import { dontTouchStat, walkPath, type Client } from '../../../ninep/client/index.js';
import { testModes, type Served } from './harness.js';
import { codeOf, DIALECTS } from './humfs-expect.js';

const host = (s: Served, ...p: string[]): string => path.join(s.dir, ...p);

/** Renames the fid's file to `name` in directory `dfid` in the dialect's own way (.u/9P2000: in place only). */
async function renameFid(c: Client, v: DialectName, fid: number, dfid: number, name: string): Promise<void> {
  if (v === '9P2000.L') {
    await c.rename(fid, dfid, name);
    return;
  }
  const st = dontTouchStat(v === '9P2000.u');
  st.name = Buffer.from(name);
  await c.wstat(fid, st);
}

/** Client `a` in dialect `v`, and a second client `b` (9P2000.L) on the same server. */
async function twoClients(s: Served, v: DialectName): Promise<{ a: Client; aroot: number; b: Client; broot: number }> {
  const { c: a, root: aroot } = await s.attached(v);
  const { c: b, root: broot } = await s.attached('9P2000.L');
  return { a, aroot, b, broot };
}

for (const v of DIALECTS) {
  testModes(test, `${v}: a fid follows its file after another client renamed it (rename, then remove)`, {}, async (s) => {
    fs.mkdirSync(host(s, 'd1'));
    fs.mkdirSync(host(s, 'd2'));
    fs.writeFileSync(host(s, 'd1/f'), 'data');
    const { a, aroot, b, broot } = await twoClients(s, v);
    const fid = await walkPath(a, aroot, 'd1/f');
    await b.renameat(await walkPath(b, broot, 'd1'), 'f', await walkPath(b, broot, 'd2'), 'g');
    // The fid still says d1/f; the file is d2/g now.
    await renameFid(a, v, fid, await walkPath(a, aroot, 'd2'), 'h');
    assert.is(fs.readFileSync(host(s, 'd2/h'), 'utf8'), 'data', 'renamed where it is now');
    assert.not.ok(fs.existsSync(host(s, 'd2/g')));
    assert.not.ok(fs.existsSync(host(s, 'd1/f')));
    // Moved again behind the fid's back, then removed through it.
    await b.renameat(await walkPath(b, broot, 'd2'), 'h', broot, 'top');
    await a.remove(fid);
    assert.not.ok(fs.existsSync(host(s, 'top')), 'removed where it is now');
    assert.equal(fs.readdirSync(host(s, 'd1')), []);
    assert.equal(fs.readdirSync(host(s, 'd2')), []);
  });

  testModes(test, `${v}: a directory fid follows a rename by another client`, {}, async (s) => {
    fs.mkdirSync(host(s, 'old'));
    const { a, aroot, b, broot } = await twoClients(s, v);
    const fid = await walkPath(a, aroot, 'old');
    await b.renameat(broot, 'old', broot, 'new');
    await renameFid(a, v, fid, aroot, 'newer');
    assert.ok(fs.statSync(host(s, 'newer')).isDirectory());
    assert.not.ok(fs.existsSync(host(s, 'new')));
    await a.remove(fid);
    assert.not.ok(fs.existsSync(host(s, 'newer')));
  });

  testModes(test, `${v}: of a hard-linked file, remove takes the name the fid was walked by`, {}, async (s) => {
    fs.writeFileSync(host(s, 'one'), 'x');
    fs.linkSync(host(s, 'one'), host(s, 'two'));
    const { a, aroot, b, broot } = await twoClients(s, v);
    const fid = await walkPath(a, aroot, 'one');
    // The other client finds the file by its second name last.
    await walkPath(b, broot, 'two');
    await a.remove(fid);
    assert.not.ok(fs.existsSync(host(s, 'one')));
    assert.is(fs.readFileSync(host(s, 'two'), 'utf8'), 'x', 'the other name stays');
  });

  testModes(test, `${v}: a file replaced under its name is never touched through an old fid (ESTALE)`, {}, async (s) => {
    fs.writeFileSync(host(s, 'f'), 'old');
    const { a, aroot, b, broot } = await twoClients(s, v);
    const fid = await walkPath(a, aroot, 'f');
    const spare = await walkPath(a, aroot, 'f');
    await b.unlinkat(broot, 'f');
    fs.writeFileSync(host(s, 'f'), 'new');
    assert.is(await codeOf(renameFid(a, v, spare, aroot, 'moved')), 'ESTALE');
    assert.is(await codeOf(a.remove(fid)), 'ESTALE');
    assert.is(fs.readFileSync(host(s, 'f'), 'utf8'), 'new', 'the new file is left alone');
    assert.not.ok(fs.existsSync(host(s, 'moved')));
    // remove(5): the fid is clunked even though the remove failed.
    assert.is(await codeOf(a.remove(fid)), 'EBADF');
  });
}

for (const v of ['9P2000.u', '9P2000'] as const) {
  testModes(test, `${v}: wstat back to the name the fid was walked by renames the file back`, {}, async (s) => {
    fs.writeFileSync(host(s, 'x'), 'data');
    const { a, aroot, b, broot } = await twoClients(s, v);
    const fid = await walkPath(a, aroot, 'x');
    await b.renameat(broot, 'x', broot, 'y');
    await renameFid(a, v, fid, aroot, 'x');
    assert.is(fs.readFileSync(host(s, 'x'), 'utf8'), 'data');
    assert.not.ok(fs.existsSync(host(s, 'y')));
    // Its own current name again: nothing to do.
    await renameFid(a, v, fid, aroot, 'x');
    assert.is(fs.readFileSync(host(s, 'x'), 'utf8'), 'data');
  });
}

testModes(test, '9P2000.L: a fid whose directory another client removed and re-created answers ESTALE', {}, async (s) => {
  fs.mkdirSync(host(s, 'd'));
  const { a, aroot, b, broot } = await twoClients(s, '9P2000.L');
  const fid = await walkPath(a, aroot, 'd');
  await b.unlinkat(broot, 'd', P9_DOTL_AT_REMOVEDIR);
  fs.mkdirSync(host(s, 'd'));
  assert.is(await codeOf(a.rename(fid, aroot, 'e')), 'ESTALE');
  assert.ok(fs.statSync(host(s, 'd')).isDirectory());
  assert.not.ok(fs.existsSync(host(s, 'e')));
});

test.run();
