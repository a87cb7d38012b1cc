// The shared wire layer alone: fixed fields, the fail() hook a protocol
// overrides, and the generic table walk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EncodeError,
  WireDecodeError,
  WireReader,
  WireWriter,
  indexById,
  readFields,
  writeFields,
  u8,
  u16,
  u32,
  u64,
  format,
  type WireReason,
} from '../../../src/wire/index.js';
import { hex, toHex } from '../../helpers/hex.js';

test('WireWriter writes little-endian fixed fields; WireReader reads them back as views', () => {
  const w = new WireWriter();
  w.u8(1);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.u64(0x08090a0b0c0d0e0fn);
  w.bytes(Buffer.from('ab'));
  assert.is(toHex(w.view()), toHex(hex`01 0302 07060504 0f0e0d0c0b0a0908 6162`));
  const frame = w.view();
  const r = new WireReader(frame);
  assert.equal([r.u8(), r.u16(), r.u32(), r.u64()], [1, 0x0203, 0x04050607, 0x08090a0b0c0d0e0fn]);
  const b = r.bytes(2);
  assert.is(b.buffer, frame.buffer);
  r.done();
});

test('the base reader throws WireDecodeError; a subclass picks its own class through fail()', () => {
  assert.throws(() => new WireReader(hex`01`).u16(), (e: unknown) => e instanceof WireDecodeError && e.reason === 'overrun' && e.offset === 0);
  class Mine extends WireDecodeError<'overrun' | 'trailing-bytes' | 'mine'> {}
  class MyReader extends WireReader {
    protected override fail(reason: WireReason, message: string, at: number): never {
      throw new Mine(reason, message, at);
    }
  }
  const r = new MyReader(hex`01 02`);
  r.u8();
  assert.throws(() => r.done(), (e: unknown) => e instanceof Mine && e.reason === 'trailing-bytes' && e.offset === 1);
  assert.throws(() => new MyReader(hex``).u64(), (e: unknown) => e instanceof Mine && e.reason === 'overrun');
});

test('a writer over a caller buffer never grows', () => {
  const buf = Buffer.alloc(3);
  const w = new WireWriter(buf);
  w.u16(1);
  assert.throws(() => w.u16(2), (e: unknown) => e instanceof EncodeError);
  assert.is(w.buf, buf);
  assert.throws(() => new WireWriter().u64(1n << 64n), (e: unknown) => e instanceof EncodeError);
});

test('readFields/writeFields walk a field list; indexById indexes by id', () => {
  const fields = [['a', u8], ['b', u16], ['c', u32], ['d', u64]] as const;
  const w = new WireWriter();
  writeFields(w, fields, { a: 1, b: 2, c: 3, d: 4n }, 'X');
  assert.is(toHex(w.view()), toHex(hex`01 0200 03000000 0400000000000000`));
  const out: Record<string, unknown> = {};
  readFields(new WireReader(w.view()), fields, out);
  assert.equal(out, { a: 1, b: 2, c: 3, d: 4n });
  assert.throws(() => writeFields(new WireWriter(), fields, { a: 1 }, 'X'), /X lacks field b/);
  const byId = indexById('T', { A: { id: 3, fields: [] } }, 8);
  assert.is(byId[3]?.name, 'A');
  assert.throws(() => indexById('T', { A: { id: 1, fields: [] }, B: { id: 1, fields: [] } }, 8), /share type 1/);
  assert.throws(() => indexById('T', { A: { id: 8, fields: [] } }, 8), /outside 0\.\.7/);
});

test('format renders names as escaped text and data as a byte count', () => {
  assert.is(format({ type: 'M', name: Buffer.from([0x61, 0xff]), data: Buffer.alloc(5), n: 3n }), 'M{name:a\\xff data:<5 bytes> n:3}');
  assert.is(format({ type: 'X', value: Buffer.from('secret') }), 'X{value:<6 bytes>}');
});

test.run();
