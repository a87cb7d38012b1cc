import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  direntSize,
  packDirents,
  unpackDirents,
  packStats,
  unpackStats,
  DecodeError,
  type Dirent,
} from '../../../ninep/codec/index.js';
import { hex, toHex } from '../../helpers/hex.js';
import { qidA, stat, STAT_FIELDS } from '../../fixtures/ninep/frames-9p2000.js';
import { statU } from '../../fixtures/ninep/frames-9p2000u.js';

const dot: Dirent = { qid: qidA, offset: 1n, type: 4, name: Buffer.from('.') };
const names = ['.', '..', 'a', 'bb', 'ccc', Buffer.from([0xff, 0xfe])];
const entries: Dirent[] = names.map((n, i) => ({
  qid: { type: 0, version: i, path: BigInt(100 + i) },
  offset: BigInt(i + 1),
  type: 8,
  name: typeof n === 'string' ? Buffer.from(n) : n,
}));

test('one dirent packs as qid[13] offset[8] type[1] name[s]', () => {
  const into = Buffer.alloc(100);
  const p = packDirents(into, [dot]);
  assert.equal(p, { bytes: 25, entries: 1 });
  assert.is(toHex(into.subarray(0, 25)), toHex(hex`80 04030201 8877665544332211 0100000000000000 04 0100 2e`));
  assert.is(direntSize(dot), 25);
});

test('packing stops before the entry that would pass count, and resumes', () => {
  const sizes = entries.map(direntSize); // 25 26 25 26 27 26
  const budget = sizes[0]! + sizes[1]! + sizes[2]! + 10;
  const into = Buffer.alloc(budget);
  const first = packDirents(into, entries);
  assert.equal(first, { bytes: sizes[0]! + sizes[1]! + sizes[2]!, entries: 3 });
  const got = unpackDirents(Buffer.from(into.subarray(0, first.bytes)));
  const rest = packDirents(Buffer.alloc(1000), entries.slice(first.entries));
  assert.is(rest.entries, 3);
  assert.equal(got, entries.slice(0, 3));
});

test('an exact fit and a zero budget', () => {
  const total = entries.reduce((n, e) => n + direntSize(e), 0);
  const into = Buffer.alloc(total);
  assert.equal(packDirents(into, entries), { bytes: total, entries: entries.length });
  assert.equal(unpackDirents(into), entries);
  assert.equal(packDirents(Buffer.alloc(0), entries), { bytes: 0, entries: 0 });
});

test('a truncated listing fails to unpack with DecodeError', () => {
  const into = Buffer.alloc(100);
  const p = packDirents(into, [dot]);
  assert.throws(() => unpackDirents(into.subarray(0, p.bytes - 1)), (e: unknown) => e instanceof DecodeError);
});

test('stat entries for a 9P2000 directory read, with whole entries only', () => {
  // One 9P2000 entry is size[2] + 63 bytes = 65.
  const into = Buffer.alloc(65 * 2 + 64);
  const p = packStats(into, [stat, stat, stat], false);
  assert.equal(p, { bytes: 130, entries: 2 });
  assert.is(toHex(into.subarray(0, 65)), toHex(hex`3f00 ${STAT_FIELDS}`));
  assert.equal(unpackStats(into.subarray(0, p.bytes), false), [stat, stat]);
  const u = Buffer.alloc(200);
  const pu = packStats(u, [statU, statU, statU], true);
  assert.equal(pu, { bytes: 158, entries: 2 }); // 79 each
  assert.equal(unpackStats(u.subarray(0, pu.bytes), true), [statU, statU]);
  assert.throws(() => unpackStats(into.subarray(0, 66), false), (e: unknown) => e instanceof DecodeError);
});

test.run();
