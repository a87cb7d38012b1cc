// Session behaviour over a real socket: version negotiation, tags, flush,
// concurrency, bad input, limits, and release of everything on close.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, dialect9P2000L, NOFID, NONUNAME } from '../../../ninep/index.js';
import { LINUX_ERRNO } from '../../../src/errno.js';
import { openFdCount, waitFor } from '../../helpers/tmp-export.js';
import type { CoreVfs } from '../../../src/core.js';
import { startHarness, WireConn } from './harness.js';
import fs from 'node:fs';
import path from 'node:path';

const E = LINUX_ERRNO;

function rawFrame(type: number, tag: number, body: Buffer): Buffer {
  const b = Buffer.alloc(7 + body.length);
  b.writeUInt32LE(b.length, 0);
  b[4] = type;
  b.writeUInt16LE(tag, 5);
  body.copy(b, 7);
  return b;
}

test('version: msize is clamped to the server maximum, dialects are chosen by name', async () => {
  const h = await startHarness({ options: { maxMsize: 65536 } });
  try {
    const c = await h.connect();
    assert.is(await c.version('9P2000.L', 1 << 20), 65536);
    assert.is(await c.version('9P2000.L', 8192), 8192);
    const u = await c.ok({ type: 'Tversion', msize: 8192, version: '9P2000.u' }, 'Rversion');
    assert.is(u.version, '9P2000.u');
    const x = await c.ok({ type: 'Tversion', msize: 8192, version: '9P2000.xyz' }, 'Rversion');
    assert.is(x.version, '9P2000');
    const bad = await c.ok({ type: 'Tversion', msize: 8192, version: '9P1999' }, 'Rversion');
    assert.is(bad.version, 'unknown');
  } finally {
    await h.stop();
  }
});

test('version: a request before Tversion is refused; msize below the minimum is refused', async () => {
  const h = await startHarness();
  try {
    const c = await h.connect();
    c.dialect = (await import('../../../ninep/index.js')).dialect9P2000;
    const r = await c.send({ type: 'Tclunk', fid: 1 });
    assert.is(r.type, 'Rerror');
    const small = await c.send({ type: 'Tversion', msize: 300, version: '9P2000' });
    assert.is(small.type, 'Rerror');
  } finally {
    await h.stop();
  }
});

test('version: a new Tversion clunks every fid and releases what they held', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'data');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    assert.is(h.stats().handles, 1);
    await c.version();
    assert.is(h.stats().handles, 0);
    assert.is(await c.err({ type: 'Tclunk', fid: 1 }), E.EBADF);
    assert.is(await c.err({ type: 'Tclunk', fid: 0 }), E.EBADF);
  } finally {
    await h.stop();
  }
});

test('tags: many requests in flight are answered, each once; a tag in use is refused', async () => {
  const h = await startHarness();
  try {
    const c = await h.session();
    const n = 200;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => c.send({ type: 'Tgetattr', fid: 0, request_mask: 0x7ffn }, i + 10)));
    assert.ok(replies.every((r) => r.type === 'Rgetattr'));
    assert.is(new Set(c.order.slice(-n)).size, n);
    // A Tlock that waits keeps its tag busy: reusing the tag is an error.
    fs.writeFileSync(path.join(h.tmp.dir, 'lk'), '');
    const other = await h.session();
    for (const conn of [c, other]) {
      await conn.walk(0, 5, 'lk');
      await conn.ok({ type: 'Tlopen', fid: 5, flags: 2 }, 'Rlopen');
    }
    const lock = { type: 'Tlock', fid: 5, lock_type: 1, flags: 0, start: 0n, length: 0n, proc_id: 1, client_id: 'a' } as const;
    assert.is((await other.ok(lock, 'Rlock')).status, 0);
    // Replies are matched to waiters of a tag in order: the first reply with
    // tag 999 is the error for the duplicate, the second the lock's.
    const first = c.send({ ...lock, flags: 1, proc_id: 2, client_id: 'b' }, 999);
    const second = c.send({ type: 'Tgetattr', fid: 0, request_mask: 1n }, 999);
    assert.equal(await first, { type: 'Rlerror', ecode: E.EBUSY });
    await other.ok({ ...lock, lock_type: 2 }, 'Rlock');
    assert.equal(await second, { type: 'Rlock', status: 0 });
  } finally {
    await h.stop();
  }
});

test('flush: the flushed request answers before Rflush; flushing an unknown tag answers Rflush', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'lk'), '');
    const a = await h.session();
    const b = await h.session();
    for (const conn of [a, b]) {
      await conn.walk(0, 5, 'lk');
      await conn.ok({ type: 'Tlopen', fid: 5, flags: 2 }, 'Rlopen');
    }
    const lock = { type: 'Tlock', fid: 5, lock_type: 1, flags: 1, start: 0n, length: 0n, proc_id: 1, client_id: 'a' } as const;
    assert.is((await a.ok(lock, 'Rlock')).status, 0);
    const blocked = b.send(lock, 300);
    const before = b.order.length;
    const flushed = await b.send({ type: 'Tflush', oldtag: 300 }, 301);
    assert.is(flushed.type, 'Rflush');
    const r = await blocked;
    assert.is(r.type, 'Rlock');
    assert.is((r as { status: number }).status, 1); // P9_LOCK_BLOCKED
    assert.equal(b.order.slice(before), [300, 301]);
    assert.is((await b.send({ type: 'Tflush', oldtag: 4242 })).type, 'Rflush');
  } finally {
    await h.stop();
  }
});

test('bad input: an undecodable frame gets an error for its tag and the connection goes on', async () => {
  const h = await startHarness();
  try {
    const c = await h.session();
    const p = c.reply(77);
    c.raw(rawFrame(110, 77, Buffer.from([1, 2, 3]))); // Twalk cut short
    assert.equal(await p, { type: 'Rlerror', ecode: E.EINVAL });
    const q = c.reply(78);
    c.raw(rawFrame(112, 78, Buffer.alloc(5))); // Topen is not a .L message
    assert.equal(await q, { type: 'Rlerror', ecode: E.ENOSYS });
    const w = c.reply(79);
    c.raw(rawFrame(110, 79, (() => { const b = Buffer.alloc(10); b.writeUInt16LE(17, 8); return b; })())); // 17 wnames
    assert.equal(await w, { type: 'Rlerror', ecode: E.EINVAL });
    assert.is((await c.send({ type: 'Tgetattr', fid: 0, request_mask: 1n })).type, 'Rgetattr');
  } finally {
    await h.stop();
  }
});

test('bad input: a size field above msize or below 7 closes that connection only', async () => {
  const h = await startHarness({ options: { maxMsize: 8192 } });
  try {
    const good = await h.session();
    for (const size of [8193, 3]) {
      const bad = await h.session();
      const head = Buffer.alloc(7);
      head.writeUInt32LE(size, 0);
      head[4] = 110;
      bad.raw(head);
      await bad.ended;
    }
    assert.is((await good.send({ type: 'Tgetattr', fid: 0, request_mask: 1n })).type, 'Rgetattr');
    await waitFor(() => h.server.connections === 1);
  } finally {
    await h.stop();
  }
});

test('limits: the fid limit answers EMFILE and the session goes on', async () => {
  const h = await startHarness({ options: { maxFids: 3 } });
  try {
    const c = await h.session();
    await c.walk(0, 1);
    await c.walk(0, 2);
    assert.is(await c.err({ type: 'Twalk', fid: 0, newfid: 3, wname: [] }), E.EMFILE);
    await c.ok({ type: 'Tclunk', fid: 2 }, 'Rclunk');
    await c.walk(0, 3);
  } finally {
    await h.stop();
  }
});

test('limits: with maxInFlight 1 requests still all complete (the server stops reading, not answering)', async () => {
  const h = await startHarness({ options: { maxInFlight: 1 } });
  try {
    const c = await h.session();
    const replies = await Promise.all(Array.from({ length: 50 }, () => c.send({ type: 'Tgetattr', fid: 0, request_mask: 1n })));
    assert.ok(replies.every((r) => r.type === 'Rgetattr'));
  } finally {
    await h.stop();
  }
});

test('backpressure: a client that does not read its replies does not make the server buffer without bound', async () => {
  const h = await startHarness({ options: { writeHighWater: 64 * 1024, maxMsize: 65536, maxInFlight: 8 } });
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'big'), Buffer.alloc(60000, 7));
    const c = await h.session();
    await c.walk(0, 1, 'big');
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    c.sock.pause();
    const frames = Array.from({ length: 2000 }, (_, i) => encode(dialect9P2000L, i + 1, { type: 'Tread', fid: 1, offset: 0n, count: 60000 }));
    const all = Buffer.concat(frames); // 120 MB of replies asked
    c.sock.write(all);
    const session = [...(h.server as unknown as { sessions: Set<{ inFlight: number }> }).sessions][0];
    assert.ok(session !== undefined);
    // Wait until the server has stopped: nothing in flight and the socket's queue bounded.
    let lastOut = -1;
    await waitFor(() => {
      const sock = [...(h.server as unknown as { sessions: Set<{ conn: { writableLength: number } }> }).sessions].map((s) => s.conn.writableLength);
      const out = Math.max(...sock);
      const stable = out === lastOut && session.inFlight === 0;
      lastOut = out;
      return stable && out > 0;
    });
    // Bound: the high-water mark plus what the requests in flight when it was crossed produce.
    assert.ok(lastOut <= 64 * 1024 + 9 * 60011, `server queued ${lastOut} bytes`);
    assert.ok(lastOut < frames.length * 60011 / 10);
    c.sock.resume();
  } finally {
    await h.stop();
  }
});

test('close: fids, open handles, locks and descriptors are released when a connection closes', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'x');
    fs.mkdirSync(path.join(h.tmp.dir, 'd'));
    const fdsBefore = openFdCount();
    const nodesBefore = h.stats().nodes;
    const a = await h.session();
    for (let i = 1; i <= 20; i++) {
      await a.walk(0, i, i % 2 ? 'f' : 'd');
      await a.ok({ type: 'Tlopen', fid: i, flags: 0 }, 'Rlopen');
    }
    await a.ok({ type: 'Tlock', fid: 1, lock_type: 0, flags: 0, start: 0n, length: 0n, proc_id: 9, client_id: 'x' }, 'Rlock');
    assert.is(h.stats().handles, 20);
    await a.close();
    await waitFor(() => h.stats().handles === 0 && h.server.connections === 0);
    assert.is(h.stats().nodes, nodesBefore);
    // The lock went with the handle: another client may take a write lock.
    const b = await h.session();
    await b.walk(0, 1, 'f');
    await b.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
    const r = await b.ok({ type: 'Tlock', fid: 1, lock_type: 1, flags: 0, start: 0n, length: 0n, proc_id: 1, client_id: 'y' }, 'Rlock');
    assert.is(r.status, 0);
    await b.close();
    await waitFor(() => h.stats().handles === 0 && h.server.connections === 0);
    assert.is(openFdCount(), fdsBefore);
  } finally {
    await h.stop();
  }
});

test('attach: no authentication (Tauth refused, any afid accepted)', async () => {
  const h = await startHarness();
  try {
    const c = await h.connect();
    await c.version();
    assert.is(await c.err({ type: 'Tauth', afid: 1, uname: 'root', aname: '', n_uname: NONUNAME }), E.ENOENT);
    await c.ok({ type: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname: '', n_uname: 0 }, 'Rattach');
    await c.ok({ type: 'Tattach', fid: 1, afid: 7, uname: 'root', aname: '', n_uname: 0 }, 'Rattach');
  } finally {
    await h.stop();
  }
});

test('a connection dropped mid-way gives back every node reference, handle and lock: the node table is the root alone again', async () => {
  const h = await startHarness();
  try {
    fs.mkdirSync(path.join(h.tmp.dir, 'd', 'e'), { recursive: true });
    for (const n of ['f', 'g']) fs.writeFileSync(path.join(h.tmp.dir, 'd', 'e', n), 'data');
    assert.is(h.stats().nodes, 1, 'only the root to begin with');
    const holder = await h.session();
    await holder.walk(0, 1, 'd', 'e', 'g');
    await holder.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
    await holder.ok({ type: 'Tlock', fid: 1, lock_type: 1, flags: 0, start: 0n, length: 0n, proc_id: 1, client_id: 'h' }, 'Rlock');

    const a = await h.session();
    await a.walk(0, 1, 'd', 'e', 'f');
    await a.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
    await a.ok({ type: 'Tlock', fid: 1, lock_type: 1, flags: 0, start: 0n, length: 0n, proc_id: 2, client_id: 'a' }, 'Rlock');
    await a.walk(0, 2, 'd');
    await a.ok({ type: 'Tlopen', fid: 2, flags: 0 }, 'Rlopen');
    await a.ok({ type: 'Treaddir', fid: 2, offset: 0n, count: 100 }, 'Rreaddir');
    await a.walk(0, 3, 'd', 'e');
    await a.ok({ type: 'Tlcreate', fid: 3, name: Buffer.from('new'), flags: 2, mode: 0o644, gid: 0 }, 'Rlcreate');
    await a.walk(0, 4, 'd');
    await a.walk(4, 5, 'e');
    await a.walk(0, 6, 'd', 'e', 'g');
    await a.ok({ type: 'Tlopen', fid: 6, flags: 2 }, 'Rlopen');
    // Mid-way: a blocking lock waiting for the holder's, and half a frame.
    void a.send({ type: 'Tlock', fid: 6, lock_type: 1, flags: 1, start: 0n, length: 0n, proc_id: 3, client_id: 'a' });
    await waitFor(() => h.exportLocks().waiting === 1);
    a.raw(Buffer.from([100, 0, 0, 0, 110]));
    assert.is(h.stats().handles, 5);
    a.sock.destroy();
    await waitFor(() => h.server.connections === 1);
    assert.is(h.stats().handles, 1, 'only the holder\'s handle is left');
    assert.is(h.exportLocks().waiting, 0);
    assert.is((h.vfs as CoreVfs).lockCount, 1, 'the dropped connection\'s lock went with its handle');
    await holder.close();
    await waitFor(() => h.server.connections === 0);
    assert.equal(h.stats(), { ...h.stats(), nodes: 1, handles: 0 }, 'the node table is the root alone');
    assert.is((h.vfs as CoreVfs).lockCount, 0);
  } finally {
    await h.stop();
  }
});

test.run();
