// From measured samples to the published table: one line per comparison
// (medians, ratio, goal, met?), and BENCHMARKS.md around it.

import type { CaseResult, Goal, Section } from './model.js';
import { advantage, median } from './stats.js';

export interface Line {
  section: string;
  case: string;
  /** "case title: row title", or the case title when it has one row. */
  title: string;
  unit: string;
  anchor: string;
  ours: string;
  anchorMedian: number | undefined;
  oursMedian: number | undefined;
  /** How many times ours is ahead (>1: better), undefined when either side is missing. */
  ratio: number | undefined;
  goal: Goal | undefined;
  /** undefined: no goal, or nothing to judge. */
  met: boolean | undefined;
  rounds: number;
}

export function goalText(g: Goal | undefined, unit: string): string {
  if (g === undefined) return '';
  return g.kind === 'ratio' ? `>= ${g.atLeast.toFixed(1)}x` : `<= ${g.atMost} ${unit}`;
}

function judge(g: Goal | undefined, ratio: number | undefined, ours: number | undefined): boolean | undefined {
  if (g === undefined) return undefined;
  if (g.kind === 'ratio') return ratio === undefined ? undefined : ratio >= g.atLeast;
  return ours === undefined || !Number.isFinite(ours) ? undefined : ours <= g.atMost;
}

const some = (xs: readonly number[] | undefined): number | undefined => (xs && xs.length > 0 ? median(xs) : undefined);

/** The comparisons of one measured case. */
export function lines(r: CaseResult): Line[] {
  const out: Line[] = [];
  for (const row of r.case.rows) {
    const bySystem = r.samples[row.key] ?? {};
    for (const cmp of row.compare) {
      const anchorMedian = some(bySystem[cmp.anchor]);
      const oursMedian = some(bySystem[cmp.ours]);
      const ratio = advantage(oursMedian, anchorMedian, row.better);
      out.push({
        section: r.section,
        case: r.case.name,
        title: r.case.rows.length > 1 ? `${r.case.title}: ${row.title}` : r.case.title,
        unit: row.unit,
        anchor: cmp.anchor,
        ours: cmp.ours,
        anchorMedian,
        oursMedian,
        ratio,
        goal: cmp.goal,
        met: judge(cmp.goal, ratio, oursMedian),
        rounds: (bySystem[cmp.ours] ?? []).length,
      });
    }
  }
  return out;
}

/** A number for a table: three significant digits, no exponent. */
export function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toString();
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const metText = (m: boolean | undefined): string => (m === undefined ? '' : m ? 'met' : '**not met**');

export interface ReportInput {
  sections: readonly Section[];
  results: readonly CaseResult[];
  machine: readonly string[];
  command: string;
  date: Date;
  rounds: number;
  quick: boolean;
  /** File name of the plot, beside BENCHMARKS.md. */
  plot: string;
  /** Wall time of the whole run so far (set-ups included), seconds. */
  seconds?: number;
}

/** Seconds as "N.N min" or "N s". */
export function took(seconds: number): string {
  return seconds >= 60 ? `${(seconds / 60).toFixed(1)} min` : `${Math.round(seconds)} s`;
}

export function renderMarkdown(x: ReportInput): string {
  const out: string[] = [
    '# Benchmarks',
    '',
    `Written by \`${x.command}\` on ${x.date.toISOString().slice(0, 16).replace('T', ' ')} UTC` +
      (x.quick ? ' with `--quick` (a smoke run: tiny sizes, one round; the numbers mean nothing).' : '.'),
    `Every case runs its systems side by side in one run, alternating them (A B A B ...): ${x.rounds} round${x.rounds === 1 ? '' : 's'}` +
      `${x.quick ? ' with no warm-up' : ' after an untimed warm-up'} unless a case says otherwise.` +
      ' The table shows medians; the ratio is how many times humbridge is ahead of the anchor' +
      ' (ours / anchor for rates, anchor / ours for sizes): above 1 is better.' +
      (x.seconds !== undefined ? ` The run took ${took(x.seconds)}.` : ''),
    '',
    '## Machine',
    '',
    ...x.machine.map((m) => `- ${m}`),
    '',
    `![ratio of medians per case, goals marked](${x.plot})`,
    '',
  ];
  for (const s of x.sections) {
    const results = x.results.filter((r) => r.section === s.name);
    if (results.length === 0) continue;
    out.push(`## ${s.title}`, '');
    const measured = results.filter((r) => r.skipped === undefined);
    if (measured.length > 0) {
      out.push('| case | anchor | anchor median | ours | ours median | unit | ratio | goal | met? |', '|---|---|---:|---|---:|---|---:|---|---|');
      for (const r of measured) {
        for (const l of lines(r)) {
          out.push(`| ${l.title} | ${l.anchor} | ${num(l.anchorMedian)} | ${l.ours} | ${num(l.oursMedian)} | ${l.unit} | ${num(l.ratio)} | ${goalText(l.goal, l.unit)} | ${metText(l.met)} |`);
        }
      }
      out.push('');
    }
    for (const r of results) {
      if (r.skipped !== undefined) out.push(`- ${r.case.title} (\`${r.case.name}\`): not measured: ${r.skipped}`);
      else if (r.case.note !== undefined) out.push(`- ${r.case.title}: ${r.case.note}`);
    }
    if (s.note !== undefined) out.push(`- ${s.note}`);
    const timed = results.filter((r) => r.seconds !== undefined);
    if (timed.length > 0) out.push(`- Time per case (runs and warm-up, set-up not included): ${timed.map((r) => `${r.case.name} ${took(r.seconds ?? 0)}`).join(', ')}.`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
