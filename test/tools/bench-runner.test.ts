// The runner with stand-in sections: which cases a selection picks, the
// order measurements run in, what is kept, and how a failure or a missing
// tool shows.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Case, Config, Section } from '../../tools/bench/model.js';
import { choose, runChosen } from '../../tools/bench/runner.js';

const one = (name: string, extra: Partial<Case> = {}): Case => ({
  name,
  title: name,
  systems: ['a', 'b'],
  rows: [{ key: 'v', title: 'v', unit: 'x', better: 'higher', compare: [{ ours: 'b', anchor: 'a' }] }],
  ...extra,
});

function fake(name: string, cases: Case[], calls: string[], opts: { missing?: string; failOn?: string } = {}): Section {
  let n = 0;
  return {
    name,
    title: name,
    cases,
    missing: async () => opts.missing,
    open: async () => ({
      measure: async (c, system) => {
        calls.push(`${c.name}:${system}`);
        if (`${c.name}:${system}` === opts.failOn) throw new Error('boom');
        return { v: ++n };
      },
      close: async () => void calls.push(`${name}:closed`),
    }),
  };
}

const cfg = (rounds: number, quick = false): Config => ({ rounds, quick, tmp: '/tmp', say: () => {} });

test('choose: all by default except cases that run only when named; a section or a case by name; unknown names refused', () => {
  const s = fake('s', [one('s-1'), one('s-big', { onlyWhenNamed: 'slow' })], []);
  const t = fake('t', [one('t-1')], []);
  assert.equal(choose([s, t], []).map((c) => [c.section.name, c.cases.map((x) => x.name)]), [['s', ['s-1']], ['t', ['t-1']]]);
  assert.equal(choose([s, t], ['s']).map((c) => c.cases.map((x) => x.name)), [['s-1']]);
  assert.equal(choose([s, t], ['s-big', 't-1']).map((c) => c.cases.map((x) => x.name)), [['s-big'], ['t-1']]);
  assert.throws(() => choose([s, t], ['nope']), /unknown section or case nope/);
});

test('runChosen: warm-up then rounds alternating A B A B; warm-up values dropped; section closed', async () => {
  const calls: string[] = [];
  const s = fake('s', [one('c')], calls);
  const [r] = await runChosen([{ section: s, cases: s.cases }], cfg(5), () => {});
  assert.equal(calls, ['c:a', 'c:b', 'c:a', 'c:b', 'c:a', 'c:b', 'c:a', 'c:b', 'c:a', 'c:b', 'c:a', 'c:b', 's:closed']);
  assert.equal(r?.samples, { v: { a: [3, 5, 7, 9, 11], b: [4, 6, 8, 10, 12] } });
  assert.is(r?.skipped, undefined);
  assert.ok(typeof r?.seconds === 'number' && r.seconds >= 0, 'the case is timed');
});

test('runChosen: runs a section made during its set-up (the guest) count to its first case', async () => {
  const s = fake('s', [one('c1'), one('c2')], []);
  const ran: Section = { ...s, open: async (c, chosen) => ({ ...(await s.open(c, chosen)), ranFor: 600 }) };
  const [r1, r2] = await runChosen([{ section: ran, cases: ran.cases }], cfg(1), () => {});
  assert.ok((r1?.seconds ?? 0) >= 600, `first case ${r1?.seconds}`);
  assert.ok((r2?.seconds ?? 0) < 600, `second case ${r2?.seconds}`);
});

test('runChosen: a case with fixed rounds has no warm-up; --quick skips the warm-up', async () => {
  const calls: string[] = [];
  const s = fake('s', [one('fixed', { rounds: 1 }), one('q')], calls);
  await runChosen([{ section: s, cases: s.cases }], cfg(2, true), () => {});
  assert.equal(calls, ['fixed:a', 'fixed:b', 'q:a', 'q:b', 'q:a', 'q:b', 's:closed']);
});

test('runChosen: a failing case is reported failed and the next case still runs; a missing tool skips without opening', async () => {
  const calls: string[] = [];
  const s = fake('s', [one('bad'), one('good')], calls, { failOn: 'bad:b' });
  const gone = fake('g', [one('g-1')], calls, { missing: 'needs a thing' });
  const progress: string[] = [];
  const seen: number[] = [];
  const rs = await runChosen([{ section: s, cases: s.cases }, { section: gone, cases: gone.cases }], cfg(5), (t) => progress.push(t), (so) => seen.push(so.length));
  assert.equal(seen, [2, 3], 'results so far after each section');
  assert.equal(calls.slice(0, 3), ['bad:a', 'bad:b', 'good:a']);
  assert.not.ok(calls.includes('g:closed'), 'a missing section is never opened');
  assert.match(rs[0]?.skipped ?? '', /^failed on b: boom/);
  assert.is(rs[1]?.skipped, undefined);
  assert.is(rs[2]?.skipped, 'needs a thing');
  assert.ok(progress.some((p) => /^good round 3\/5 a, .* left$/.test(p)), progress.join('\n'));
});

test('runChosen: a system that gives no value (not available here) has no samples, not NaN', async () => {
  const s: Section = {
    name: 's',
    title: 's',
    cases: [one('c')],
    missing: async () => undefined,
    open: async () => ({ measure: async (_c, system): Promise<Record<string, number>> => (system === 'a' ? { v: 1 } : {}), close: async () => {} }),
  };
  const [r] = await runChosen([{ section: s, cases: s.cases }], cfg(5), () => {});
  assert.equal(r?.samples, { v: { a: [1, 1, 1, 1, 1], b: [] } });
});

test.run();
