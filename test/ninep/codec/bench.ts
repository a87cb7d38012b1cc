// Throughput of the codec and framing, for choosing designs (not a test:
// the suite runs *.test.js only). Run: npx tsc -p . && node dist/test/ninep/codec/bench.js
import { FrameReader } from '../../../ninep/framing.js';
import {
  Writer,
  decode,
  encode,
  encodeInto,
  beginRread,
  finishData,
  dialect9P2000L,
  type Message9P2000L,
} from '../../../ninep/codec/index.js';
import { cases9P2000L } from '../../fixtures/ninep/frames-9p2000L.js';

function time(label: string, bytesOrOps: number, unit: 'MB/s' | 'ops/s', fn: () => void): void {
  fn(); // warm up
  const t0 = process.hrtime.bigint();
  fn();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = unit === 'MB/s' ? bytesOrOps / secs / 1e6 : bytesOrOps / secs;
  console.log(`${label.padEnd(52)} ${rate.toFixed(0).padStart(10)} ${unit}`);
}

function stream(frame: Buffer, total: number): Buffer {
  return Buffer.concat(Array.from({ length: Math.ceil(total / frame.length) }, () => frame));
}

function feed(s: Buffer, chunk: number, copy: boolean): () => void {
  return () => {
    let sum = 0;
    const r = new FrameReader(1 << 20, (f) => {
      const kept = copy ? Buffer.from(f) : f;
      sum += kept.length;
    });
    for (let off = 0; off < s.length; off += chunk) r.push(s.subarray(off, off + chunk));
    if (sum === 0) throw new Error('no frames');
  };
}

const twrite = encode(dialect9P2000L, 1, { type: 'Twrite', fid: 1, offset: 0n, data: Buffer.alloc(65536 - 23, 1) });
const getattr = cases9P2000L.find((c) => c.msg.type === 'Tgetattr')!.frame;
const big = stream(twrite, 256 << 20);
const small = stream(getattr, 64 << 20);
for (const [name, s] of [
  ['64 KiB Twrite', big],
  ['19-byte Tgetattr', small],
] as const) {
  for (const chunk of [65536, 65536 + 17]) {
    time(`framing ${name}, ${chunk}-byte chunks, views`, s.length, 'MB/s', feed(s, chunk, false));
    time(`framing ${name}, ${chunk}-byte chunks, copy each`, s.length, 'MB/s', feed(s, chunk, true));
  }
}

const N = 1_000_000;
const walk: Message9P2000L = { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('usr'), Buffer.from('lib')] };
const rgetattr = cases9P2000L.find((c) => c.msg.type === 'Rgetattr')!;
const walkFrame = encode(dialect9P2000L, 1, walk);
time('decode Twalk', N, 'ops/s', () => {
  for (let i = 0; i < N; i++) decode(dialect9P2000L, walkFrame);
});
time('decode Rgetattr', N, 'ops/s', () => {
  for (let i = 0; i < N; i++) decode(dialect9P2000L, rgetattr.frame);
});
time('encode Rgetattr (new buffer each)', N, 'ops/s', () => {
  for (let i = 0; i < N; i++) encode(dialect9P2000L, 1, rgetattr.msg);
});
const w = new Writer(Buffer.alloc(8192));
time('encodeInto Rgetattr (reused buffer)', N, 'ops/s', () => {
  for (let i = 0; i < N; i++) encodeInto(dialect9P2000L, w.reset(), 1, rgetattr.msg);
});

const reply = Buffer.alloc(65536);
const file = Buffer.alloc(65536 - 11, 2);
const M = 50_000;
time('Rread 64 KiB in place (one copy: file -> reply)', M * 65536, 'MB/s', () => {
  for (let i = 0; i < M; i++) {
    const slot = beginRread(reply, 1);
    file.copy(slot);
    finishData(reply, file.length);
  }
});
time('Rread 64 KiB via encode (two copies)', M * 65536, 'MB/s', () => {
  for (let i = 0; i < M; i++) {
    const data = Buffer.from(file);
    encode(dialect9P2000L, 1, { type: 'Rread', data });
  }
});
