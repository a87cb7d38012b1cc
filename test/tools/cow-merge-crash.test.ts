// A merge killed (SIGKILL) at random points, then run again: it finishes,
// and base and layer end exactly as after a merge never interrupted.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { copyTree, cow, cowChild, makeScenario, tempDir } from './cow-helpers.js';
import { treeDifferences } from '../helpers/tree-compare.js';
import { below, prng } from '../helpers/prng.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function stepsDone(layer: string): number {
  try {
    return fs.readFileSync(path.join(layer, 'merge.progress'), 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
}

function planned(layer: string): number {
  try {
    return fs.readFileSync(path.join(layer, 'merge.journal'), 'utf8').split('\n').filter((l) => l !== '').length - 1;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a slowed merge and kills it once `after` steps are done, plus up to one step's time. */
async function killPartWay(state: string, layer: string, after: number, extraMs: number, ...more: string[]): Promise<string> {
  const child = cowChild(state, { HUMBRIDGE_COW_MERGE_STEP_DELAY_MS: '40' }, 'merge', layer, ...more);
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  let finished = false;
  void exited.then(() => (finished = true));
  while (!finished && (after < 0 ? !fs.existsSync(path.join(layer, 'merge.journal')) : stepsDone(layer) < after)) await sleep(3);
  await sleep(extraMs);
  child.kill('SIGKILL');
  return exited;
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`merge killed at random points (seed ${seed}) then rerun ends as an uninterrupted merge`, async () => {
    const rand = prng(seed);
    const dir = tempDir(`crash${seed}`);
    dirs.push(dir);
    const a = makeScenario(path.join(dir, 'a'), path.join(dir, 'state-a'));
    const b = makeScenario(path.join(dir, 'b'), path.join(dir, 'state-b'));
    const ref = cow(path.join(dir, 'state-b'), 'merge', b.layer);
    assert.is(ref.status, 0, ref.stderr);
    // The plan of makeScenario's layer has 33 steps.
    const total = 33;
    const kills = 1 + below(rand, 2);
    const how: string[] = [];
    for (let k = 0; k < kills; k++) {
      const done = stepsDone(a.layer);
      const after = k === 0 ? below(rand, total + 1) - 1 : done + 1 + below(rand, Math.max(1, total - done));
      const end = await killPartWay(path.join(dir, 'state-a'), a.layer, after, below(rand, 40));
      how.push(`${end} after ${stepsDone(a.layer)}/${planned(a.layer)} steps`);
      if (fs.existsSync(path.join(a.layer, 'merge.journal'))) {
        const d = cow(path.join(dir, 'state-a'), 'diff', a.layer);
        assert.is(d.status, 1);
        assert.match(d.stderr, /a merge of .* is under way/);
      }
    }
    console.log(`seed ${seed}: killed ${how.join(', then ')}`);
    const rerun = cow(path.join(dir, 'state-a'), 'merge', a.layer);
    assert.is(rerun.status, 0, `${how.join(', ')}: ${rerun.stderr}`);
    assert.equal(treeDifferences(a.base, b.base), [], how.join(', '));
    assert.equal(treeDifferences(path.join(a.layer, 'upper'), path.join(b.layer, 'upper')), []);
    assert.equal(fs.readdirSync(a.layer).sort(), ['cow.json', 'upper', 'work']);
    const d = cow(path.join(dir, 'state-a'), 'diff', a.layer);
    assert.is(d.status, 0, d.stderr);
    assert.is(d.stdout, '');
  });
}

for (const seed of [7, 8, 9]) {
  test(`merge --into killed at random points (seed ${seed}) then rerun: the copy as an uninterrupted merge, the base untouched`, async () => {
    const rand = prng(seed);
    const dir = tempDir(`crashinto${seed}`);
    dirs.push(dir);
    const a = makeScenario(path.join(dir, 'a'), path.join(dir, 'state-a'));
    const b = makeScenario(path.join(dir, 'b'), path.join(dir, 'state-b'));
    const before = path.join(dir, 'before');
    copyTree(a.base, before);
    assert.is(cow(path.join(dir, 'state-b'), 'merge', b.layer).status, 0);
    const out = path.join(dir, 'out');
    // The --into plan has 32 steps: a clone first, no layer reset.
    const after = below(rand, 33) - 1;
    const end = await killPartWay(path.join(dir, 'state-a'), a.layer, after, below(rand, 40), '--into', out);
    console.log(`--into seed ${seed}: killed ${end} after ${stepsDone(a.layer)}/${planned(a.layer)} steps`);
    const rerun = cow(path.join(dir, 'state-a'), 'merge', '--into', out, a.layer);
    assert.is(rerun.status, 0, rerun.stderr);
    assert.equal(treeDifferences(out, b.base), []);
    assert.equal(treeDifferences(a.base, before), []);
    assert.not.ok(fs.existsSync(`${out}.humbridge-partial`));
    assert.equal(fs.readdirSync(a.layer).sort(), ['cow.json', 'upper', 'work']);
  });
}

test('a second merge of a layer while one runs is refused', async () => {
  const dir = tempDir('twice');
  dirs.push(dir);
  const state = path.join(dir, 'state');
  const a = makeScenario(dir, state);
  const child = cowChild(state, { HUMBRIDGE_COW_MERGE_STEP_DELAY_MS: '200' }, 'merge', a.layer);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    while (!fs.existsSync(path.join(a.layer, 'merge.journal'))) await sleep(3);
    const second = cow(state, 'merge', a.layer);
    assert.is(second.status, 1);
    assert.match(second.stderr, new RegExp(`in use: process ${child.pid} is merging`));
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const rerun = cow(state, 'merge', a.layer);
  assert.is(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, /resuming the merge into .* at step \d+ of 33/);
});

test.run();
