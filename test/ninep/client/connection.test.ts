// The request/reply machinery against a scripted peer over a real socket:
// tags, pipelining, out-of-order replies, flush, error replies, failures.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dialect9P2000, dialect9P2000u, encode, NOTAG } from '../../../ninep/index.js';
import { Client, ClientError, Connection, NinepError } from '../../../ninep/client/index.js';
import { peerPair } from './peer.js';

test('Tversion goes out on NOTAG and settles msize and dialect', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket, { msize: 8192, version: '9P2000.u' });
    const v = await pair.peer.acceptVersion(4096);
    assert.is(v.tag, NOTAG);
    assert.equal(v.msg, { type: 'Tversion', msize: 8192, version: '9P2000.u' });
    const c = await connecting;
    assert.is(c.msize, 4096);
    assert.is(c.dialect.name, '9P2000.u');
    assert.is(c.maxIo, 4096 - 24);
  } finally {
    await pair.close();
  }
});

test('a server answering "unknown" rejects with ClientError version', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket, { version: '9P2000.L' });
    await pair.peer.acceptVersion(undefined, 'unknown');
    const e = await connecting.catch((x: unknown) => x);
    assert.instance(e, ClientError);
    assert.is((e as ClientError).reason, 'version');
  } finally {
    await pair.close();
  }
});

test('a server raising msize above the proposal is a protocol error', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket, { msize: 8192 });
    await pair.peer.acceptVersion(1 << 20);
    const e = await connecting.catch((x: unknown) => x);
    assert.is((e as ClientError).reason, 'protocol');
  } finally {
    await pair.close();
  }
});

test('many requests in flight get distinct tags and out-of-order replies reach the right caller', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const n = 50;
    const reads = Array.from({ length: n }, (_, i) => c.read(7, BigInt(i * 10), 10));
    const reqs = await pair.peer.take(n);
    assert.is(new Set(reqs.map((r) => r.tag)).size, n);
    assert.is(c.conn.inFlight, n);
    // Answer in reverse order; each reply carries its request's offset.
    for (const r of [...reqs].reverse()) {
      assert.is(r.msg.type, 'Tread');
      const off = r.msg.type === 'Tread' ? r.msg.offset : -1n;
      pair.peer.reply(r.tag, { type: 'Rread', data: Buffer.from(`at ${off}`) });
    }
    const got = await Promise.all(reads);
    assert.equal(
      got.map((b) => b.toString()),
      Array.from({ length: n }, (_, i) => `at ${i * 10}`),
    );
    assert.is(c.conn.inFlight, 0);
  } finally {
    await pair.close();
  }
});

test('tags are reused after their reply, and callers queue when all tags are out', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket, { maxInFlight: 2 });
    await pair.peer.acceptVersion();
    const c = await connecting;
    const p = [c.clunk(1), c.clunk(2), c.clunk(3)];
    const [a, b] = await pair.peer.take(2);
    assert.ok(a && b);
    assert.is(c.conn.inFlight, 2);
    pair.peer.reply(b.tag, { type: 'Rclunk' });
    const third = await pair.peer.next();
    assert.is(third.tag, b.tag, 'the freed tag serves the queued request');
    assert.equal(third.msg, { type: 'Tclunk', fid: 3 });
    pair.peer.reply(a.tag, { type: 'Rclunk' });
    pair.peer.reply(third.tag, { type: 'Rclunk' });
    await Promise.all(p);
    assert.is(c.conn.inFlight, 0);
  } finally {
    await pair.close();
  }
});

test('error replies reject with NinepError carrying code and number, per dialect', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const walking = c.walk(1, ['x']);
    const w = await pair.peer.next();
    pair.peer.reply(w.tag, { type: 'Rlerror', ecode: 2 });
    const e = (await walking.catch((x: unknown) => x)) as NinepError;
    assert.instance(e, NinepError);
    assert.is(e.code, 'ENOENT');
    assert.is(e.errno, 2);
    assert.is(e.request, 'Twalk');
    assert.is(c.fids.inUse, 0, 'the newfid of a failed walk goes back to the pool');

    // 9P2000.u: Rerror with text and number; 9P2000: text only.
    pair.peer.dialect = dialect9P2000u;
    c.conn.dialect = dialect9P2000u;
    const opening = c.open(1, 0);
    const o = await pair.peer.next();
    pair.peer.reply(o.tag, { type: 'Rerror', ename: 'Permission denied', errno: 13 });
    const eu = (await opening.catch((x: unknown) => x)) as NinepError;
    assert.is(eu.code, 'EACCES');
    assert.is(eu.ename, 'Permission denied');

    pair.peer.dialect = dialect9P2000;
    c.conn.dialect = dialect9P2000;
    const statting = c.stat(1);
    const s = await pair.peer.next();
    pair.peer.reply(s.tag, { type: 'Rerror', ename: 'file exists' });
    const e0 = (await statting.catch((x: unknown) => x)) as NinepError;
    assert.is(e0.code, 'EEXIST', 'the text decides when no number travels');
    assert.is(e0.errno, undefined);
  } finally {
    await pair.close();
  }
});

test('a reply of the wrong type rejects as a protocol error, the connection goes on', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const r1 = c.clunk(4);
    const t1 = await pair.peer.next();
    pair.peer.reply(t1.tag, { type: 'Rremove' });
    assert.is(((await r1.catch((x: unknown) => x)) as ClientError).reason, 'protocol');
    const r2 = c.clunk(5);
    const t2 = await pair.peer.next();
    pair.peer.reply(t2.tag, { type: 'Rclunk' });
    await r2;
  } finally {
    await pair.close();
  }
});

test('flush: Rflush before the reply rejects the request as flushed', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const inflight = await c.conn.send({ type: 'Tread', fid: 1, offset: 0n, count: 10 });
    const read = await pair.peer.next();
    assert.is(read.tag, inflight.tag);
    const flushing = c.flush(inflight.tag);
    const f = await pair.peer.next();
    assert.equal(f.msg, { type: 'Tflush', oldtag: inflight.tag });
    pair.peer.reply(f.tag, { type: 'Rflush' });
    await flushing;
    const e = (await inflight.reply.catch((x: unknown) => x)) as ClientError;
    assert.is(e.reason, 'flushed');
    assert.is(c.conn.inFlight, 0);
  } finally {
    await pair.close();
  }
});

test('flush: a reply before Rflush settles the request, and the old tag waits for Rflush', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket, { maxInFlight: 2 });
    await pair.peer.acceptVersion();
    const c = await connecting;
    const inflight = await c.conn.send({ type: 'Tread', fid: 1, offset: 0n, count: 10 });
    await pair.peer.next();
    const flushing = c.flush(inflight.tag);
    const f = await pair.peer.next();
    pair.peer.reply(inflight.tag, { type: 'Rread', data: Buffer.from('late') });
    assert.is((await inflight.reply).data.toString(), 'late');
    assert.is(c.conn.inFlight, 2, 'old tag still held until Rflush');
    pair.peer.reply(f.tag, { type: 'Rflush' });
    await flushing;
    assert.is(c.conn.inFlight, 0);
  } finally {
    await pair.close();
  }
});

test('a reply on a tag nobody waits for closes the connection and fails every request', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const pending = c.clunk(9);
    await pair.peer.next();
    pair.peer.socket.write(encode(pair.peer.dialect, 4242, { type: 'Rclunk' }));
    const e = (await pending.catch((x: unknown) => x)) as ClientError;
    assert.is(e.reason, 'protocol');
    assert.match(e.message, /4242/);
    await c.conn.closed;
    const later = (await c.clunk(1).catch((x: unknown) => x)) as ClientError;
    assert.instance(later, ClientError);
  } finally {
    await pair.close();
  }
});

test('the server closing the connection rejects what is in flight with reason closed', async () => {
  const pair = await peerPair();
  try {
    const conn = new Connection(pair.socket);
    const inflight = await conn.send({ type: 'Tversion', msize: 8192, version: '9P2000.L' });
    await pair.peer.next();
    pair.peer.socket.end();
    const e = (await inflight.reply.catch((x: unknown) => x)) as ClientError;
    assert.is(e.reason, 'closed');
    await conn.closed;
  } finally {
    await pair.close();
  }
});

test('sendRaw returns error replies as messages and refuses a tag in flight', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const tag = await c.conn.takeTag();
    const raw = c.conn.sendRaw(encode(pair.peer.dialect, tag, { type: 'Tclunk', fid: 3 }), tag);
    const dup = (await c.conn.sendRaw(Buffer.alloc(7), tag).catch((x: unknown) => x)) as ClientError;
    assert.is(dup.reason, 'usage');
    const got = await pair.peer.next();
    assert.is(got.tag, tag);
    pair.peer.reply(tag, { type: 'Rlerror', ecode: 9 });
    assert.equal(await raw, { type: 'Rlerror', ecode: 9 });
    c.conn.releaseTag(tag);
  } finally {
    await pair.close();
  }
});

test('a message the dialect lacks is refused before sending', async () => {
  const pair = await peerPair();
  try {
    const connecting = Client.connect(pair.socket);
    await pair.peer.acceptVersion();
    const c = await connecting;
    const e = (await c.open(1, 0).catch((x: unknown) => x)) as ClientError;
    assert.is(e.reason, 'usage');
    assert.is(c.conn.inFlight, 0);
  } finally {
    await pair.close();
  }
});

test.run();
