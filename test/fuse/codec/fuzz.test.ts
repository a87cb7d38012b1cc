// Seeded fuzz: decodeRequest returns a request or throws FuseDecodeError,
// nothing else; what decodes re-encodes and decodes to the same request;
// and a failure past the header always carries the unique.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRequest, encodeRequest, FuseDecodeError, OPCODE, type DecodeOptions } from '../../../fuse/codec/index.js';
import { requestCases } from '../../fixtures/fuse/requests.js';
import { prng, below } from '../../helpers/prng.js';

const SEEDS = requestCases.map((c) => c.frame);
const OPCODES = Object.values(OPCODE);

function probe(frame: Buffer, opts: DecodeOptions): 'ok' | 'error' {
  let d: ReturnType<typeof decodeRequest>;
  try {
    d = decodeRequest(frame, opts);
  } catch (e) {
    if (e instanceof FuseDecodeError) {
      if (frame.length >= 40) assert.is(e.unique, frame.readBigUInt64LE(8));
      return 'error';
    }
    throw new Error(`decodeRequest threw a non-FuseDecodeError for ${frame.toString('hex')}: ${String(e)}`);
  }
  const again = encodeRequest(d.header, d.msg, opts, d.ext.length ? d.ext : undefined);
  assert.equal(decodeRequest(again, opts), d, frame.toString('hex'));
  return 'ok';
}

test('random bytes (seeded, bounded)', () => {
  const rand = prng(11);
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 20000; i++) {
    const len = below(rand, 140);
    const frame = Buffer.alloc(len);
    for (let j = 0; j < len; j++) frame[j] = below(rand, 256);
    // Mostly make the header plausible so bodies get exercised.
    if (len >= 40 && rand() < 0.8) {
      frame.writeUInt32LE(len, 0);
      frame.writeUInt32LE(OPCODES[below(rand, OPCODES.length)]!, 4);
      frame.writeUInt16LE(rand() < 0.8 ? 0 : below(rand, 4), 36);
    }
    outcomes[probe(frame, { setxattrExt: i % 2 === 0 })]++;
  }
  assert.ok(outcomes.ok > 20 && outcomes.error > 1000, JSON.stringify(outcomes));
});

test('mutated golden requests (seeded, bounded)', () => {
  const rand = prng(12);
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 20000; i++) {
    let frame = Buffer.from(SEEDS[below(rand, SEEDS.length)]!);
    const kind = below(rand, 4);
    if (kind === 0) {
      frame[below(rand, frame.length)] = below(rand, 256); // flip a byte anywhere
    } else if (kind === 1) {
      frame = frame.subarray(0, below(rand, frame.length)); // truncate
    } else if (kind === 2) {
      frame = Buffer.concat([frame, Buffer.from([below(rand, 256)])]); // extend
    } else if (frame.length > 40) {
      frame[40 + below(rand, frame.length - 40)] = below(rand, 256); // flip a body byte
    }
    if (frame.length >= 4 && rand() < 0.7) frame.writeUInt32LE(frame.length, 0); // keep len consistent
    outcomes[probe(frame, { setxattrExt: i % 2 === 0 })]++;
  }
  assert.ok(outcomes.ok > 1000 && outcomes.error > 1000, JSON.stringify(outcomes));
});

test.run();
