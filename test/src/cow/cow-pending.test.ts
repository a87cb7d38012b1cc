// A server stopped between the steps of one layer change: the states a
// crash leaves at each step boundary, made on the host with the change's
// pending record written by PendingLog itself; opening the layer again must
// finish the change (the view is the one the client was going to get, the
// record is gone). Without the record, each of these states shows the
// base's entry again or a directory twice.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openExport } from '../../../src/index.js';
import { isWhiteout } from '../../../src/cow/layout.js';
import { PendingLog, type Pending } from '../../../src/cow/pending.js';
import { TEMP_PREFIX } from '../../../src/host/cow-trees.js';
import { B, listNames, readAll, rejects, walk } from '../../conformance/vfs.js';
import { makeLayer } from '../../helpers/cow-layer.js';
import { makeOpaque, whiteout } from '../../tools/cow-helpers.js';
import { snapshotTree } from './cow-helpers.js';

const t = suite('cow pending changes');

interface Case {
  name: string;
  /** The crash state, made in upper/ (the base has f, d/x and g). */
  state(upper: string): void;
  pending: Pending;
  /** The view after the layer is opened again: top-level names, and what must be there. */
  names: string[];
  check?(upper: string): void;
}

const TMP = `${TEMP_PREFIX}0123456789abcdef`;
const p = (name: string, ...dir: string[]): { dir: Buffer[]; name: Buffer } => ({ dir: dir.map(B), name: B(name) });

const copyOfD = (upper: string, at: string): void => {
  fs.mkdirSync(path.join(upper, at));
  fs.writeFileSync(path.join(upper, at, 'x'), 'x\n');
  makeOpaque(path.join(upper, at));
};

const cases: Case[] = [
  {
    name: 'rename of a base directory d to e, stopped before the move',
    state: (u) => copyOfD(u, 'd'),
    pending: { op: 'move', from: p('d'), to: p('e'), whiteoutFrom: true, opaqueTo: false },
    names: ['e', 'f', 'g'],
  },
  {
    name: 'rename of a base directory d to e, stopped after the move, before the whiteout',
    state: (u) => copyOfD(u, 'e'),
    pending: { op: 'move', from: p('d'), to: p('e'), whiteoutFrom: true, opaqueTo: false },
    names: ['e', 'f', 'g'],
    check: (u) => assert.ok(isWhiteout(fs.lstatSync(path.join(u, 'd')))),
  },
  {
    name: 'mkdir over the whiteout of base file g, stopped after the whiteout went, before the move',
    state: (u) => {
      fs.mkdirSync(path.join(u, TMP));
      makeOpaque(path.join(u, TMP));
    },
    pending: { op: 'move', from: p(TMP), to: p('g'), whiteoutFrom: false, opaqueTo: false },
    names: ['d', 'f', 'g'],
    check: (u) => assert.ok(fs.statSync(path.join(u, 'g')).isDirectory()),
  },
  {
    name: 'mkdir over the whiteout of base file g, stopped before the whiteout went',
    state: (u) => {
      fs.mkdirSync(path.join(u, TMP));
      makeOpaque(path.join(u, TMP));
      whiteout(path.join(u, 'g'));
    },
    pending: { op: 'move', from: p(TMP), to: p('g'), whiteoutFrom: false, opaqueTo: false },
    names: ['d', 'f', 'g'],
    check: (u) => assert.ok(fs.statSync(path.join(u, 'g')).isDirectory()),
  },
  {
    name: 'unlink of copied-up base file f, stopped after the unlink, before the whiteout',
    state: () => undefined,
    pending: { op: 'remove', at: p('f'), dir: false },
    names: ['d', 'g'],
  },
  {
    name: 'unlink of copied-up base file f, stopped before the unlink',
    state: (u) => fs.writeFileSync(path.join(u, 'f'), 'changed f\n'),
    pending: { op: 'remove', at: p('f'), dir: false },
    names: ['d', 'g'],
  },
  {
    name: 'rmdir of d (copied up, its x whited out), stopped after the whiteouts inside went, before the rmdir',
    state: (u) => fs.mkdirSync(path.join(u, 'd')),
    pending: { op: 'remove', at: p('d'), dir: true },
    names: ['f', 'g'],
  },
];

for (const c of cases) {
  t(c.name, async () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cowpending-'));
    const base = path.join(top, 'base');
    const layer = path.join(top, 'layer');
    fs.mkdirSync(path.join(base, 'd'), { recursive: true });
    fs.writeFileSync(path.join(base, 'f'), 'base f\n');
    fs.writeFileSync(path.join(base, 'd', 'x'), 'x\n');
    fs.writeFileSync(path.join(base, 'g'), 'base g\n');
    makeLayer(base, layer, 'hostfs');
    const upper = path.join(layer, 'upper');
    const before = snapshotTree(base);
    c.state(upper);
    new PendingLog(layer).write(c.pending);
    const vfs = await openExport({ path: base, mode: 'hostfs', cow: layer });
    try {
      assert.equal((await listNames(vfs, vfs.root)).map(String).sort(), c.names);
      if (c.names.includes('e')) assert.is((await readAll(vfs, (await walk(vfs, 'e/x')).id)).toString(), 'x\n');
      if (!c.names.includes('f')) await rejects(walk(vfs, 'f'), 'ENOENT');
      assert.not.ok(fs.existsSync(path.join(layer, 'pending.json')), 'the record is struck off');
      c.check?.(upper);
    } finally {
      await vfs.close();
    }
    assert.equal(snapshotTree(base), before, 'the base is byte-identical');
    fs.rmSync(top, { recursive: true, force: true });
  });
}

t('an unfinished record refuses the next change of several steps (EIO) rather than being overwritten', async () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cowpending-'));
  const layer = path.join(top, 'layer');
  fs.mkdirSync(layer);
  const log = new PendingLog(layer);
  log.write({ op: 'remove', at: p('f'), dir: false });
  assert.throws(() => log.write({ op: 'remove', at: p('g'), dir: false }), (e: Error) => /EIO|unfinished/.test(String((e as { code?: string }).code ?? e.message)));
  assert.equal(log.read(), { op: 'remove', at: p('f'), dir: false });
  log.clear();
  assert.is(log.read(), undefined);
  fs.rmSync(top, { recursive: true, force: true });
});

t('a record that is not one (written by something else) stops the open with a clear error', async () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cowpending-'));
  const base = path.join(top, 'base');
  const layer = path.join(top, 'layer');
  fs.mkdirSync(base);
  makeLayer(base, layer, 'hostfs');
  fs.writeFileSync(path.join(layer, 'pending.json'), '{"op":"nonsense"}\n');
  try {
    await openExport({ path: base, mode: 'hostfs', cow: layer });
    assert.unreachable('opened');
  } catch (e) {
    assert.match(String((e as Error).message), /not a pending layer change/);
  }
  assert.not.ok(fs.existsSync(path.join(layer, 'in-use.lock')), 'the failed open gave the layer back');
  fs.rmSync(top, { recursive: true, force: true });
});

t.run();
