import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameReader, FramingError } from '../../ninep/framing.js';
import { cases9P2000 } from '../fixtures/ninep/frames-9p2000.js';
import { cases9P2000L } from '../fixtures/ninep/frames-9p2000L.js';
import { prng, below } from '../helpers/prng.js';
import { hex } from '../helpers/hex.js';

const frames = [...cases9P2000, ...cases9P2000L].map((c) => c.frame);
const stream = Buffer.concat(frames);

/** A reader that keeps a copy of each frame (frames are views valid only during the callback). */
function collector(msize = 8192): { reader: FrameReader; got: Buffer[] } {
  const got: Buffer[] = [];
  const reader = new FrameReader(msize, (f) => got.push(Buffer.from(f)));
  return { reader, got };
}

function assertSame(got: Buffer[], want: Buffer[]): void {
  assert.is(got.length, want.length);
  got.forEach((g, i) => assert.ok(g.equals(want[i]!), `frame ${i}`));
}

test('one byte at a time', () => {
  const { reader, got } = collector();
  for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
  assertSame(got, frames);
  assert.is(reader.pending, 0);
});

test('all frames coalesced in one chunk arrive as views of it', () => {
  const views: Buffer[] = [];
  const reader = new FrameReader(8192, (f) => views.push(f));
  const chunk = Buffer.from(stream);
  reader.push(chunk);
  assert.is(views.length, frames.length);
  for (const v of views) assert.is(v.buffer, chunk.buffer);
  assertSame(views, frames);
});

test('headers split at every byte boundary', () => {
  const a = frames[0]!;
  const b = frames[1]!;
  for (let cut = 1; cut < 7; cut++) {
    const { reader, got } = collector();
    reader.push(Buffer.concat([a, b.subarray(0, cut)]));
    assert.is(got.length, 1);
    assert.is(reader.pending, cut);
    reader.push(b.subarray(cut));
    assertSame(got, [a, b]);
  }
});

test('split frames reuse one reassembly buffer', () => {
  const seen = new Set<ArrayBufferLike>();
  const reader = new FrameReader(8192, (f) => seen.add(f.buffer));
  for (const f of frames) {
    reader.push(f.subarray(0, 3));
    reader.push(f.subarray(3));
  }
  assert.is(seen.size, 1);
});

test('random splits of the stream give back the same frames (seeded)', () => {
  const rand = prng(0x9f);
  for (let round = 0; round < 200; round++) {
    const { reader, got } = collector();
    let off = 0;
    while (off < stream.length) {
      const n = 1 + below(rand, 64);
      reader.push(stream.subarray(off, off + n));
      off += n;
    }
    assertSame(got, frames);
  }
});

test('a size below the 7-byte header fails framing for good', () => {
  const { reader, got } = collector();
  reader.push(frames[0]!);
  assert.throws(() => reader.push(hex`06000000 78 01`), (e: unknown) => e instanceof FramingError && e.reason === 'undersize' && e.size === 6);
  assert.throws(() => reader.push(frames[0]!), (e: unknown) => e instanceof FramingError && e.reason === 'undersize');
  assert.is(got.length, 1);
});

test('an undersize size split across chunks is caught when complete', () => {
  const { reader } = collector();
  reader.push(hex`0000`);
  assert.throws(() => reader.push(hex`0000`), /below the 7-byte header/);
});

test('a size above msize fails with a clear reason; msize can change', () => {
  const big = hex`10000000 75 0100 05000000 68656c6c6f`; // 16 bytes
  const ok = collector(16);
  ok.reader.push(big);
  assert.is(ok.got.length, 1, 'size == msize is accepted');
  ok.reader.setMsize(15);
  assert.is(ok.reader.maxFrame, 15);
  assert.throws(() => ok.reader.push(big), (e: unknown) => e instanceof FramingError && e.reason === 'oversize' && /exceeds msize 15/.test(e.message));

  const grow = collector(8);
  grow.reader.setMsize(4096);
  grow.reader.push(big.subarray(0, 5));
  grow.reader.push(big.subarray(5));
  assertSame(grow.got, [big]);
  assert.throws(() => new FrameReader(6, () => {}), RangeError);
  assert.throws(() => grow.reader.setMsize(1.5), RangeError);
});

test('an oversize frame is refused from its header alone', () => {
  const { reader } = collector(64);
  assert.throws(() => reader.push(hex`ffffff7f 75`), (e: unknown) => e instanceof FramingError && e.reason === 'oversize');
});

test('a frame announced big but sent in part holds about what was sent, not its announced size', () => {
  const size = 16 << 20;
  const start = Buffer.alloc(16);
  start.writeUInt32LE(size, 0);
  start[4] = 118;
  const before = process.memoryUsage().arrayBuffers;
  const readers = Array.from({ length: 8 }, () => collector(size));
  for (const { reader } of readers) reader.push(start);
  const held = process.memoryUsage().arrayBuffers - before;
  assert.ok(held < 1 << 20, `8 readers hold ${held} bytes for 16 bytes each`);
  // The rest still completes the frame, in pieces.
  const { reader, got } = readers[0]!;
  const rest = Buffer.alloc(size - 16, 7);
  for (let off = 0; off < rest.length; off += 1 << 20) reader.push(rest.subarray(off, off + (1 << 20)));
  assert.is(got.length, 1);
  assert.is(got[0]!.length, size);
  assert.ok(got[0]!.subarray(0, 16).equals(start));
  assert.is(got[0]![size - 1], 7);
});

test('a frame larger than the first reassembly buffer', () => {
  const data = Buffer.alloc(6000, 3);
  const frame = Buffer.concat([hex`00000000 75 0100`, Buffer.from([0x70, 0x17, 0, 0]), data]);
  frame.writeUInt32LE(frame.length, 0);
  const { reader, got } = collector(8192);
  for (let off = 0; off < frame.length; off += 1000) reader.push(frame.subarray(off, off + 1000));
  assertSame(got, [frame]);
});

test('random bytes: frames within bounds or a FramingError, nothing else (seeded)', () => {
  const rand = prng(0x51);
  let failures = 0;
  for (let round = 0; round < 2000; round++) {
    const msize = 7 + below(rand, 300);
    const reader = new FrameReader(msize, (f) => {
      assert.ok(f.length >= 7 && f.length <= msize);
      assert.is(f.readUInt32LE(0), f.length);
    });
    try {
      for (let i = 0; i < 20; i++) {
        const chunk = Buffer.alloc(below(rand, 40));
        for (let j = 0; j < chunk.length; j++) chunk[j] = rand() < 0.5 ? below(rand, 256) : below(rand, 2) * below(rand, msize);
        reader.push(chunk);
      }
    } catch (e) {
      if (!(e instanceof FramingError)) throw e;
      failures++;
    }
  }
  assert.ok(failures > 0);
});

test.run();
