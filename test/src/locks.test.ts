import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VfsError } from '../../src/errors.js';
import { LockTable } from '../../src/locks.js';
import type { LockRange } from '../../src/vfs.js';
import { below, prng } from '../helpers/prng.js';
import { FlatLockTable } from './locks-flat.js';

const R = (start: number, length: number, pid = 1): LockRange => ({ type: 'read', start: BigInt(start), length: BigInt(length), pid });
const W = (start: number, length: number, pid = 1): LockRange => ({ type: 'write', start: BigInt(start), length: BigInt(length), pid });
const U = (start: number, length: number): LockRange => ({ type: 'unlock', start: BigInt(start), length: BigInt(length), pid: 0 });

function ranges(t: LockTable, file = 1): string[] {
  return t.held(file).map((h) => `${h.owner}:${h.type[0]}:${h.start}-${h.end ?? 'eof'}`);
}

test('read locks share, write locks exclude other owners', () => {
  const t = new LockTable();
  assert.ok(t.set(1, 'a', 1, R(0, 10)));
  assert.ok(t.set(1, 'b', 2, R(5, 10)));
  assert.not.ok(t.set(1, 'c', 3, W(9, 1)));
  assert.ok(t.set(1, 'c', 3, W(15, 5)), 'adjacent, not overlapping');
  assert.not.ok(t.set(1, 'a', 1, R(19, 1)), 'read under a write lock');
  assert.ok(t.set(2, 'z', 9, W(0, 0)), 'another file is independent');
});

test('the same owner never conflicts with itself: its locks are replaced and split', () => {
  const t = new LockTable();
  assert.ok(t.set(1, 'a', 1, W(0, 100)));
  assert.ok(t.set(1, 'a', 1, R(40, 20)));
  assert.equal(ranges(t), ['a:w:0-40', 'a:r:40-60', 'a:w:60-100']);
  assert.ok(t.set(1, 'b', 2, R(45, 5)), 'only the read part is shared');
  assert.not.ok(t.set(1, 'b', 2, R(30, 15)));
});

test('adjacent and overlapping locks of one owner and handle merge', () => {
  const t = new LockTable();
  t.set(1, 'a', 1, R(0, 10));
  t.set(1, 'a', 1, R(10, 10));
  t.set(1, 'a', 1, R(5, 30));
  assert.equal(ranges(t), ['a:r:0-35']);
  t.set(1, 'a', 1, R(50, 0));
  t.set(1, 'a', 1, R(35, 15));
  assert.equal(ranges(t), ['a:r:0-eof']);
});

test('unlock punches holes and clears', () => {
  const t = new LockTable();
  t.set(1, 'a', 1, W(0, 0));
  assert.ok(t.set(1, 'a', 1, U(10, 10)));
  assert.equal(ranges(t), ['a:w:0-10', 'a:w:20-eof']);
  assert.ok(t.set(1, 'b', 2, W(12, 3)));
  t.set(1, 'a', 1, U(0, 0));
  t.set(1, 'b', 2, U(0, 0));
  assert.equal(ranges(t), []);
  assert.ok(t.set(1, 'c', 3, U(5, 5)), 'unlocking nothing succeeds');
});

test('test() reports the conflicting lock with owner, pid and length (0 = to end)', () => {
  const t = new LockTable();
  t.set(1, 'a', 1, W(100, 0, 42));
  assert.equal(t.test(1, 'b', R(0, 200)), { type: 'write', start: 100n, length: 0n, pid: 42, owner: 'a' });
  assert.is(t.test(1, 'b', R(0, 100)), null);
  assert.is(t.test(1, 'a', W(0, 0)), null);
  assert.is(t.test(1, 'b', U(0, 0)), null);
  t.set(1, 'c', 2, R(0, 50, 7));
  assert.equal(t.test(1, 'd', W(10, 1)), { type: 'read', start: 0n, length: 50n, pid: 7, owner: 'c' });
});

test('releaseHandle drops exactly the locks taken through that handle', () => {
  const t = new LockTable();
  t.set(1, 'a', 1, R(0, 10));
  t.set(1, 'a', 2, R(20, 10));
  t.set(2, 'a', 1, W(0, 0));
  t.releaseHandle(1);
  assert.equal(ranges(t), ['a:r:20-30']);
  assert.equal(ranges(t, 2), []);
  assert.throws(() => t.set(1, 'a', 1, R(-1, 1)), RangeError);
});

/** Held locks as a sorted list of strings, whatever order ties come in. */
function canonical(held: ReadonlyArray<{ owner: string; handle: number; type: string; start: bigint; end: bigint | null }>): string[] {
  return held.map((h) => `${h.start}-${h.end ?? 'eof'}:${h.owner}:${h.handle}:${h.type}`).sort();
}

test('seeded fuzz: the tree table answers and holds exactly what the flat-list table did', () => {
  const rand = prng(7);
  for (let round = 0; round < 40; round++) {
    const t = new LockTable();
    const ref = new FlatLockTable();
    for (let step = 0; step < 300; step++) {
      const file = below(rand, 2);
      const owner = `o${below(rand, 4)}`;
      const handle = below(rand, 3) + (owner === 'o0' ? 0 : 10);
      const kind = below(rand, 10);
      if (kind === 0) {
        t.releaseHandle(handle);
        ref.releaseHandle(handle);
      } else {
        const type = (['read', 'write', 'unlock'] as const)[below(rand, 3)] as LockRange['type'];
        const lock: LockRange = { type, start: BigInt(below(rand, 60)), length: BigInt(below(rand, 4) === 0 ? 0 : below(rand, 20)), pid: below(rand, 9) };
        const asked = t.test(file, owner, lock);
        const expected = ref.test(file, owner, lock);
        // Among conflicting locks with the same start either may be named; the start is fixed.
        assert.is(asked?.start, expected?.start, `round ${round} step ${step}: test()`);
        if (asked !== null) {
          const holder = t.held(file).find((h) => h.owner === asked.owner && h.start === asked.start && h.type === asked.type);
          assert.ok(holder !== undefined && asked.owner !== owner && (type === 'write' || asked.type === 'write'), 'a real conflict');
        }
        assert.is(t.set(file, owner, handle, lock), ref.set(file, owner, handle, lock), `round ${round} step ${step}: set()`);
      }
      for (const f of [0, 1]) assert.equal(canonical(t.held(f)), canonical(ref.held(f)), `round ${round} step ${step}: held(${f})`);
    }
  }
});

test('a quota bounds the ranges of one holder: ENOLCK, nothing changed; unlocks that add nothing always pass', () => {
  const t = new LockTable();
  const q = { holder: 'conn-1', max: 3 };
  for (const s of [0, 10, 20]) assert.ok(t.set(1, 'a', 1, W(s, 5), q));
  const before = ranges(t);
  const refused = (() => {
    try {
      t.set(1, 'a', 1, W(30, 5), q);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.instance(refused, VfsError);
  assert.is((refused as VfsError).code, 'ENOLCK');
  assert.equal(ranges(t), before, 'nothing changed');
  assert.throws(() => t.set(1, 'a', 1, U(1, 1), q), /ENOLCK/, 'an unlock that splits a range adds one');
  assert.ok(t.set(1, 'a', 1, W(5, 5), q), 'merging into a neighbour adds nothing');
  assert.equal(ranges(t), ['a:w:0-15', 'a:w:20-25']);
  assert.ok(t.set(1, 'b', 2, W(100, 5), { holder: 'conn-2', max: 3 }), 'another holder has its own quota');
  assert.ok(t.set(2, 'a2', 3, R(0, 1), q), 'one quota over every file and owner of the holder');
  assert.is(t.count('conn-1'), 3);
  assert.throws(() => t.set(3, 'a3', 4, R(0, 1), q), /ENOLCK/);
  t.releaseHandle(1);
  assert.is(t.count('conn-1'), 1);
  assert.ok(t.set(3, 'a3', 4, R(0, 1), q));
  for (const [file, owner, handle] of [[1, 'b', 2], [2, 'a2', 3], [3, 'a3', 4]] as const) t.set(file, owner, handle, U(0, 0), q);
  assert.is(t.size, 0);
  assert.is(t.count('conn-1'), 0);
});

test('20,000 ranges of one owner and 2,000 owners: conflicts found, every range released', () => {
  const t = new LockTable();
  for (let i = 0; i < 20_000; i++) assert.ok(t.set(1, 'a', 1, W(2 * i, 1)));
  for (let i = 0; i < 2_000; i++) assert.ok(t.set(1, `r${i}`, 100 + i, R(40_000 + i, 10)));
  assert.is(t.size, 22_000);
  assert.equal(t.test(1, 'b', R(39_997, 3)), { type: 'write', start: 39_998n, length: 1n, pid: 1, owner: 'a' });
  assert.is(t.test(1, 'b', R(39_999, 1)), null, 'a gap between two ranges');
  assert.is(t.test(1, 'r5', R(40_000, 5_000)), null, 'read locks share');
  assert.is(t.test(1, 'w', W(41_500, 1))?.owner, 'r1491', 'the first of the overlapping read locks by start');
  t.releaseHandle(1);
  for (let i = 0; i < 2_000; i++) t.releaseHandle(100 + i);
  assert.is(t.size, 0);
  assert.equal(ranges(t), []);
});

test.run();
