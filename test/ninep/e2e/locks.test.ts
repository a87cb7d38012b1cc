// POSIX byte-range locks through Tlock/Tgetlock between two connections of
// one server, and their release when a connection goes away.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  P9_DOTL_RDWR,
  P9_LOCK_BLOCKED,
  P9_LOCK_FLAGS_BLOCK,
  P9_LOCK_SUCCESS,
  P9_LOCK_TYPE_RDLCK,
  P9_LOCK_TYPE_UNLCK,
  P9_LOCK_TYPE_WRLCK,
} from '../../../ninep/index.js';
import { walkPath, type Client, type LockRequest } from '../../../ninep/client/index.js';
import { testModes, type Served } from './harness.js';

async function opened(s: Served, name: string): Promise<{ c: Client; fid: number }> {
  const { c, root } = await s.attached();
  const fid = await walkPath(c, root, name);
  await c.lopen(fid, P9_DOTL_RDWR);
  return { c, fid };
}

const wr = (proc_id: number, start = 0n, length = 0n): LockRequest => ({ lock_type: P9_LOCK_TYPE_WRLCK, start, length, proc_id, client_id: `host-${proc_id}` });

testModes(test, 'a write lock excludes the other connection until unlocked; getlock describes the holder', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const a = await opened(s, 'f');
  const b = await opened(s, 'f');
  assert.is(await a.c.lock(a.fid, wr(100)), P9_LOCK_SUCCESS);
  const seen = await b.c.getlock(b.fid, wr(200));
  assert.is(seen.lock_type, P9_LOCK_TYPE_WRLCK);
  assert.is(seen.proc_id, 100);
  assert.is(seen.start, 0n);
  assert.is(await b.c.lock(b.fid, wr(200)), P9_LOCK_BLOCKED, 'non-blocking conflict');
  assert.is(await a.c.lock(a.fid, { ...wr(100), lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
  const free = await b.c.getlock(b.fid, wr(200));
  assert.is(free.lock_type, P9_LOCK_TYPE_UNLCK);
  assert.is(await b.c.lock(b.fid, wr(200)), P9_LOCK_SUCCESS);
});

testModes(test, 'a blocking lock request waits and is granted when the holder unlocks', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const a = await opened(s, 'f');
  const b = await opened(s, 'f');
  assert.is(await a.c.lock(a.fid, wr(1)), P9_LOCK_SUCCESS);
  let settled = false;
  const waiting = b.c.lock(b.fid, { ...wr(2), flags: P9_LOCK_FLAGS_BLOCK }).finally(() => (settled = true));
  // The request is in flight on the server while other requests go on.
  assert.is((await b.c.getlock(b.fid, wr(2))).proc_id, 1);
  assert.not.ok(settled, 'still waiting while the lock is held');
  assert.is(await a.c.lock(a.fid, { ...wr(1), lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
  assert.is(await waiting, P9_LOCK_SUCCESS);
  assert.is((await a.c.getlock(a.fid, wr(1))).proc_id, 2, 'b holds it now');
});

testModes(test, 'flushing a waiting blocking lock: its reply (BLOCKED) comes before Rflush', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const a = await opened(s, 'f');
  const b = await opened(s, 'f');
  assert.is(await a.c.lock(a.fid, wr(1)), P9_LOCK_SUCCESS);
  const inflight = await b.c.conn.send({
    type: 'Tlock', fid: b.fid, lock_type: P9_LOCK_TYPE_WRLCK, flags: P9_LOCK_FLAGS_BLOCK, start: 0n, length: 0n, proc_id: 2, client_id: 'b',
  });
  await b.c.getlock(b.fid, wr(2)); // the lock request has reached the server
  const order: string[] = [];
  const reply = inflight.reply.then(
    (r) => order.push(`reply ${r.status}`),
    (e: Error) => order.push(`rejected ${e.message}`),
  );
  await b.c.flush(inflight.tag).then(() => order.push('rflush'));
  await reply;
  assert.equal(order, [`reply ${P9_LOCK_BLOCKED}`, 'rflush']);
  assert.is(await b.c.lock(b.fid, wr(2)), P9_LOCK_BLOCKED, 'not granted by the flush');
});

testModes(test, 'disjoint ranges and shared read locks do not conflict; a read lock blocks a writer', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const a = await opened(s, 'f');
  const b = await opened(s, 'f');
  assert.is(await a.c.lock(a.fid, wr(1, 0n, 10n)), P9_LOCK_SUCCESS);
  assert.is(await b.c.lock(b.fid, wr(2, 10n, 10n)), P9_LOCK_SUCCESS);
  assert.is(await b.c.lock(b.fid, wr(2, 5n, 10n)), P9_LOCK_BLOCKED, 'overlap with 0..9');
  const rd = (p: number): LockRequest => ({ ...wr(p, 100n, 50n), lock_type: P9_LOCK_TYPE_RDLCK });
  assert.is(await a.c.lock(a.fid, rd(1)), P9_LOCK_SUCCESS);
  assert.is(await b.c.lock(b.fid, rd(2)), P9_LOCK_SUCCESS);
  assert.is(await b.c.lock(b.fid, wr(2, 120n, 1n)), P9_LOCK_BLOCKED);
});

testModes(test, "closing a connection releases its locks for the other clients", {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const a = await opened(s, 'f');
  const b = await opened(s, 'f');
  assert.is(await a.c.lock(a.fid, wr(7)), P9_LOCK_SUCCESS);
  assert.is(await b.c.lock(b.fid, wr(8)), P9_LOCK_BLOCKED);
  a.c.conn.destroy();
  // Wait on the condition: the server notices the close asynchronously.
  for (let i = 0; ; i++) {
    const got = await b.c.getlock(b.fid, wr(8));
    if (got.lock_type === P9_LOCK_TYPE_UNLCK) break;
    if (i > 10_000) assert.unreachable('lock never released');
    await new Promise((r) => setImmediate(r));
  }
  assert.is(await b.c.lock(b.fid, wr(8)), P9_LOCK_SUCCESS);
});

testModes(test, 'clunking the fid releases the locks taken through it', {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const a = await opened(s, 'f');
  const b = await opened(s, 'f');
  assert.is(await a.c.lock(a.fid, wr(3)), P9_LOCK_SUCCESS);
  await a.c.clunk(a.fid);
  assert.is(await b.c.lock(b.fid, wr(4)), P9_LOCK_SUCCESS);
});

test.run();
