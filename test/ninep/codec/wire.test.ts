import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DecodeError, EncodeError, Reader, Writer } from '../../../ninep/codec/index.js';
import { hex, toHex } from '../../helpers/hex.js';

test('Writer writes little-endian fields and grows when it owns the buffer', () => {
  const w = new Writer();
  w.u8(0xab);
  w.u16(0x0102);
  w.u32(0x01020304);
  w.u64(0x0102030405060708n);
  w.str('é');
  w.raw(Buffer.from([0xff]));
  w.data(Buffer.from('xy'));
  w.qid({ type: 0x80, version: 1, path: 2n });
  w.bytes(Buffer.alloc(600, 1));
  assert.is(
    toHex(w.view().subarray(0, 41)),
    toHex(hex`ab 0201 04030201 0807060504030201 0200 c3a9 0100 ff 02000000 7879 80 01000000 0200000000000000`),
  );
  assert.is(w.pos, 41 + 600);
});

test('Writer over a caller buffer does not grow', () => {
  const buf = Buffer.alloc(6);
  const w = new Writer(buf);
  w.u32(1);
  assert.throws(() => w.u32(2), (e: unknown) => e instanceof EncodeError);
  assert.is(w.buf, buf);
  w.reset();
  w.u16(7);
  assert.is(w.pos, 2);
});

test('Writer rejects values that do not fit their field', () => {
  const w = new Writer();
  for (const f of [() => w.u8(256), () => w.u16(-1), () => w.u32(2 ** 32), () => w.u32(1.5), () => w.u64(-1n), () => w.u64(1n << 64n)]) {
    assert.throws(f, (e: unknown) => e instanceof EncodeError);
  }
  assert.throws(() => w.str('x'.repeat(65536)), /exceeds 65535/);
  assert.throws(() => w.raw(Buffer.alloc(65536)), /exceeds 65535/);
  w.u64((1n << 64n) - 1n);
  w.u32(0xffffffff);
});

test('Reader reads what Writer wrote, with views for raw and data', () => {
  const frame = hex`ab 0201 04030201 0807060504030201 0200 c3a9 0100 ff 02000000 7879 80 01000000 0200000000000000`;
  const r = new Reader(frame);
  assert.is(r.u8(), 0xab);
  assert.is(r.u16(), 0x0102);
  assert.is(r.u32(), 0x01020304);
  assert.is(r.u64(), 0x0102030405060708n);
  assert.is(r.str(), 'é');
  const name = r.raw();
  assert.is(toHex(name), 'ff');
  assert.is(name.buffer, frame.buffer); // a view, not a copy
  assert.is(r.data().toString(), 'xy');
  assert.equal(r.qid(), { type: 0x80, version: 1, path: 2n });
  r.done();
});

test('Reader overruns and trailing bytes throw DecodeError with offsets', () => {
  const r = new Reader(hex`0500 6162`);
  try {
    r.str();
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DecodeError);
    assert.is((e as DecodeError).reason, 'overrun');
    assert.is((e as DecodeError).offset, 2);
  }
  const r2 = new Reader(hex`01 02`);
  r2.u8();
  assert.throws(() => r2.done(), (e: unknown) => e instanceof DecodeError && e.reason === 'trailing-bytes' && e.offset === 1);
});

test('invalid UTF-8 in a text field decodes lossily; raw keeps the bytes', () => {
  assert.is(new Reader(hex`0100 ff`).str(), '\ufffd');
  assert.is(toHex(new Reader(hex`0100 ff`).raw()), 'ff');
});

test.run();
