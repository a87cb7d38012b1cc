// Data replies built in place must equal what encode() produces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  beginRread,
  beginRreaddir,
  finishData,
  beginTwrite,
  finishTwrite,
  packDirents,
  encode,
  decode,
  dialect9P2000L,
  dialect9P2000,
  EncodeError,
  IOHDRSZ,
  TWRITE_HEADER,
} from '../../../ninep/codec/index.js';
import { toHex } from '../../helpers/hex.js';
import { qidA } from '../../fixtures/ninep/frames-9p2000.js';

test('Rread built in place equals the encoded message', () => {
  const reply = Buffer.alloc(8192, 0xee);
  const slot = beginRread(reply, 0x0102);
  assert.is(slot.length, 8192 - 11);
  const n = slot.write('hello');
  const frame = finishData(reply, n);
  assert.is(frame.buffer, reply.buffer); // no copy
  assert.is(toHex(frame), toHex(encode(dialect9P2000, 0x0102, { type: 'Rread', data: Buffer.from('hello') })));
  // The same buffer serves the next reply.
  const again = finishData((beginRread(reply, 7), reply), 0);
  assert.equal(decode(dialect9P2000, again), { tag: 7, msg: { type: 'Rread', data: Buffer.alloc(0) } });
});

test('Rreaddir packed in place equals the encoded message', () => {
  const reply = Buffer.alloc(4096);
  const count = 100;
  const slot = beginRreaddir(reply, 3).subarray(0, count);
  const entries = [
    { qid: qidA, offset: 1n, type: 4, name: Buffer.from('.') },
    { qid: qidA, offset: 2n, type: 4, name: Buffer.from('..') },
  ];
  const p = packDirents(slot, entries);
  const frame = finishData(reply, p.bytes);
  const data = Buffer.concat([slot.subarray(0, p.bytes)]);
  assert.is(toHex(frame), toHex(encode(dialect9P2000L, 3, { type: 'Rreaddir', data })));
});

test('Twrite header built in place equals the encoded message', () => {
  const buf = Buffer.alloc(64);
  const slot = beginTwrite(buf, 9, 4, 1n << 33n);
  const n = slot.write('abc');
  const frame = finishTwrite(buf, n);
  assert.is(TWRITE_HEADER, 23);
  assert.ok(TWRITE_HEADER <= IOHDRSZ);
  assert.is(toHex(frame), toHex(encode(dialect9P2000L, 9, { type: 'Twrite', fid: 4, offset: 1n << 33n, data: Buffer.from('abc') })));
});

test('counts that do not fit are refused', () => {
  const reply = Buffer.alloc(20);
  beginRread(reply, 1);
  assert.throws(() => finishData(reply, 10), (e: unknown) => e instanceof EncodeError);
  assert.throws(() => finishData(reply, -1), (e: unknown) => e instanceof EncodeError);
  assert.throws(() => beginRread(Buffer.alloc(5), 1), (e: unknown) => e instanceof EncodeError);
  assert.throws(() => beginRread(Buffer.alloc(50), 0x10000), (e: unknown) => e instanceof EncodeError);
  const w = Buffer.alloc(24);
  beginTwrite(w, 1, 1, 0n);
  finishTwrite(w, 1);
  assert.throws(() => finishTwrite(w, 2), (e: unknown) => e instanceof EncodeError);
  assert.throws(() => beginTwrite(reply, 1, 1, 0n), (e: unknown) => e instanceof EncodeError);
});

test.run();
