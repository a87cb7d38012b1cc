import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advantage, median, parseSize, ratio, schedule } from '../../tools/bench/stats.js';

test('median of odd and even counts, unsorted input left alone', () => {
  const xs = [5, 1, 3];
  assert.is(median(xs), 3);
  assert.equal(xs, [5, 1, 3]);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test('ratio of medians is undefined for missing, zero or non-finite sides', () => {
  assert.is(ratio(3, 2), 1.5);
  assert.is(ratio(undefined, 2), undefined);
  assert.is(ratio(2, undefined), undefined);
  assert.is(ratio(2, 0), undefined);
  assert.is(ratio(NaN, 2), undefined);
  assert.is(ratio(2, Infinity), undefined);
});

test('sizes in bytes, k/M/G as powers of 1024', () => {
  assert.is(parseSize('1G'), 1 << 30);
  assert.is(parseSize('256M'), 256 << 20);
  assert.is(parseSize('64k'), 64 << 10);
  assert.is(parseSize('1GiB'), 1 << 30);
  assert.is(parseSize('4096'), 4096);
  assert.throws(() => parseSize('1T'), /not a size/);
  assert.throws(() => parseSize('-1M'), /not a size/);
});

test('schedule: a warm-up round, then every round runs the systems in the same order (A B A B ...)', () => {
  const slots = schedule(['a', 'b'], 3, true);
  assert.equal(
    slots.map((s) => `${s.round}${s.system}${s.warmup ? '*' : ''}`),
    ['0a*', '0b*', '1a', '1b', '2a', '2b', '3a', '3b'],
  );
  assert.equal(
    schedule(['x', 'y', 'z'], 2, false).map((s) => `${s.round}${s.system}`),
    ['1x', '1y', '1z', '2x', '2y', '2z'],
  );
});

test('advantage: ours / anchor for rates, anchor / ours for sizes, so above 1 is always ours ahead', () => {
  assert.is(advantage(300, 100, 'higher'), 3);
  assert.is(advantage(50, 200, 'lower'), 4);
  assert.is(advantage(200, 50, 'lower'), 0.25);
  assert.is(advantage(undefined, 50, 'lower'), undefined);
  assert.is(advantage(10, 0, 'higher'), undefined);
});

test.run();
