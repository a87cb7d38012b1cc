import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignCookies, nameHash, resumeIndex, DOTDOT_COOKIE } from '../../src/readdir-cookies.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`name-${i}`));

test('cookies are positive 63-bit values above "." and "..", sorted and unique', () => {
  const c = assignCookies(names(5000));
  const set = new Set(c.map((e) => e.cookie));
  assert.is(set.size, 5000);
  for (let i = 0; i < c.length; i++) {
    const e = c[i] as { cookie: bigint };
    assert.ok(e.cookie > DOTDOT_COOKIE && e.cookie < 1n << 63n);
    if (i > 0) assert.ok((c[i - 1] as { cookie: bigint }).cookie < e.cookie);
  }
});

test('a name keeps its cookie whatever else is in the directory', () => {
  const all = assignCookies(names(100));
  const some = assignCookies(names(100).filter((_, i) => i % 3 === 0));
  const byName = new Map(all.map((e) => [e.name.toString(), e.cookie]));
  for (const e of some) assert.is(e.cookie, byName.get(e.name.toString()));
  assert.is(nameHash(Buffer.from('x')), nameHash(Buffer.from('x')));
  assert.is.not(nameHash(Buffer.from('x')), nameHash(Buffer.from('y')));
});

test('resumeIndex finds the first entry after a cookie, present or not', () => {
  const c = assignCookies(names(50));
  assert.is(resumeIndex(c, 0n), 0);
  const mid = c[20] as { cookie: bigint };
  assert.is(resumeIndex(c, mid.cookie), 21);
  assert.is(resumeIndex(c, mid.cookie + 1n), 21);
  assert.is(resumeIndex(c, (c[49] as { cookie: bigint }).cookie), 50);
  assert.is(resumeIndex(c, 1n << 62n << 1n), 50);
});

test('equal names (a hash collision stand-in) get distinct ranks, deterministically', () => {
  const same = [Buffer.from('b'), Buffer.from('a'), Buffer.from('a')];
  const c = assignCookies(same);
  assert.is(c.length, 3);
  const ranks = c.filter((e) => e.name.toString() === 'a').map((e) => e.cookie & 0xffn);
  assert.equal(ranks, [0n, 1n]);
  const many = Array.from({ length: 300 }, () => Buffer.from('same'));
  assert.throws(() => assignCookies(many), /EOVERFLOW/);
});

test.run();
