// Read-ahead: sequential readers get the right bytes, and a change made
// through any 9P connection, or through the Vfs itself (as the FUSE front
// end or another server would), between two reads is always seen.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { startHarness } from '../harness.js';
import { O_RDWR } from '../../../../src/types.js';

const ME = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

const CHUNK = 65536;

test('sequential reads return the file exactly, through read-ahead', async () => {
  const h = await startHarness({ options: { maxMsize: CHUNK + 24 } });
  try {
    const data = Buffer.alloc(CHUNK * 10 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), data);
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    const parts: Buffer[] = [];
    for (let off = 0; ; off += CHUNK) {
      const r = await c.ok({ type: 'Tread', fid: 1, offset: BigInt(off), count: CHUNK }, 'Rread');
      if (r.data.length === 0) break;
      parts.push(Buffer.from(r.data));
    }
    assert.ok(Buffer.concat(parts).equals(data));
    // Out of order after a sequential run: still exact.
    const back = await c.ok({ type: 'Tread', fid: 1, offset: 5n, count: CHUNK }, 'Rread');
    assert.ok(back.data.equals(data.subarray(5, 5 + CHUNK)));
    await c.ok({ type: 'Tclunk', fid: 1 }, 'Rclunk');
    assert.is(h.stats().handles, 0);
  } finally {
    await h.stop();
  }
});

test('a write through another connection between sequential reads is seen', async () => {
  const h = await startHarness({ options: { maxMsize: CHUNK + 24 } });
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), Buffer.alloc(CHUNK * 4, 1));
    const reader = await h.session();
    const writer = await h.session();
    await reader.walk(0, 1, 'f');
    await reader.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    await writer.walk(0, 1, 'f');
    await writer.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
    for (let i = 0; i < 2; i++) await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(i * CHUNK), count: CHUNK }, 'Rread');
    // The server may now be reading [2*CHUNK, 3*CHUNK) ahead.
    await writer.ok({ type: 'Twrite', fid: 1, offset: BigInt(2 * CHUNK), data: Buffer.alloc(CHUNK, 9) }, 'Rwrite');
    const r = await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(2 * CHUNK), count: CHUNK }, 'Rread');
    assert.ok(r.data.equals(Buffer.alloc(CHUNK, 9)));
    // And a truncate through setattr.
    await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(3 * CHUNK), count: CHUNK }, 'Rread');
    const base = { type: 'Tsetattr', fid: 1, valid: 0x8, mode: 0, uid: 0, gid: 0, size: BigInt(CHUNK * 4 + 10), atime_sec: 0n, atime_nsec: 0n, mtime_sec: 0n, mtime_nsec: 0n } as const;
    await writer.ok(base, 'Rsetattr');
    const tail = await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(4 * CHUNK), count: CHUNK }, 'Rread');
    assert.is(tail.data.length, 10);
  } finally {
    await h.stop();
  }
});

test('a write through the Vfs itself, not through 9P, drops the read-ahead it makes stale', async () => {
  const h = await startHarness({ options: { maxMsize: CHUNK + 24 } });
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), Buffer.alloc(CHUNK * 4, 1));
    const reader = await h.session();
    await reader.walk(0, 1, 'f');
    await reader.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    for (let i = 0; i < 2; i++) await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(i * CHUNK), count: CHUNK }, 'Rread');
    // [2*CHUNK, 3*CHUNK) is now read ahead, with the old bytes.
    assert.ok(h.server.readAheads.held > 0, 'a read-ahead is kept');
    await h.server.readAheads.finished();
    const e = await h.vfs.lookup(ME, h.vfs.root, Buffer.from('f'));
    const w = await h.vfs.open(ME, e.id, O_RDWR);
    await h.vfs.write(w, BigInt(2 * CHUNK), Buffer.alloc(CHUNK, 7));
    await h.vfs.release(w);
    h.vfs.forget(e.id, 1);
    assert.is(h.server.readAheads.held, 0, 'the write dropped it');
    const r = await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(2 * CHUNK), count: CHUNK }, 'Rread');
    assert.ok(r.data.equals(Buffer.alloc(CHUNK, 7)), 'the read returns the new bytes');
  } finally {
    await h.stop();
  }
});

test('a write made on the host, which no Vfs announces, is seen: the read-ahead is read again', async () => {
  const h = await startHarness({ options: { maxMsize: CHUNK + 24 } });
  try {
    const f = path.join(h.tmp.dir, 'f');
    fs.writeFileSync(f, Buffer.alloc(CHUNK * 4, 1));
    const reader = await h.session();
    await reader.walk(0, 1, 'f');
    await reader.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    for (let i = 0; i < 2; i++) await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(i * CHUNK), count: CHUNK }, 'Rread');
    assert.ok(h.server.readAheads.held > 0, 'a read-ahead is kept');
    await h.server.readAheads.finished();
    // The ctime must move: on a coarse clock two changes may share a tick.
    const before = fs.statSync(f, { bigint: true }).ctimeNs;
    while (fs.statSync(f, { bigint: true }).ctimeNs === before) {
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, Buffer.alloc(CHUNK, 5), 0, CHUNK, 2 * CHUNK);
      fs.closeSync(fd);
    }
    const r = await reader.ok({ type: 'Tread', fid: 1, offset: BigInt(2 * CHUNK), count: CHUNK }, 'Rread');
    assert.ok(r.data.equals(Buffer.alloc(CHUNK, 5)), 'the read returns the new bytes from the host');
  } finally {
    await h.stop();
  }
});

test.run();
