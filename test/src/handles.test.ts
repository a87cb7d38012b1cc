import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HandleTable } from '../../src/handles.js';
import type { Node } from '../../src/nodes.js';
import type { Cred } from '../../src/types.js';

const ROOT: Cred = { uid: 0, gid: 0 };

function node(id: number): Node {
  return { id, parent: 1, name: Buffer.from('n'), dev: 1n, ino: BigInt(id), birthtimeNs: 0n, hostType: 0o100000, key: `1:${id}`, refs: 0, opens: 0, pins: 0, children: 0, fd: -1, detached: false, hostLost: false, gone: false, dropped: false };
}

test('handles count up, are never reused, and keep their node open', () => {
  const t = new HandleTable();
  const a = node(2);
  const f = t.addFile(a, 10, 2, ROOT);
  const d = t.addDir(a, 11);
  assert.is(a.opens, 2);
  assert.ok(d.id > f.id);
  assert.is(t.size, 2);
  assert.is(t.remove(f.id), f);
  assert.is(a.opens, 1);
  assert.is(t.remove(f.id), undefined);
  const g = t.addFile(a, 12, 0, ROOT);
  assert.ok(g.id > d.id, 'ids are never reused');
  assert.equal(t.all().map((h) => h.id), [d.id, g.id]);
});

test('a handle is only valid with its kind and its node (EBADF)', () => {
  const t = new HandleTable();
  const a = node(2);
  const b = node(3);
  const f = t.addFile(a, 10, 2, ROOT);
  const d = t.addDir(b, 11);
  assert.is(t.file(f.id), f);
  assert.is(t.file(f.id, a.id), f);
  assert.is(t.dir(d.id), d);
  assert.is(t.any(d.id, b.id), d);
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  assert.is(code(() => t.file(f.id, b.id)), 'EBADF');
  assert.is(code(() => t.file(d.id)), 'EBADF');
  assert.is(code(() => t.dir(f.id)), 'EBADF');
  assert.is(code(() => t.any(f.id, b.id)), 'EBADF');
  assert.is(code(() => t.any(999, a.id)), 'EBADF');
});

test('drained waits for the calls still using a handle', async () => {
  const t = new HandleTable();
  const h = t.addFile(node(2), 10, 0, ROOT);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const inFlight = t.use(h, async (fd) => {
    await gate;
    return fd;
  });
  let drained = false;
  const d = t.drained(h).then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.not.ok(drained, 'still in use');
  release();
  assert.is(await inFlight, 10);
  await d;
  assert.ok(drained);
  await t.drained(h);
});

test.run();
