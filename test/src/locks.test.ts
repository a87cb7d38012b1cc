import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LockTable } from '../../src/locks.js';
import type { LockRange } from '../../src/vfs.js';

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

test.run();
