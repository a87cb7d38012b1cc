// Generated round trip of EVERY table entry of every dialect, with a
// different non-zero value in every field (so swapped or dropped fields
// show), checked by decode(encode(m)) == m and by the header bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decode,
  encode,
  encodeInto,
  peekHeader,
  Writer,
  dialect9P2000,
  dialect9P2000u,
  dialect9P2000L,
  type Dialect,
  type MessageSpec,
  type Qid,
} from '../../../ninep/codec/index.js';

function sampleQid(i: number): Qid {
  return { type: (i * 7 + 1) & 0xff, version: 0x01000000 + i, path: (1n << 63n) + BigInt(i) };
}

/** A non-zero value for a field of this kind; `i` makes each field distinct. */
function sample(kind: string, i: number): unknown {
  switch (kind) {
    case 'u8':
      return (i * 37 + 1) & 0xff || 1;
    case 'u16':
      return 0x100 + i;
    case 'u32':
      return 0xf1020300 + i;
    case 'u64':
      return 0xf102030405060700n + BigInt(i);
    case 'str':
      return `s${i}-é`;
    case 'raw':
      return Buffer.from([0xff, i & 0xff, 0x80, 0x2f]);
    case 'data':
      return Buffer.alloc(i + 3, i + 1);
    case 'qid':
      return sampleQid(i);
    case 'wnames':
      return [Buffer.from([0xc3, i]), Buffer.from('b')];
    case 'wqids':
      return [sampleQid(i), sampleQid(i + 1)];
    case 'n+stat':
    case 'n+stat.u': {
      const st: Record<string, unknown> = {
        type: 0x100 + i,
        dev: 0x200 + i,
        qid: sampleQid(i),
        mode: 0x800001ed,
        atime: 1,
        mtime: 2,
        length: 3n,
        name: Buffer.from([0xe9, 0x41]),
        uid: 'u',
        gid: 'g',
        muid: 'm',
      };
      if (kind === 'n+stat.u') Object.assign(st, { extension: Buffer.from('c 1 3'), n_uid: 4, n_gid: 5, n_muid: 6 });
      return st;
    }
    default:
      throw new Error(`no sample for field kind ${kind}`);
  }
}

function sampleMessage(name: string, spec: MessageSpec): Record<string, unknown> {
  const msg: Record<string, unknown> = { type: name };
  spec.fields.forEach(([field, codec], i) => {
    msg[field] = sample(codec.kind, i + spec.id);
  });
  return msg;
}

for (const d of [dialect9P2000, dialect9P2000u, dialect9P2000L] as Dialect[]) {
  test(`${d.name}: every message round-trips with non-zero fields`, () => {
    let n = 0;
    for (const [name, spec] of Object.entries(d.table)) {
      const msg = sampleMessage(name, spec);
      const tag = 0x1234 + spec.id;
      const frame = encode(d, tag, msg as never);
      assert.equal(peekHeader(frame), { size: frame.length, type: spec.id, tag }, name);
      const back = decode(d, frame);
      assert.is(back.tag, tag, name);
      assert.equal(back.msg, msg, name);
      // Into a caller buffer at an offset: the same bytes.
      const w = new Writer(Buffer.alloc(frame.length + 5)).reset();
      w.reserve(5);
      const len = encodeInto(d, w, tag, msg as never);
      assert.is(len, frame.length);
      assert.ok(w.buf.subarray(5, 5 + len).equals(frame), name);
      n++;
    }
    assert.is(n, Object.keys(d.table).length);
    assert.ok(n >= 26);
  });
}

test('large messages: the growing writer keeps earlier fields', () => {
  const data = Buffer.alloc(70000, 7);
  const msg = { type: 'Twrite' as const, fid: 9, offset: 1n, data };
  const frame = encode(dialect9P2000L, 3, msg);
  assert.is(frame.length, 23 + 70000);
  assert.equal(decode(dialect9P2000L, frame), { tag: 3, msg });
  const wname = Array.from({ length: 16 }, (_, i) => Buffer.alloc(200, 0x61 + i));
  const walk = { type: 'Twalk' as const, fid: 1, newfid: 2, wname };
  assert.equal(decode(dialect9P2000L, encode(dialect9P2000L, 4, walk)).msg, walk);
});

test('a failed encodeInto leaves the writer where it was', () => {
  const w = new Writer(Buffer.alloc(64));
  encodeInto(dialect9P2000L, w, 1, { type: 'Tclunk', fid: 1 });
  const pos = w.pos;
  assert.throws(() => encodeInto(dialect9P2000L, w, 2, { type: 'Tclunk', fid: -1 }), /u32 out of range/);
  assert.throws(() => encodeInto(dialect9P2000L, w, 2, { type: 'Tclunk' } as never), /lacks field fid/);
  assert.throws(() => encodeInto(dialect9P2000L, w, 2, { type: 'Topen', fid: 1, mode: 0 } as never), /not a 9P2000.L message/);
  assert.throws(() => encodeInto(dialect9P2000L, w, 0x10000, { type: 'Tclunk', fid: 1 }), /tag out of range/);
  assert.throws(() => encodeInto(dialect9P2000L, w, 3, { type: 'Rread', data: Buffer.alloc(100) }), /does not fit/);
  assert.is(w.pos, pos);
});

test('message counts per dialect', () => {
  assert.is(Object.keys(dialect9P2000.table).length, 27);
  assert.is(Object.keys(dialect9P2000u.table).length, 27);
  // 14 from 9P2000 + 4 (auth, attach) from .u + Rlerror + 19 T/R pairs = 57
  assert.is(Object.keys(dialect9P2000L.table).length, 57);
});

test.run();
