import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TagPool } from '../../../ninep/client/index.js';

test('hands out distinct tags up to the limit, never NOTAG', () => {
  const pool = new TagPool();
  const seen = new Set<number>();
  for (let i = 0; i < 0xffff; i++) seen.add(pool.tryTake() as number);
  assert.is(seen.size, 0xffff);
  assert.not.ok(seen.has(0xffff));
  assert.is(pool.tryTake(), undefined);
  assert.is(pool.inUse, 0xffff);
});

test('a given-back tag goes to the longest waiter first', async () => {
  const pool = new TagPool(1);
  const first = await pool.take();
  const order: string[] = [];
  const a = pool.take().then((t) => order.push(`a${t}`));
  const b = pool.take().then((t) => order.push(`b${t}`));
  pool.give(first);
  await a;
  pool.give(first);
  await b;
  assert.equal(order, [`a${first}`, `b${first}`]);
});

test('rejects a limit outside 1..65535', () => {
  assert.throws(() => new TagPool(0), RangeError);
  assert.throws(() => new TagPool(0x10000), RangeError);
});

test.run();
