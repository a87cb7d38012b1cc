// RefLedger: what one front end connection holds in a Vfs, and all of it
// given back by releaseAll, while another holder's references stay.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { openExport } from '../../src/index.js';
import type { CoreVfs } from '../../src/core.js';
import { RefLedger } from '../../src/ref-ledger.js';
import { O_RDWR } from '../../src/types.js';
import { tmpExport } from '../helpers/tmp-export.js';

const ME = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const B = (s: string): Buffer => Buffer.from(s);

test('lookups, opens and creates through a ledger are all given back by releaseAll; another holder keeps its own', async () => {
  const tmp = tmpExport();
  const vfs = (await openExport({ path: tmp.dir })) as CoreVfs;
  try {
    fs.mkdirSync(path.join(tmp.dir, 'd'));
    fs.writeFileSync(path.join(tmp.dir, 'd', 'f'), 'x');
    const mine = new RefLedger(vfs);
    const other = new RefLedger(vfs);
    const d = await mine.lookup(ME, vfs.root, B('d'));
    const f = await mine.lookup(ME, d.id, B('f'));
    await mine.lookup(ME, d.id, B('f'));
    const kept = await other.lookup(ME, d.id, B('f'));
    await mine.open(ME, f.id, O_RDWR);
    await mine.opendir(ME, d.id);
    const made = await vfs.create(ME, d.id, B('g'), O_RDWR, 0o644);
    mine.took(made.entry);
    mine.opened(made.handle, 'file');
    assert.equal(mine.stats, { nodes: 3, refs: 4, handles: 3 });
    assert.equal(vfs.stats.handles, 3);
    // Forgetting more than held gives back only what is held.
    mine.forget(d.id, 5);
    assert.is(mine.refsOf(d.id), 0);
    assert.equal(await mine.releaseAll(), { handles: 3, refs: 3 });
    assert.equal(mine.stats, { nodes: 0, refs: 0, handles: 0 });
    assert.is(vfs.stats.handles, 0);
    // d stays alive as f's parent while other holds f; f is still usable.
    assert.is(vfs.stats.nodes, 3, 'root, d (parent of f) and f, for the other holder');
    await vfs.getattr(kept.id);
    await other.releaseAll();
    assert.is(vfs.stats.nodes, 1, 'the root alone');
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('close knows how a handle was opened; an unknown handle is closed as told', async () => {
  const tmp = tmpExport();
  const vfs = (await openExport({ path: tmp.dir })) as CoreVfs;
  try {
    const mine = new RefLedger(vfs);
    const dh = await mine.opendir(ME, vfs.root);
    await mine.close(dh);
    const raw = await vfs.opendir(ME, vfs.root);
    await mine.close(raw, 'dir');
    assert.is(vfs.stats.handles, 0);
    assert.equal(await mine.releaseAll(), { handles: 0, refs: 0 });
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
