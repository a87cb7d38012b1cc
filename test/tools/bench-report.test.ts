// BENCHMARKS.md and the SVG from given results: medians, ratios, goals and
// what the files say about them.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Case, CaseResult, Section } from '../../tools/bench/model.js';
import { renderSvg } from '../../tools/bench/plot.js';
import { lines, num, renderMarkdown } from '../../tools/bench/report.js';

const rate: Case = {
  name: 'x-read',
  title: 'read <big>',
  systems: ['anchor', 'ours'],
  rows: [{ key: 'rate', title: 'read', unit: 'MB/s', better: 'higher', compare: [{ ours: 'ours', anchor: 'anchor', goal: { kind: 'ratio', atLeast: 1.5 } }] }],
};
const size: Case = {
  name: 'x-mem',
  title: 'memory',
  systems: ['anchor', 'ours'],
  rows: [
    { key: 'rss', title: 'RSS', unit: 'MiB', better: 'lower', compare: [{ ours: 'ours', anchor: 'anchor', goal: { kind: 'ceiling', atMost: 200 } }] },
    { key: 'fds', title: 'fds', unit: 'fds', better: 'lower', compare: [{ ours: 'ours', anchor: 'anchor' }] },
  ],
};
const section: Section = { name: 'x', title: 'Section X', cases: [rate, size], missing: async () => undefined, open: async () => ({ measure: async () => ({}), close: async () => {} }) };

const results: CaseResult[] = [
  { section: 'x', case: rate, samples: { rate: { anchor: [100, 90, 110, 500, 95], ours: [120, 130, 125, 1, 128] } } },
  { section: 'x', case: size, samples: { rss: { anchor: [10, 10, 10], ours: [250, 240, 260] }, fds: { anchor: [6], ours: [3] } } },
  { section: 'x', case: { ...rate, name: 'x-gone', title: 'gone' }, samples: {}, skipped: 'needs a thing' },
];

test('lines: medians of each side, ratio of medians, goal judged per kind', () => {
  const [read] = lines(results[0] as CaseResult);
  assert.is(read?.anchorMedian, 100);
  assert.is(read?.oursMedian, 125);
  assert.is(read?.ratio, 1.25);
  assert.is(read?.met, false, '1.25x is short of a 1.5x goal');
  const [rss, fds] = lines(results[1] as CaseResult);
  assert.is(rss?.title, 'memory: RSS');
  assert.is(rss?.ratio, 10 / 250, 'a size: anchor / ours');
  assert.is(rss?.met, false, '250 MiB is over a 200 MiB ceiling');
  assert.is(fds?.ratio, 2);
  assert.is(fds?.met, undefined, 'no goal, nothing judged');
});

test('a ratio goal is met at or above it; a side with no samples gives n/a', () => {
  const r: CaseResult = { section: 'x', case: rate, samples: { rate: { anchor: [100], ours: [150] } } };
  assert.is(lines(r)[0]?.met, true);
  const none: CaseResult = { section: 'x', case: rate, samples: { rate: { anchor: [], ours: [150] } } };
  assert.is(lines(none)[0]?.ratio, undefined);
  assert.is(lines(none)[0]?.met, undefined);
  assert.is(num(undefined), 'n/a');
  assert.is(num(1234.6), '1235');
  assert.is(num(12.34), '12.3');
  assert.is(num(0.456), '0.46');
});

test('BENCHMARKS.md: machine, plot, one table row per comparison with goal and verdict, skipped cases named', () => {
  const md = renderMarkdown({ sections: [section], results, machine: ['CPU: Test CPU, 2 cores'], command: 'node dist/tools/bench/index.js', date: new Date('2026-01-02T03:04:05Z'), rounds: 5, quick: false, plot: 'benchmarks.svg' });
  assert.match(md, /^# Benchmarks\n/);
  assert.match(md, /on 2026-01-02 03:04 UTC\./);
  assert.match(md, /5 rounds after an untimed warm-up/);
  assert.match(md, /- CPU: Test CPU, 2 cores\n/);
  assert.match(md, /!\[[^\]]*\]\(benchmarks\.svg\)/);
  assert.match(md, /## Section X\n\n\| case \| anchor \| anchor median \| ours \| ours median \| unit \| ratio \| goal \| met\? \|/);
  assert.ok(md.includes('| read <big> | anchor | 100 | ours | 125 | MB/s | 1.25 | >= 1.5x | **not met** |'), md);
  assert.ok(md.includes('| memory: RSS | anchor | 10.0 | ours | 250 | MiB | 0.04 | <= 200 MiB | **not met** |'), md);
  assert.ok(md.includes('| memory: fds | anchor | 6.00 | ours | 3.00 | fds | 2.00 |  |  |'), md);
  assert.ok(md.includes('- gone (`x-gone`): not measured: needs a thing'), md);
});

test('BENCHMARKS.md says how long the run and each case took', () => {
  const timed = results.map((r, i) => ({ ...r, seconds: i === 0 ? 42 : 150 }));
  const md = renderMarkdown({ sections: [section], results: timed, machine: [], command: 'c', date: new Date(0), rounds: 5, quick: false, plot: 'p.svg', seconds: 1860 });
  assert.match(md, /The run took 31\.0 min\./);
  assert.match(md, /- Time per case \(runs and warm-up, set-up not included\): [^\n]*42 s[^\n]*2\.5 min/);
  const untimed = renderMarkdown({ sections: [section], results, machine: [], command: 'c', date: new Date(0), rounds: 5, quick: false, plot: 'p.svg' });
  assert.not.match(untimed, /took|Time per case/);
});

test('quick runs say their numbers mean nothing', () => {
  const md = renderMarkdown({ sections: [section], results, machine: [], command: 'c', date: new Date(0), rounds: 1, quick: true, plot: 'p.svg' });
  assert.match(md, /--quick.*mean nothing/);
  assert.match(md, /1 round with no warm-up/);
});

test('SVG: a bar per comparison coloured by its verdict, the goal as a tick, text escaped', () => {
  const all = results.filter((r) => r.skipped === undefined).flatMap(lines);
  const svg = renderSvg([{ title: 'Section <X>', lines: all }], 'caption & more');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.ok(svg.includes('Section &lt;X&gt;'));
  assert.ok(svg.includes('caption &amp; more'));
  assert.ok(svg.includes('read &lt;big&gt; (ours vs anchor)'));
  const bars = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="\d+" fill="(#[0-9a-f]+)"\/>/g)].map((m) => m[1]);
  assert.equal(bars, ['#d0453b', '#d0453b', '#9a9a9a'], 'not met, not met, no goal');
  // Only the ratio goal (1.5x) is a tick; at log2(1.5) right of the 1x line.
  const ticks = [...svg.matchAll(/<line x1="([\d.]+)" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#000"/g)].map((m) => Number(m[1]));
  const one = Number(/<line x1="([\d.]+)"[^>]*stroke="#444"/.exec(svg)?.[1]);
  assert.is(ticks.length, 1);
  assert.ok(Math.abs((ticks[0] as number) - one - (Math.log2(1.5) / 12) * 420) < 0.2, `tick at ${ticks[0]}, 1x at ${one}`);
  assert.ok(svg.includes('>1.25<'));
});

test.run();
