import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Semaphore } from '../../../src/host/semaphore.js';

test('at most `limit` tasks run at once, the rest start in order as slots free, failures give the slot back', async () => {
  const sem = new Semaphore(2);
  const release: Array<() => void> = [];
  const started: number[] = [];
  let most = 0;
  const tasks = [0, 1, 2, 3, 4].map((i) =>
    sem.run(async () => {
      started.push(i);
      most = Math.max(most, sem.active);
      await new Promise<void>((r) => release.push(r));
      if (i === 1) throw new Error('boom');
      return i;
    }),
  );
  const settled = Promise.allSettled(tasks);
  await Promise.resolve();
  assert.equal(started, [0, 1]);
  while (release.length > 0) {
    (release.shift() as () => void)();
    await new Promise((r) => setImmediate(r));
  }
  const got = await settled;
  assert.equal(started, [0, 1, 2, 3, 4]);
  assert.is(most, 2);
  assert.is(got[1]?.status, 'rejected');
  assert.equal(got.filter((g) => g.status === 'fulfilled').map((g) => (g as PromiseFulfilledResult<number>).value), [0, 2, 3, 4]);
  assert.is(sem.active, 0);
  assert.throws(() => new Semaphore(0), (e: unknown) => e instanceof RangeError);
});

test.run();
