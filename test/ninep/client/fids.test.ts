import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FidPool } from '../../../ninep/client/index.js';

test('fids are distinct while live and reused once given back', () => {
  const pool = new FidPool();
  const a = pool.take();
  const b = pool.take();
  assert.is.not(a, b);
  assert.is(pool.inUse, 2);
  pool.give(a);
  assert.is(pool.take(), a);
  pool.give(b);
  pool.give(b);
  assert.is(pool.inUse, 1, 'a second give of one fid changes nothing');
});

test('a fid the pool never handed out is not taken in by give', () => {
  const pool = new FidPool(10);
  pool.give(3);
  assert.is(pool.take(), 10);
});

test('reset frees every fid (after a new Tversion)', () => {
  const pool = new FidPool();
  const taken = [pool.take(), pool.take(), pool.take()];
  pool.reset();
  assert.is(pool.inUse, 0);
  const again = new Set([pool.take(), pool.take(), pool.take()]);
  assert.equal([...again].sort(), [...taken].sort());
});

test.run();
