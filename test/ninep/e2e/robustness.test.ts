// Bad input and limits on the real server: malformed frames get an error
// reply and the connection goes on; a lost framing (size field) closes it;
// the fid limit is an error, not a crash; a closed connection gives back
// every fid, open file and lock (no descriptor leak); one client's garbage
// never disturbs another.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dialect9P2000L, encode, NOTAG, P9_DOTL_RDONLY, P9_DOTL_RDWR, P9_LOCK_SUCCESS, P9_LOCK_TYPE_WRLCK } from '../../../ninep/index.js';
import { NinepError, readFile, walkPath } from '../../../ninep/client/index.js';
import { openFdCount, waitFor } from '../../helpers/tmp-export.js';
import { testModes, type RawConn, type Served } from './harness.js';

const RLERROR = 7;

/** A raw connection with 9P2000.L negotiated (msize 8192) and fid 1 attached as root. */
async function rawSession(s: Served): Promise<RawConn> {
  const raw = await s.raw();
  raw.send(encode(dialect9P2000L, NOTAG, { type: 'Tversion', msize: 8192, version: '9P2000.L' }));
  assert.is((await raw.next())[4], 101);
  raw.send(encode(dialect9P2000L, 1, { type: 'Tattach', fid: 1, afid: 0xffffffff, uname: 'root', aname: '', n_uname: 0 }));
  assert.is((await raw.next())[4], 105);
  return raw;
}

/** Sends a frame and expects an Rlerror on its tag; returns the errno. */
async function expectLerror(raw: RawConn, frame: Buffer, tag: number): Promise<number> {
  raw.send(frame);
  const r = await raw.next();
  assert.is(r.readUInt16LE(5), tag, 'reply on the same tag');
  assert.is(r[4], RLERROR, `Rlerror, got type ${r[4]}`);
  return r.readUInt32LE(7);
}

async function stillServes(raw: RawConn, tag = 50): Promise<void> {
  raw.send(encode(dialect9P2000L, tag, { type: 'Tgetattr', fid: 1, request_mask: 0x7ffn }));
  const r = await raw.next();
  assert.is(r[4], 25, 'Rgetattr: the connection still works');
  assert.is(r.readUInt16LE(5), tag);
}

/** A blocking lock waits this long in the server: for these tests, until it is flushed. */
const HOUR = 3_600_000;

/**
 * Another client holds a write lock on file f; `raw` (attached as fid 1)
 * opens f as fid 2 and sends a blocking Tlock on `tag`, which stays in
 * flight until flushed (with blockingLockWait HOUR).
 */
async function blockedLock(s: Served, raw: RawConn, tag: number): Promise<void> {
  fs.writeFileSync(path.join(s.dir, 'f'), 'abc');
  const holder = await s.attached();
  const lf = await walkPath(holder.c, holder.root, 'f');
  await holder.c.lopen(lf, P9_DOTL_RDWR);
  assert.is(await holder.c.lock(lf, { lock_type: P9_LOCK_TYPE_WRLCK, start: 0n, length: 0n, proc_id: 1, client_id: 'h' }), P9_LOCK_SUCCESS);
  raw.send(encode(dialect9P2000L, 2, { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('f')] }));
  assert.is((await raw.next())[4], 111, 'Rwalk');
  raw.send(encode(dialect9P2000L, 3, { type: 'Tlopen', fid: 2, flags: P9_DOTL_RDWR }));
  assert.is((await raw.next())[4], 13, 'Rlopen');
  raw.send(encode(dialect9P2000L, tag, { type: 'Tlock', fid: 2, lock_type: P9_LOCK_TYPE_WRLCK, flags: 1, start: 0n, length: 0n, proc_id: 2, client_id: 'r' }));
}

function frame(type: number, tag: number, body: Buffer): Buffer {
  const f = Buffer.alloc(7 + body.length);
  f.writeUInt32LE(f.length, 0);
  f[4] = type;
  f.writeUInt16LE(tag, 5);
  body.copy(f, 7);
  return f;
}

testModes(test, 'undecodable frames get an error reply for their tag and the connection goes on', {}, async (s) => {
  const raw = await rawSession(s);
  assert.is(await expectLerror(raw, frame(250, 9, Buffer.alloc(3)), 9), 38, 'unknown type: ENOSYS');
  assert.ok((await expectLerror(raw, frame(112, 10, Buffer.from([1, 0, 0, 0, 0])), 10)) > 0, 'Topen is not .L');
  const walk = encode(dialect9P2000L, 11, { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('abc')] });
  const cut = walk.subarray(0, walk.length - 2);
  cut.writeUInt32LE(cut.length, 0);
  assert.is(await expectLerror(raw, cut, 11), 22, 'a field past the end: EINVAL');
  const long = Buffer.concat([encode(dialect9P2000L, 12, { type: 'Tclunk', fid: 77 }), Buffer.alloc(3)]);
  long.writeUInt32LE(long.length, 0);
  assert.is(await expectLerror(raw, long, 12), 22, 'trailing bytes: EINVAL');
  const write = encode(dialect9P2000L, 13, { type: 'Twrite', fid: 1, offset: 0n, data: Buffer.from('xy') });
  write.writeUInt32LE(1000, 19);
  assert.is(await expectLerror(raw, write, 13), 22, 'a data count past the frame: EINVAL');
  await stillServes(raw);
});

testModes(test, 'a request on a tag already in flight is refused; the tag is usable after its reply', { server: { blockingLockWait: HOUR } }, async (s) => {
  const raw = await rawSession(s);
  await blockedLock(s, raw, 7);
  await stillServes(raw, 8);
  const errno = await expectLerror(raw, encode(dialect9P2000L, 7, { type: 'Tgetattr', fid: 1, request_mask: 1n }), 7);
  assert.ok(errno > 0);
  raw.send(encode(dialect9P2000L, 9, { type: 'Tflush', oldtag: 7 }));
  const first = await raw.next();
  const second = await raw.next();
  assert.is(first.readUInt16LE(5), 7, 'the flushed request answers first');
  assert.is(second[4], 109, 'then Rflush');
  raw.send(encode(dialect9P2000L, 7, { type: 'Tgetattr', fid: 1, request_mask: 1n }));
  assert.is((await raw.next())[4], 25, 'tag 7 is free again');
});

testModes(test, 'a size field above msize or below 7 closes the connection', {}, async (s) => {
  for (const size of [8193, 0xffffffff, 3]) {
    const raw = await rawSession(s);
    const bad = Buffer.alloc(16);
    bad.writeUInt32LE(size, 0);
    raw.send(bad);
    await raw.closed;
    assert.ok(raw.hasClosed, `size ${size}`);
  }
  const ok = await rawSession(s);
  await stillServes(ok);
});

testModes(test, 'the fid limit answers EMFILE and frees up after a clunk', { server: { maxFids: 4 } }, async (s) => {
  const { c, root } = await s.attached();
  const held = [(await c.walk(root, [])).fid, (await c.walk(root, [])).fid, (await c.walk(root, [])).fid] as number[];
  const e = (await c.walk(root, []).catch((x: unknown) => x)) as NinepError;
  assert.instance(e, NinepError);
  assert.is(e.code, 'EMFILE');
  await c.clunk(held[0] as number);
  assert.ok((await c.walk(root, [])).fid !== undefined);
});

testModes(test, 'closing a connection releases its fids, open files and locks: no descriptor leak', {}, async (s) => {
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(s.dir, `f${i}`), `${i}`);
  // Warm up once so lazily opened server-side descriptors are counted in the baseline.
  const warm = await s.attached();
  await readFile(warm.c, warm.root, 'f0');
  const before = openFdCount();
  const { c, root } = await s.attached();
  for (let i = 0; i < 40; i++) {
    const f = await walkPath(c, root, `f${i}`);
    await c.lopen(f, P9_DOTL_RDONLY);
  }
  const lf = await walkPath(c, root, 'f0');
  await c.lopen(lf, P9_DOTL_RDWR);
  assert.is(await c.lock(lf, { lock_type: P9_LOCK_TYPE_WRLCK, start: 0n, length: 0n, proc_id: 1, client_id: 'x' }), P9_LOCK_SUCCESS);
  assert.ok(openFdCount() > before + 30, `descriptors held: ${openFdCount()} vs ${before}`);
  c.conn.destroy();
  await waitFor(() => openFdCount() <= before);
  const other = await s.attached();
  const of = await walkPath(other.c, other.root, 'f0');
  await other.c.lopen(of, P9_DOTL_RDWR);
  assert.is(await other.c.lock(of, { lock_type: P9_LOCK_TYPE_WRLCK, start: 0n, length: 0n, proc_id: 2, client_id: 'y' }), P9_LOCK_SUCCESS);
});

testModes(test, 'two clients at once: one sends garbage, the other reads a file byte-exact throughout', {}, async (s) => {
  const data = crypto.randomBytes(3 << 20);
  fs.writeFileSync(path.join(s.dir, 'data'), data);
  const good = await s.attached('9P2000.L', { msize: 65536 });
  const garbage = (async () => {
    for (let i = 0; i < 20; i++) {
      const raw = await rawSession(s);
      // Valid header, random body: decodes badly or is refused; then random bytes.
      const junk = crypto.randomBytes(64);
      raw.send(frame(24, 5, junk));
      raw.send(crypto.randomBytes(4096));
      await raw.closed.then(() => undefined, () => undefined);
      raw.destroy();
    }
  })();
  const reads = Array.from({ length: 4 }, () => readFile(good.c, good.root, 'data'));
  const results = await Promise.all(reads);
  await garbage;
  for (const r of results) assert.ok(r.equals(data));
  assert.ok((await readFile(good.c, good.root, 'data')).equals(data));
});

testModes(test, '2,000 requests in flight on one connection all answer', { server: { maxInFlight: 64 } }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'x');
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'f');
  const all = await Promise.all(Array.from({ length: 2000 }, () => c.getattr(f, 0x200n)));
  assert.ok(all.every((r) => r.size === 1n));
  assert.is(c.conn.inFlight, 0);
});

testModes(test, 'flush of a tag not in flight answers Rflush at once', { server: { blockingLockWait: HOUR } }, async (s) => {
  const raw = await rawSession(s);
  await blockedLock(s, raw, 7);
  // Not in flight: nothing to wait for, even while tag 7 waits for its lock (an hour).
  raw.send(encode(dialect9P2000L, 9, { type: 'Tflush', oldtag: 4321 }));
  const r = await raw.next();
  assert.equal([r[4], r.readUInt16LE(5), r.length], [109, 9, 7], 'the next reply is an empty Rflush on the flush\'s own tag');
  await stillServes(raw, 8);
  // Tag 7 was left alone: still in flight until flushed itself.
  raw.send(encode(dialect9P2000L, 10, { type: 'Tflush', oldtag: 7 }));
  assert.is((await raw.next()).readUInt16LE(5), 7, 'the blocked lock answers when flushed');
  const flushed = await raw.next();
  assert.equal([flushed[4], flushed.readUInt16LE(5)], [109, 10]);
});

test.run();
