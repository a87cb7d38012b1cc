// Golden replies (test/fixtures/fuse/replies.ts), status and data replies,
// and notifications.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FuseWriter,
  EncodeError,
  REPLIES,
  encodeReply,
  encodeStatus,
  beginData,
  finishData,
  decodeReply,
  decodeOutHeader,
  encodeNotify,
  decodeNotify,
  formatReply,
  FUSE_EXPIRE_ONLY,
  type FuseNotify,
} from '../../../fuse/codec/index.js';
import { replyCases, UNIQUE, out } from '../../fixtures/fuse/replies.js';
import { hex, toHex } from '../../helpers/hex.js';

for (const c of replyCases) {
  test(`encode ${c.reply.type}`, () => {
    const w = new FuseWriter();
    const n = encodeReply(w, UNIQUE, c.reply);
    assert.is(n, c.frame.length);
    assert.is(toHex(w.view()), toHex(c.frame));
  });
  test(`decode and mirror ${c.reply.type}`, () => {
    const { header, reply } = decodeReply(c.reply.type, c.frame);
    assert.equal(header, { len: c.frame.length, error: 0, unique: UNIQUE });
    assert.equal(reply, c.reply);
    const w = new FuseWriter();
    encodeReply(w, UNIQUE, reply);
    assert.is(toHex(w.view()), toHex(c.frame));
  });
}

test('every reply struct has a golden frame', () => {
  const covered = new Set(replyCases.map((c) => c.reply.type as string));
  assert.equal(Object.keys(REPLIES).filter((n) => !covered.has(n)), []);
});

test('encodeReply writes into a caller buffer without growing it, and leaves it unchanged on failure', () => {
  const buf = Buffer.alloc(64);
  const w = new FuseWriter(buf);
  assert.is(encodeReply(w, UNIQUE, { type: 'write_out', size: 3 }), 24);
  assert.throws(() => encodeReply(w, UNIQUE, replyCases[0]!.reply), (e: unknown) => e instanceof EncodeError);
  assert.is(w.pos, 24);
  assert.is(w.buf, buf);
  assert.throws(() => encodeReply(new FuseWriter(), -1n, { type: 'write_out', size: 3 }), /unique out of range/);
  assert.throws(() => encodeReply(new FuseWriter(), 1n, { type: 'write_out' } as never), /lacks field size/);
});

test('encodeStatus: success and -errno with no body', () => {
  const w = new FuseWriter();
  encodeStatus(w, UNIQUE);
  assert.is(toHex(w.view()), toHex(hex`${out(16)}`));
  encodeStatus(w.reset(), UNIQUE, 2);
  assert.is(toHex(w.view()), toHex(hex`10000000 feffffff 0102030405060708 # error -ENOENT`));
  assert.equal(decodeOutHeader(w.view()), { len: 16, error: -2, unique: UNIQUE });
  assert.throws(() => encodeStatus(w.reset(), UNIQUE, -2), /errno out of range/);
});

test('beginData/finishData: a READ reply is built in place (the slot is a view of the buffer)', () => {
  const buf = Buffer.alloc(64, 0xee);
  const slot = beginData(buf, UNIQUE);
  assert.is(slot.buffer, buf.buffer);
  assert.is(slot.byteOffset - buf.byteOffset, 16);
  const n = slot.write('hello');
  const frame = finishData(buf, n);
  assert.is(toHex(frame), toHex(hex`${out(21)} 68656c6c6f`));
  assert.is(toHex(finishData(buf, 0)), toHex(hex`${out(16)}`));
  assert.throws(() => finishData(buf, 49), (e: unknown) => e instanceof EncodeError);
  assert.throws(() => beginData(Buffer.alloc(15), UNIQUE), (e: unknown) => e instanceof EncodeError);
});

const NOTIFIES: { n: FuseNotify; frame: Buffer }[] = [
  {
    n: { type: 'inval_inode', ino: 5n, off: -1n, len: 0n },
    frame: hex`28000000 02000000 0000000000000000 # len 40, NOTIFY_INVAL_INODE, unique 0
      0500000000000000 ffffffffffffffff 0000000000000000 # ino, off -1 (attributes only), len`,
  },
  {
    n: { type: 'inval_entry', parent: 1n, name: Buffer.from('abc'), flags: FUSE_EXPIRE_ONLY },
    frame: hex`24000000 03000000 0000000000000000 # len 36, NOTIFY_INVAL_ENTRY
      0100000000000000 03000000 01000000 # parent, namelen 3, flags EXPIRE_ONLY
      61626300 # name + NUL`,
  },
  {
    n: { type: 'delete', parent: 1n, child: 9n, name: Buffer.from('abc') },
    frame: hex`2c000000 06000000 0000000000000000 # len 44, NOTIFY_DELETE
      0100000000000000 0900000000000000 03000000 00000000 61626300 # parent, child, namelen, padding, name + NUL`,
  },
];

for (const c of NOTIFIES) {
  test(`notify ${c.n.type}: encode, decode`, () => {
    const w = new FuseWriter();
    assert.is(encodeNotify(w, c.n), c.frame.length);
    assert.is(toHex(w.view()), toHex(c.frame));
    assert.equal(decodeNotify(c.frame), c.n);
  });
}

test('notify names must be non-empty and NUL-free; the writer is left as it was', () => {
  const w = new FuseWriter();
  assert.throws(() => encodeNotify(w, { type: 'inval_entry', parent: 1n, name: Buffer.from('a\0b'), flags: 0 }), (e: unknown) => e instanceof EncodeError);
  assert.throws(() => encodeNotify(w, { type: 'delete', parent: 1n, child: 2n, name: Buffer.alloc(0) }), (e: unknown) => e instanceof EncodeError);
  assert.is(w.pos, 0);
});

test('formatReply', () => {
  assert.is(formatReply(5n, { type: 'write_out', size: 3 }), '#5 write_out{size:3}');
});

test.run();
