// Generated round trip of EVERY request and reply table entry, with a
// different non-zero value in every field (so swapped or dropped fields
// show): decode(encode(m)) == m, and the header carries the opcode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  REQUESTS,
  REPLIES,
  OPCODE,
  FuseWriter,
  decodeRequest,
  encodeRequest,
  encodeReply,
  decodeReply,
  type FuseRequest,
  type FuseReply,
  type StructField,
} from '../../../fuse/codec/index.js';
import type { FieldSpec, MessageSpec } from '../../../src/wire/index.js';

const H = { unique: 0xfedcba9876543210n, nodeid: 0x8000000000000001n, uid: 0xfffffffe, gid: 0xfffffffd, pid: 0x7fffffff };

/** A non-zero value for a field; `i` makes each field distinct. Structs are walked field by field. */
function sample(codec: FieldSpec[1], i: number): unknown {
  if ('fields' in codec) {
    const o: Record<string, unknown> = {};
    (codec as StructField<unknown>).fields.forEach(([n, f], j) => (o[n] = sample(f, i * 32 + j)));
    return o;
  }
  const kind = codec.kind;
  const inner = kind.replace(/^pad\d+\+/, '').replace(/\+pad\d+$/, '');
  switch (inner) {
    case 'u16':
      return 0x100 + i;
    case 'u32':
      return 0xf1020300 + i;
    case 'u64':
      return 0xf102030405060700n + BigInt(i);
    case 'i32':
      return -0x10000 - i;
    case 'i64':
      return -0x100000000n - BigInt(i);
    case 'cstr':
      return Buffer.from([0xff, (i & 0x7f) + 1, 0x80, 0x2f]);
    case 'rest':
      return Buffer.alloc(i + 3, i + 1);
    case 'forgets':
      return [
        { nodeid: 1n + BigInt(i), nlookup: 2n },
        { nodeid: 3n, nlookup: (1n << 63n) + BigInt(i) },
      ];
    default:
      throw new Error(`no sample for field kind ${kind}`);
  }
}

function sampleMessage(name: string, spec: MessageSpec): Record<string, unknown> {
  const m: Record<string, unknown> = { type: name };
  spec.fields.forEach(([f, codec], i) => (m[f] = sample(codec, i + 1)));
  // payload counts must match the payload
  if (name === 'WRITE' || name === 'NOTIFY_REPLY') m['size'] = (m['data'] as Buffer).length;
  if (name === 'SETXATTR') m['size'] = (m['value'] as Buffer).length;
  if (name === 'IOCTL') m['in_size'] = (m['data'] as Buffer).length;
  return m;
}

for (const [name, spec] of Object.entries(REQUESTS)) {
  test(`request round trip ${name}`, () => {
    const msg = sampleMessage(name, spec) as FuseRequest;
    const opts = { setxattrExt: true };
    const frame = encodeRequest(H, msg, opts);
    const d = decodeRequest(frame, opts);
    assert.equal(d.msg, msg);
    assert.equal(d.header, { ...H, len: frame.length, opcode: OPCODE[name as keyof typeof OPCODE], total_extlen: 0 });
    assert.is(frame.readUInt32LE(4), spec.id);
  });
}

test('SETXATTR round trip in the 8-byte form (setxattr_flags reads as 0)', () => {
  const msg = { ...sampleMessage('SETXATTR', REQUESTS.SETXATTR), setxattr_flags: 0 } as FuseRequest;
  const frame = encodeRequest(H, msg);
  assert.is(frame.length, 40 + 8 + 5 + (msg as { value: Buffer }).value.length);
  assert.equal(decodeRequest(frame).msg, msg);
});

for (const [name, spec] of Object.entries(REPLIES)) {
  test(`reply round trip ${name}`, () => {
    const reply = sampleMessage(name, spec) as FuseReply;
    const w = new FuseWriter();
    encodeReply(w, H.unique, reply);
    const d = decodeReply(reply.type, w.view());
    assert.equal(d.reply, reply);
    assert.equal(d.header, { len: w.pos, error: 0, unique: H.unique });
  });
}

test.run();
