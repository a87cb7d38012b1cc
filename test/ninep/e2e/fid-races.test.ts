// Requests on one fid that race: sent back to back on one connection, they
// run concurrently in the server, and one of them changes the fid while the
// other is still waiting on the Vfs. Whatever the order, no handle or node
// reference may end up on a fid that no longer exists: once the client has
// clunked everything, the server holds exactly the descriptors it held
// before (beside the humfs store's bounded cache of metadata folders).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_CREATE, P9_DOTL_RDONLY, P9_DOTL_RDWR } from '../../../ninep/index.js';
import { NinepError, walkPath, type Client } from '../../../ninep/client/index.js';
import { heldDescriptors, waitFor } from '../../helpers/tmp-export.js';
import { testModes, type Served } from './harness.js';

const ROUNDS = 40;

/** The outcome of a request: 'ok' or its error code. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof NinepError) return e.code ?? e.ename;
    throw e;
  }
}

/** A warmed-up client, and the descriptor count to come back to. */
async function setup(s: Served): Promise<{ c: Client; root: number; baseline: number }> {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  fs.mkdirSync(path.join(s.dir, 'd'));
  const { c, root } = await s.attached();
  await c.clunk(await walkPath(c, root, 'f'));
  return { c, root, baseline: heldDescriptors() };
}

testModes(test, 'lopen and clunk of one fid at once: the handle never outlives the fid', {}, async (s) => {
  const { c, root, baseline } = await setup(s);
  const seen = new Set<string>();
  for (let i = 0; i < ROUNDS; i++) {
    const f = await walkPath(c, root, 'f');
    const [opened, clunked] = await Promise.all([outcome(c.lopen(f, P9_DOTL_RDWR)), outcome(c.clunk(f))]);
    assert.is(clunked, 'ok');
    seen.add(opened);
  }
  assert.ok([...seen].every((o) => o === 'ok' || o === 'EBADF'), [...seen].join(' '));
  await waitFor(() => heldDescriptors() <= baseline);
});

testModes(test, 'two lopens of one fid at once: one opens, the other is EBUSY', {}, async (s) => {
  const { c, root, baseline } = await setup(s);
  for (let i = 0; i < ROUNDS; i++) {
    const f = await walkPath(c, root, 'f');
    const both = await Promise.all([outcome(c.lopen(f, P9_DOTL_RDONLY)), outcome(c.lopen(f, P9_DOTL_RDONLY))]);
    assert.equal(both.sort(), ['EBUSY', 'ok']);
    assert.is((await c.read(f, 0n, 10)).toString(), 'data');
    await c.clunk(f);
  }
  await waitFor(() => heldDescriptors() <= baseline);
});

testModes(test, 'lcreate and clunk of one fid at once: the file is made, its handle is not kept', {}, async (s) => {
  const { c, root, baseline } = await setup(s);
  for (let i = 0; i < ROUNDS; i++) {
    const d = await walkPath(c, root, 'd');
    const [created, clunked] = await Promise.all([outcome(c.lcreate(d, `n${i}`, P9_DOTL_CREATE | P9_DOTL_RDWR, 0o644)), outcome(c.clunk(d))]);
    assert.is(clunked, 'ok');
    assert.ok(created === 'ok' || created === 'EBADF', created);
    assert.ok(fs.existsSync(path.join(s.dir, 'd', `n${i}`)) || created !== 'ok');
  }
  await waitFor(() => heldDescriptors() <= baseline);
});

testModes(test, 'two walks to one new fid at once: one gets it, the other is EBADF', {}, async (s) => {
  const { c, root, baseline } = await setup(s);
  const newfid = 77;
  for (let i = 0; i < ROUNDS; i++) {
    const both = await Promise.all([outcome(c.walk(root, ['f'], newfid)), outcome(c.walk(root, ['d'], newfid))]);
    assert.equal(both.sort(), ['EBADF', 'ok']);
    await c.clunk(newfid);
  }
  // walk onto itself while the same fid is clunked: never both a live fid and a leak.
  for (let i = 0; i < ROUNDS; i++) {
    await c.walk(root, [], newfid);
    const [walked, clunked] = await Promise.all([outcome(c.walk(newfid, ['f'], newfid)), outcome(c.clunk(newfid))]);
    assert.is(clunked, 'ok');
    if (walked === 'ok') await c.clunk(newfid);
    else assert.is(walked, 'EBADF');
  }
  await waitFor(() => heldDescriptors() <= baseline);
});

test.run();
