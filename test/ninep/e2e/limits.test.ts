// What one client can make the server hold is bounded, and the other
// clients keep working: xattr values, read-ahead buffers, open files,
// connections, half-sent frames, reply bytes queued for slow readers. Each
// test pushes one client past a limit on a live server, checks the error
// (or the close), that a second client is served meanwhile, and that the
// server's descriptors come back to where they were.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { dialect9P2000L, encode, NOTAG, P9_DOTL_RDONLY } from '../../../ninep/index.js';
import { NinepError, readAll, readFile, walkPath, type Client } from '../../../ninep/client/index.js';
import type { Logger } from '../../../src/log.js';
import { heldDescriptors, waitFor } from '../../helpers/tmp-export.js';
import { testModes, type RawConn, type Served } from './harness.js';

const KIB = 1024;
const MIB = 1 << 20;

async function errorOf(p: Promise<unknown>): Promise<NinepError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.instance(e, NinepError, 'the request fails with a 9P error');
  return e as NinepError;
}

/** A raw connection with 9P2000.L negotiated and fid 1 attached as root. */
async function rawSession(s: Served, msize = 8192): Promise<RawConn> {
  const raw = await s.raw();
  raw.send(encode(dialect9P2000L, NOTAG, { type: 'Tversion', msize, version: '9P2000.L' }));
  assert.is((await raw.next())[4], 101);
  raw.send(encode(dialect9P2000L, 1, { type: 'Tattach', fid: 1, afid: 0xffffffff, uname: 'root', aname: '', n_uname: 0 }));
  assert.is((await raw.next())[4], 105);
  return raw;
}

/** Resolves when `raw` is closed by the server; fails if that has not happened within `ms`. */
async function closedWithin(raw: RawConn, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([raw.closed.then(() => 'closed' as const), late]);
  clearTimeout(timer);
  assert.is(r, 'closed', what);
}

/** A second client that must keep working: reads `name` byte-exact and creates a file. */
async function stillWorks(s: Served, name: string, data: Buffer): Promise<void> {
  const { c, root } = await s.attached();
  assert.ok((await readFile(c, root, name)).equals(data), 'the other client reads byte-exact');
  await c.close();
}

/** A full garbage collection (the test runner does not expose gc). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function logger(warns: string[]): Logger {
  return { debug: () => undefined, info: () => undefined, warn: (m) => warns.push(m), error: (m) => warns.push(m) };
}

async function xattrFid(c: Client, from: number, size: number): Promise<number> {
  const x = (await c.walk(from, [])).fid as number;
  try {
    await c.xattrcreate(x, 'user.v', BigInt(size), 0);
  } catch (e) {
    await c.clunk(x).catch(() => undefined);
    throw e;
  }
  return x;
}

testModes(test, 'xattr values a connection holds stop at maxXattrBytes (ENOMEM); others set theirs', { server: { maxXattrBytes: 256 * KIB } }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'f');
  const good = crypto.randomBytes(1000);
  fs.writeFileSync(path.join(s.dir, 'g'), good);
  const before = heldDescriptors();
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'f');
  assert.is((await errorOf(xattrFid(c, f, 65537))).code, 'E2BIG', 'above XATTR_SIZE_MAX');
  const held: number[] = [];
  for (let i = 0; i < 4; i++) held.push(await xattrFid(c, f, 64 * KIB));
  assert.is((await errorOf(xattrFid(c, f, 64 * KIB))).code, 'ENOMEM', 'the fifth 64 KiB announcement');
  assert.is((await errorOf(xattrFid(c, f, 1))).code, 'ENOMEM', 'not even one byte more');
  // Another connection has a budget of its own: it sets a value sent in
  // pieces (the host's filesystem takes a few KiB per value).
  const other = await s.attached();
  const of = await walkPath(other.c, other.root, 'f');
  const value = crypto.randomBytes(3000);
  const x = await xattrFid(other.c, of, value.length);
  await other.c.write(x, 1000n, value.subarray(1000));
  await other.c.write(x, 0n, value.subarray(0, 1000));
  await other.c.clunk(x);
  // Values read by xattrwalk count as well: 3 × 64 KiB announced leave room for 21 values of 3000 bytes.
  const announced: number[] = [];
  for (let i = 0; i < 3; i++) announced.push(await xattrFid(other.c, of, 64 * KIB));
  const walked: number[] = [];
  for (let i = 0; i < 21; i++) walked.push((await other.c.xattrwalk(of, 'user.v')).fid);
  assert.is((await errorOf(other.c.xattrwalk(of, 'user.v'))).code, 'ENOMEM', 'the 22nd value read');
  for (const w of [...walked, ...announced]) await other.c.clunk(w).catch(() => undefined);
  const back = await other.c.xattrwalk(of, 'user.v');
  const chunks: Buffer[] = [];
  await readAll(other.c, back.fid, other.c.maxIo, (b) => chunks.push(Buffer.from(b)));
  assert.ok(Buffer.concat(chunks).equals(value), 'the value written in two pieces');
  // A clunk gives the bytes back (this one fails: the value never came).
  assert.is((await errorOf(c.clunk(held.pop() as number))).code, 'EINVAL');
  held.push(await xattrFid(c, f, 64 * KIB));
  await stillWorks(s, 'g', good);
  c.conn.destroy();
  await other.c.close();
  await waitFor(() => heldDescriptors() <= before);
});

testModes(test, 'an announced xattr value takes memory only as its data arrives', { server: { maxXattrBytes: 128 * MIB } }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'f');
  const { c, root } = await s.attached();
  const f = await walkPath(c, root, 'f');
  // Garbage of earlier tests collected first, so a collection during the loop cannot hide what it takes.
  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  const held: number[] = [];
  for (let i = 0; i < 1000; i++) held.push(await xattrFid(c, f, 64 * KIB));
  const grew = process.memoryUsage().arrayBuffers - before;
  // 1000 × 64 KiB = 62.5 MiB if the values were allocated when announced.
  assert.ok(grew < 16 * MIB, `announcing 62.5 MiB of values took ${grew} bytes`);
  await c.close();
});

testModes(test, 'read-ahead buffers of idle fids stay within readAheadBytes; reads stay byte-exact', { server: { maxMsize: MIB, readAheadBytes: 4 * MIB } }, async (s) => {
  const files = Array.from({ length: 12 }, (_, i) => {
    const data = crypto.randomBytes(3 * MIB);
    fs.writeFileSync(path.join(s.dir, `f${i}`), data);
    return data;
  });
  const before = heldDescriptors();
  const { c, root } = await s.attached('9P2000.L', { msize: MIB });
  const count = c.maxIo;
  assert.ok(count >= 256 * KIB, `reads of ${count} bytes get read-ahead`);
  const fids: number[] = [];
  for (const data of files) {
    const f = await walkPath(c, root, `f${fids.length}`);
    await c.lopen(f, P9_DOTL_RDONLY);
    // Two sequential full reads start a read-ahead of the next `count` bytes; then the fid is left idle.
    assert.ok((await c.read(f, 0n, count)).equals(data.subarray(0, count)));
    assert.ok((await c.read(f, BigInt(count), count)).equals(data.subarray(count, 2 * count)));
    fids.push(f);
  }
  const held = s.server.readAheads.held;
  assert.ok(held > 0, 'read-aheads are kept');
  assert.ok(held <= 4 * MIB, `${held} bytes of read-ahead kept, limit ${4 * MIB}`);
  // Every file, its read-ahead kept or dropped, reads on byte-exact.
  for (const [i, f] of fids.entries()) {
    const data = files[i] as Buffer;
    assert.ok((await c.read(f, BigInt(2 * count), count)).equals(data.subarray(2 * count, 3 * count)), `f${i} third read`);
  }
  await stillWorks(s, 'f0', files[0] as Buffer);
  for (const f of fids) await c.clunk(f);
  assert.is(s.server.readAheads.held, 0, 'clunked fids keep no read-ahead');
  await c.close();
  await waitFor(() => heldDescriptors() <= before);
});

testModes(test, 'open files stop at maxOpenFiles per connection (EMFILE) and maxOpenFilesTotal (ENFILE)', { server: { maxOpenFiles: 40, maxOpenFilesTotal: 60 } }, async (s) => {
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(s.dir, `f${i}`), `${i}`);
  const data = Buffer.from('good');
  fs.writeFileSync(path.join(s.dir, 'good'), data);
  await stillWorks(s, 'good', data); // warm up: lazily opened descriptors count in the baseline
  const before = heldDescriptors();
  const openAll = async (c: Client, root: number): Promise<{ fids: number[]; error: NinepError }> => {
    const fids: number[] = [];
    for (let i = 0; ; i++) {
      const f = await walkPath(c, root, `f${i % 50}`);
      try {
        await c.lopen(f, P9_DOTL_RDONLY);
      } catch (e) {
        assert.instance(e, NinepError);
        return { fids, error: e as NinepError };
      }
      fids.push(f);
    }
  };
  const a = await s.attached();
  const fa = await openAll(a.c, a.root);
  assert.is(fa.error.code, 'EMFILE', 'one connection past its own limit');
  assert.is(fa.fids.length, 40);
  // A directory open counts too.
  assert.is((await errorOf(a.c.lopen((await a.c.walk(a.root, [])).fid as number, P9_DOTL_RDONLY))).code, 'EMFILE');
  const b = await s.attached();
  const fb = await openAll(b.c, b.root);
  assert.is(fb.error.code, 'ENFILE', 'the server past its total');
  assert.is(fb.fids.length, 20);
  assert.is(s.server.openFiles.held, 60);
  // A third client still connects, walks and reads attributes; it may open once others close.
  const c3 = await s.attached();
  const g = await walkPath(c3.c, c3.root, 'good');
  assert.is((await c3.c.getattr(g, 0x200n)).size, 4n);
  assert.is((await errorOf(c3.c.lopen(g, P9_DOTL_RDONLY))).code, 'ENFILE');
  await a.c.clunk(fa.fids[0] as number);
  await c3.c.lopen(g, P9_DOTL_RDONLY);
  assert.ok((await c3.c.read(g, 0n, 100)).equals(data));
  a.c.conn.destroy();
  await b.c.close();
  await c3.c.close();
  await waitFor(() => heldDescriptors() <= before);
  assert.is(s.server.openFiles.held, 0, 'every open file given back');
});

const connWarns: string[] = [];
testModes(test, 'past maxConnections a new connection is closed (logged); the others keep working', { server: { maxConnections: 3, logger: logger(connWarns) } }, async (s) => {
  const data = Buffer.from('served');
  fs.writeFileSync(path.join(s.dir, 'f'), data);
  const before = heldDescriptors();
  const good = await s.attached();
  const hogs = [await rawSession(s), await rawSession(s)];
  const refused = await s.raw();
  refused.send(encode(dialect9P2000L, NOTAG, { type: 'Tversion', msize: 8192, version: '9P2000.L' }));
  await closedWithin(refused, 20_000, 'the fourth connection is closed');
  assert.ok(connWarns.some((w) => /refusing connection .*maxConnections/.test(w)), connWarns.join('\n'));
  connWarns.length = 0;
  assert.ok((await readFile(good.c, good.root, 'f')).equals(data), 'a client connected before still works');
  hogs[0]?.destroy();
  await waitFor(() => s.server.connections < 3);
  await stillWorks(s, 'f', data);
  hogs[1]?.destroy();
  await good.c.close();
  await waitFor(() => heldDescriptors() <= before);
});

testModes(test, 'a connection that stops mid-frame is closed after frameTimeout; others keep working', { server: { frameTimeout: 100 } }, async (s) => {
  const data = Buffer.from('served');
  fs.writeFileSync(path.join(s.dir, 'f'), data);
  const before = heldDescriptors();
  const stuck = await rawSession(s);
  const frame = encode(dialect9P2000L, 2, { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('f')] });
  stuck.send(frame.subarray(0, 9));
  const tiny = await s.raw();
  tiny.send(Buffer.from([200, 0])); // not even a whole size field
  await stillWorks(s, 'f', data);
  await closedWithin(stuck, 20_000, 'the connection holding half a frame is closed');
  await closedWithin(tiny, 20_000, 'the connection holding two bytes is closed');
  await waitFor(() => heldDescriptors() <= before);
});

const stallWarns: string[] = [];
testModes(test, 'at maxConnections, connections stalled mid-frame give way to a new client long before frameTimeout', { server: { maxConnections: 3, frameTimeout: 600_000, logger: logger(stallWarns) } }, async (s) => {
  const data = Buffer.from('served');
  fs.writeFileSync(path.join(s.dir, 'f'), data);
  const before = heldDescriptors();
  const half = encode(dialect9P2000L, 2, { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('f')] }).subarray(0, 9);
  const stuck: RawConn[] = [];
  for (let k = 0; k < 3; k++) {
    const raw = await rawSession(s);
    raw.send(half);
    stuck.push(raw);
  }
  // A well-behaved client tries until it is let in; the stalled ones would
  // hold every slot for frameTimeout (ten minutes here) without eviction.
  let admitted = false;
  for (let tries = 0; tries < 200 && !admitted; tries++) {
    try {
      await stillWorks(s, 'f', data);
      admitted = true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.ok(admitted, 'a new client got in and was served');
  assert.ok(stallWarns.some((w) => /closing connection \d+, stalled mid-frame/.test(w)), stallWarns.join('\n'));
  const closed = await Promise.all(stuck.map((r) => Promise.race([r.closed.then(() => 1), new Promise<number>((res) => setTimeout(() => res(0), 50))])));
  assert.ok(closed.reduce((a, b) => a + b, 0) >= 1, 'a stalled connection was closed');
  for (const r of stuck) r.destroy();
  stallWarns.length = 0;
  await waitFor(() => heldDescriptors() <= before);
});

testModes(test, 'reply bytes queued for clients that do not read stay near maxQueuedBytes; a reading client goes on', { server: { maxMsize: MIB, maxQueuedBytes: 4 * MIB, writeHighWater: 1 << 30, maxInFlight: 8 } }, async (s) => {
  const big = crypto.randomBytes(MIB);
  fs.writeFileSync(path.join(s.dir, 'big'), big);
  const before = heldDescriptors();
  const slow: RawConn[] = [];
  const REQUESTS = 100;
  for (let k = 0; k < 2; k++) {
    const raw = await rawSession(s, MIB);
    raw.send(encode(dialect9P2000L, 2, { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('big')] }));
    await raw.next();
    raw.send(encode(dialect9P2000L, 3, { type: 'Tlopen', fid: 2, flags: P9_DOTL_RDONLY }));
    await raw.next();
    raw.sock.pause();
    raw.send(Buffer.concat(Array.from({ length: REQUESTS }, (_, i) => encode(dialect9P2000L, i + 10, { type: 'Tread', fid: 2, offset: 0n, count: MIB - 24 }))));
    slow.push(raw);
  }
  const queued = (): number => s.serverSockets().reduce((n, sock) => n + sock.writableLength, 0);
  await waitFor(() => s.server.queued.over, 20_000);
  // Then until the queue has stopped growing for a while (a server that
  // went on would grow it to the 200 MiB asked for).
  let peak = 0;
  for (let still = 0; still < 100; still++) {
    const now = queued();
    if (now > peak) {
      peak = now;
      still = 0;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  // Past the limit the requests already running may each still add a reply.
  assert.ok(peak <= 4 * MIB + 2 * (8 + 1) * MIB, `server queued ${peak} bytes`);
  // A client that reads its replies is not held back by them.
  const good = await s.attached('9P2000.L', { msize: 64 * KIB });
  for (let i = 0; i < 3; i++) assert.ok((await readFile(good.c, good.root, 'big')).equals(big));
  await good.c.close();
  for (const raw of slow) raw.sock.resume();
  for (const raw of slow) {
    for (let got = 0; got < REQUESTS; got++) {
      const f = await raw.next();
      assert.is(f[4], 117, 'Rread');
    }
    raw.destroy();
  }
  await waitFor(() => heldDescriptors() <= before);
  await waitFor(() => s.server.queued.held === 0);
});

test.run();
