// Seeded fuzz: decode returns a message or throws DecodeError, nothing else,
// and whatever decodes re-encodes and decodes to the same message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decode,
  encode,
  peekHeader,
  DecodeError,
  dialect9P2000,
  dialect9P2000u,
  dialect9P2000L,
  type Dialect,
} from '../../../ninep/codec/index.js';
import { cases9P2000 } from '../../fixtures/ninep/frames-9p2000.js';
import { cases9P2000u } from '../../fixtures/ninep/frames-9p2000u.js';
import { cases9P2000L } from '../../fixtures/ninep/frames-9p2000L.js';
import { prng, below } from '../../helpers/prng.js';

const DIALECTS = [dialect9P2000, dialect9P2000u, dialect9P2000L] as Dialect[];
const SEEDS = [frames(cases9P2000), frames(cases9P2000u), frames(cases9P2000L)].flat();

function frames(cases: readonly { frame: Buffer }[]): Buffer[] {
  return cases.map((c) => c.frame);
}

/** Decodes; on success checks the re-encoding. Returns the outcome. */
function probe(d: Dialect, frame: Buffer): 'ok' | 'error' {
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(d, frame);
  } catch (e) {
    if (e instanceof DecodeError) {
      // A frame with a header always lets the server find the tag.
      if (frame.length >= 7) assert.is(peekHeader(frame).tag, frame.readUInt16LE(5));
      return 'error';
    }
    throw new Error(`decode threw a non-DecodeError for ${frame.toString('hex')}: ${String(e)}`);
  }
  const again = encode(d, decoded.tag, decoded.msg as never);
  assert.equal(decode(d, again), decoded, frame.toString('hex'));
  return 'ok';
}

test('random bytes (seeded, bounded)', () => {
  const rand = prng(1);
  const ids = DIALECTS.flatMap((d) => Object.values(d.table).map((s) => s.id));
  let ok = 0;
  for (let i = 0; i < 20000; i++) {
    const len = below(rand, 80);
    const frame = Buffer.alloc(len);
    for (let j = 0; j < len; j++) frame[j] = below(rand, 256);
    // Mostly make the header plausible so bodies get exercised.
    if (len >= 7 && rand() < 0.8) {
      frame.writeUInt32LE(len, 0);
      frame[4] = ids[below(rand, ids.length)]!;
    }
    if (probe(DIALECTS[i % 3]!, frame) === 'ok') ok++;
  }
  assert.ok(ok > 0, 'some random frames decode');
});

test('mutated valid frames (seeded, bounded)', () => {
  const rand = prng(2);
  const outcomes = { ok: 0, error: 0 };
  for (let i = 0; i < 20000; i++) {
    const seed = SEEDS[below(rand, SEEDS.length)]!;
    let frame = Buffer.from(seed);
    const kind = below(rand, 4);
    if (kind === 0) {
      frame[below(rand, frame.length)] = below(rand, 256); // flip a byte
    } else if (kind === 1) {
      frame = frame.subarray(0, below(rand, frame.length)); // truncate
    } else if (kind === 2) {
      frame = Buffer.concat([frame, Buffer.from([below(rand, 256)])]); // extend
    } else {
      frame[7 + below(rand, Math.max(1, frame.length - 7))] = below(rand, 256);
    }
    if (frame.length >= 4 && rand() < 0.7) frame.writeUInt32LE(frame.length, 0); // keep size consistent
    outcomes[probe(DIALECTS[i % 3]!, frame)]++;
  }
  assert.ok(outcomes.ok > 1000 && outcomes.error > 1000, JSON.stringify(outcomes));
});

test.run();
