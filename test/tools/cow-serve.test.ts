// `humbridge serve --base BASE --cow LAYER` as a real process, used with the
// project's 9P client over its unix socket: writes, renames and deletes land
// in the layer, the base stays byte-identical, and a second server on the
// same base with its own layer sees none of it. Usage errors and the
// changed-base refusal come from the same process.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, connectAddress, readdirAll, readFile, removePath, renamePath, writeFile } from '../../ninep/client/index.js';
import { isWhiteout } from '../../src/cow/layout.js';
import { makeLayer } from '../helpers/cow-layer.js';
import { snapshotTree } from '../src/cow/cow-helpers.js';
import { cow } from './cow-helpers.js';
import { serveFails, startServe, stopServe } from './serve-process.js';

function tree(): { top: string; base: string; layer: (n: string) => string; cleanup: () => void } {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cowserve-'));
  const base = path.join(top, 'base');
  fs.mkdirSync(path.join(base, 'd'), { recursive: true });
  fs.writeFileSync(path.join(base, 'f'), 'base f\n');
  fs.writeFileSync(path.join(base, 'd', 'x'), 'base x\n');
  fs.writeFileSync(path.join(base, 'gone'), 'to be deleted\n');
  return {
    top,
    base,
    layer: (n) => {
      const l = path.join(top, n);
      makeLayer(base, l, 'hostfs');
      return l;
    },
    cleanup: () => fs.rmSync(top, { recursive: true, force: true }),
  };
}

async function client(sock: string): Promise<{ c: Client; root: number }> {
  const c = await Client.connect(await connectAddress({ kind: 'unix', path: sock }));
  const { fid } = await c.attach({ uname: 'root', n_uname: process.getuid?.() ?? 0 });
  return { c, root: fid };
}

const list = async (c: Client, root: number): Promise<string[]> =>
  (await readdirAll(c, root)).map((e) => e.name.toString()).filter((n) => n !== '.' && n !== '..').sort();

test('serve --base --cow: a 9P client changes the view; the layer takes it, the base and a second layer do not', async () => {
  const t = tree();
  const one = t.layer('one');
  const two = t.layer('two');
  const before = snapshotTree(t.base);
  const sock1 = path.join(t.top, 's1');
  const sock2 = path.join(t.top, 's2');
  const a = startServe(['--base', t.base, '--cow', one, '--listen', `unix:${sock1}`]);
  const b = startServe(['--base', t.base, '--cow', two, '--listen', `unix:${sock2}`]);
  try {
    await a.ready;
    await b.ready;
    const x = await client(sock1);
    await writeFile(x.c, x.root, 'f', Buffer.from('guest f\n'));
    await writeFile(x.c, x.root, 'new', Buffer.from('new\n'));
    await renamePath(x.c, x.root, 'd', 'e');
    await removePath(x.c, x.root, 'gone');
    assert.equal(await list(x.c, x.root), ['e', 'f', 'new']);
    assert.is((await readFile(x.c, x.root, 'f')).toString(), 'guest f\n');
    assert.is((await readFile(x.c, x.root, 'e/x')).toString(), 'base x\n');
    await x.c.close();
    assert.is(fs.readFileSync(path.join(one, 'upper', 'f'), 'utf8'), 'guest f\n');
    assert.ok(isWhiteout(fs.lstatSync(path.join(one, 'upper', 'gone'))));
    assert.ok(isWhiteout(fs.lstatSync(path.join(one, 'upper', 'd'))));
    const y = await client(sock2);
    assert.equal(await list(y.c, y.root), ['d', 'f', 'gone'], 'the second guest sees the base');
    assert.is((await readFile(y.c, y.root, 'f')).toString(), 'base f\n');
    await y.c.close();
  } finally {
    assert.is(await stopServe(a), 0);
    assert.is(await stopServe(b), 0);
  }
  assert.equal(snapshotTree(t.base), before, 'the base is byte-identical');
  t.cleanup();
});

test('a served layer is in use: a second server and a merge are refused, naming the server; after it stops both work', async () => {
  const t = tree();
  const l = t.layer('l');
  const state = path.join(t.top, 'state');
  const sock = path.join(t.top, 's');
  const a = startServe(['--base', t.base, '--cow', l, '--listen', `unix:${sock}`]);
  try {
    await a.ready;
    const second = await serveFails(['--base', t.base, '--cow', l, '--listen', `unix:${path.join(t.top, 's2')}`]);
    assert.is.not(second.code, 0);
    assert.match(second.stderr, new RegExp(`in use: process ${a.child.pid} is serving it`));
    const merge = cow(state, 'merge', l);
    assert.is(merge.status, 1, merge.stdout);
    assert.match(merge.stderr, new RegExp(`in use: process ${a.child.pid} is serving it`));
    assert.ok(!fs.existsSync(path.join(l, 'merge.journal')), 'the refused merge wrote nothing');
  } finally {
    assert.is(await stopServe(a), 0);
  }
  assert.ok(!fs.existsSync(path.join(l, 'in-use.lock')), 'the server gave the layer back');
  const merge = cow(state, 'merge', l);
  assert.is(merge.status, 0, merge.stderr);
  t.cleanup();
});

test('serve --base --cow: usage errors, a changed base refused with the reason, --force serves it', async () => {
  const t = tree();
  const l = t.layer('l');
  const sock = path.join(t.top, 's');
  for (const [args, says] of [
    [['--cow', l, '--listen', `unix:${sock}`], /--cow LAYER needs --base BASE/],
    [['--base', t.base, '--listen', `unix:${sock}`], /--base BASE needs --cow LAYER/],
    [['--base', t.base, '--cow', l, t.base, '--listen', `unix:${sock}`], /takes no DIR/],
    [['--base', t.base, '--cow', t.top, '--listen', `unix:${sock}`], /not a copy-on-write layer/],
    [[t.base, '--force', '--listen', `unix:${sock}`], /--force belongs to a copy-on-write export/],
  ] as const) {
    const r = await serveFails(args);
    assert.is.not(r.code, 0, args.join(' '));
    assert.match(r.stderr, says);
  }
  fs.writeFileSync(path.join(t.base, 'f'), 'changed behind the layer\n');
  const refused = await serveFails(['--base', t.base, '--cow', l, '--listen', `unix:${sock}`]);
  assert.is.not(refused.code, 0);
  assert.match(refused.stderr, /changed since the layer was made/);
  assert.match(refused.stderr, /--force serves it anyway/);
  const forced = startServe(['--base', t.base, '--cow', l, '--force', '--listen', `unix:${sock}`]);
  try {
    const ready = await forced.ready;
    assert.match(ready, /anyway \(--force\)/);
  } finally {
    // (Not its status: a SIGTERM right after the ready line may come before serve installs its handler.)
    await stopServe(forced);
  }
  t.cleanup();
});

test.run();
