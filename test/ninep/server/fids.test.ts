import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { FidTable, NodeRefs, releaseFid, type Fid } from '../../../ninep/server/fids.js';
import { NO_HOLD } from '../../../ninep/server/limits.js';
import type { ServedExport } from '../../../ninep/server/exports.js';
import { VfsError } from '../../../src/errors.js';
import { openExport } from '../../../src/index.js';
import type { CoreVfs } from '../../../src/core.js';
import { tmpExport } from '../../helpers/tmp-export.js';

const root = { uid: 0, gid: 0 };

test('NodeRefs: several users of a node hold the Vfs references until the last one goes', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir });
  try {
    fs.writeFileSync(path.join(tmp.dir, 'f'), '');
    const exp: ServedExport = { name: '', vfs };
    const refs = new NodeRefs();
    const base = (vfs as CoreVfs).stats.nodes;
    const e1 = await vfs.lookup(root, vfs.root, Buffer.from('f'));
    const e2 = await vfs.lookup(root, vfs.root, Buffer.from('f'));
    refs.adopt(exp, e1);
    refs.adopt(exp, e2);
    refs.share(exp, e1.id);
    assert.is((vfs as CoreVfs).stats.nodes, base + 1);
    refs.release(exp, e1.id);
    refs.release(exp, e1.id);
    await vfs.getattr(e1.id); // still referenced
    refs.release(exp, e1.id);
    assert.is(refs.size, 0);
    const err = await vfs.getattr(e1.id).then(
      () => 'resolved',
      (e: unknown) => (e instanceof VfsError ? e.code : 'other'),
    );
    assert.is(err, 'ESTALE');
    // The root needs no reference and is never forgotten.
    refs.share(exp, vfs.root);
    refs.release(exp, vfs.root);
    await vfs.getattr(vfs.root);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('FidTable: unknown fids are EBADF, reuse is EBADF, the limit is EMFILE; releaseFid closes handles', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir });
  try {
    const exp: ServedExport = { name: '', vfs };
    const t = new FidTable(2);
    const code = (fn: () => void): string => {
      try {
        fn();
      } catch (e) {
        return e instanceof VfsError ? e.code : 'other';
      }
      return 'none';
    };
    assert.is(code(() => t.get(1, 'x')), 'EBADF');
    const refs = new NodeRefs();
    const f: Fid = { exp, node: refs.share(exp, vfs.root), qid: { type: 0x80, version: 0, path: 1n }, parent: undefined, name: '/', cred: root, orclose: false };
    f.open = { kind: 'dir', handle: await vfs.opendir(root, vfs.root), slot: NO_HOLD };
    t.install(1, f, 'x');
    assert.is(code(() => t.checkFree(1, 'x')), 'EBADF');
    assert.is(code(() => t.install(1, { ...f }, 'x')), 'EBADF', 'a number taken meanwhile');
    const second: Fid = { ...f, open: undefined };
    t.install(2, second, 'x');
    assert.is(code(() => t.checkFree(3, 'x')), 'EMFILE');
    // Replacing a fid by number: only the one the request started from.
    assert.is(code(() => t.install(2, { ...second }, 'x', f)), 'EBADF');
    const third: Fid = { ...second };
    assert.is(t.install(2, third, 'x', second), second);
    assert.ok(second.gone, 'the replaced fid is gone');
    assert.is((vfs as CoreVfs).stats.handles, 1);
    const drained = t.drain();
    assert.ok(drained.every((x) => x.gone), 'drained fids are gone');
    for (const x of drained) await releaseFid(x, refs);
    assert.is((vfs as CoreVfs).stats.handles, 0);
    assert.is(t.size, 0);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('NodeRefs.releaseAll: what a connection still holds (references, handles through its ledgers) all goes back', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir });
  try {
    fs.writeFileSync(path.join(tmp.dir, 'f'), '');
    const exp: ServedExport = { name: '', vfs };
    const refs = new NodeRefs();
    const e = await vfs.lookup(root, vfs.root, Buffer.from('f'));
    refs.adopt(exp, e);
    refs.share(exp, e.id);
    await refs.ledger(exp).open(root, e.id, 2);
    await refs.ledger(exp).opendir(root, vfs.root);
    assert.equal((vfs as CoreVfs).stats, { ...(vfs as CoreVfs).stats, nodes: 2, handles: 2 });
    assert.equal(await refs.releaseAll(), { handles: 2, refs: 1 });
    assert.is(refs.size, 0);
    assert.equal((vfs as CoreVfs).stats, { ...(vfs as CoreVfs).stats, nodes: 1, handles: 0 });
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
