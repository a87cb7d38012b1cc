// The gate that orders humfs changes (src/core/gate.ts): shared calls run
// together and at once when nothing waits, a change runs alone and after
// everything started before it, first come first served, and a failing
// call never leaves the gate shut.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gate } from '../../src/core/gate.js';

/** A promise and the function that settles it. */
function later<T = void>(): { p: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const p = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { p, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The message `p` rejects with (fails if it resolves). */
async function rejection(p: unknown): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected a rejection');
}

test('an open gate runs a synchronous shared call at once and returns its value', () => {
  const g = new Gate();
  assert.is(g.shared(() => 42), 42);
});

test('shared calls overlap; a change waits for them, and later shared calls wait for the change', async () => {
  const g = new Gate();
  const log: string[] = [];
  const r1 = later();
  const r2 = later();
  const s1 = g.shared(async () => {
    log.push('s1 start');
    await r1.p;
    log.push('s1 end');
  });
  const s2 = g.shared(async () => {
    log.push('s2 start');
    await r2.p;
    log.push('s2 end');
  });
  const w = later();
  const x = g.exclusive(async () => {
    log.push('x start');
    await w.p;
    log.push('x end');
    return 'changed';
  });
  const s3 = g.shared(() => log.push('s3'));
  await tick();
  assert.equal(log, ['s1 start', 's2 start'], 'the change waits for both, s3 waits behind the change');
  r2.resolve();
  await tick();
  assert.equal(log, ['s1 start', 's2 start', 's2 end']);
  r1.resolve();
  await tick();
  assert.equal(log, ['s1 start', 's2 start', 's2 end', 's1 end', 'x start']);
  w.resolve();
  assert.is(await x, 'changed');
  await s3;
  assert.equal(log.slice(-2), ['x end', 's3']);
  await Promise.all([s1, s2]);
});

test('changes run one at a time, in the order they came', async () => {
  const g = new Gate();
  const log: string[] = [];
  let running = 0;
  const change = (name: string) =>
    g.exclusive(async () => {
      running++;
      assert.is(running, 1, 'alone');
      log.push(name);
      await tick();
      running--;
    });
  await Promise.all([change('a'), change('b'), change('c')]);
  assert.equal(log, ['a', 'b', 'c']);
});

test('failures reach the caller and the gate opens again (sync throw, rejection, throw while queued)', async () => {
  const g = new Gate();
  assert.throws(() => g.shared(() => {
    throw new Error('sync');
  }), /sync/);
  const hold = later();
  const x = g.exclusive(() => hold.p);
  const queuedThrow = rejection(g.shared(() => {
    throw new Error('queued');
  }));
  const queuedReject = rejection(g.shared(() => Promise.reject(new Error('rejected'))));
  const failingChange = rejection(g.exclusive(() => Promise.reject(new Error('change'))));
  hold.resolve();
  await x;
  assert.equal(await Promise.all([queuedThrow, queuedReject, failingChange]), ['queued', 'rejected', 'change']);
  assert.is(await g.exclusive(() => 'open again'), 'open again');
  assert.is(g.shared(() => 'and shared'), 'and shared');
});

test.run();
