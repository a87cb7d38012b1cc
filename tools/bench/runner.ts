// Runs the chosen cases: each section set up once, each case on all its
// systems in every round (schedule() in stats.ts), a progress line on a
// terminal. A case that fails is reported as such; the others go on.

import type { Case, CaseResult, Config, Samples, Section } from './model.js';
import { schedule } from './stats.js';

export interface Chosen {
  section: Section;
  cases: readonly Case[];
}

/** The measurements a case makes in a run (warm-up included). */
function slotsOf(c: Case, cfg: Config) {
  return c.rounds !== undefined ? schedule(c.systems, c.rounds, false) : schedule(c.systems, cfg.rounds, !cfg.quick);
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Measures every chosen case; `sectionDone` sees the results so far after
 * each section (so a run cut short still leaves what it measured).
 */
export async function runChosen(
  chosen: readonly Chosen[],
  cfg: Config,
  progress: (text: string) => void,
  sectionDone: (results: readonly CaseResult[]) => void = () => {},
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const total = chosen.reduce((n, ch) => n + ch.cases.reduce((m, c) => m + slotsOf(c, cfg).length, 0), 0);
  let done = 0;
  const t0 = Date.now();
  const left = (): string => (done === 0 ? '?' : clock((((Date.now() - t0) / 1000) * (total - done)) / done));
  for (const { section, cases } of chosen) {
    const missing = await section.missing(cfg);
    if (missing !== undefined) {
      for (const c of cases) results.push({ section: section.name, case: c, samples: {}, skipped: missing });
      done += cases.reduce((m, c) => m + slotsOf(c, cfg).length, 0);
      sectionDone(results);
      continue;
    }
    progress(`${section.name}: setting up`);
    let opened;
    try {
      opened = await section.open(cfg, cases);
    } catch (e) {
      for (const c of cases) results.push({ section: section.name, case: c, samples: {}, skipped: `failed: setup: ${message(e)}` });
      done += cases.reduce((m, c) => m + slotsOf(c, cfg).length, 0);
      sectionDone(results);
      continue;
    }
    try {
      for (const c of cases) {
        const samples: Samples = {};
        for (const row of c.rows) samples[row.key] = Object.fromEntries(c.systems.map((s) => [s, [] as number[]]));
        const slots = slotsOf(c, cfg);
        const rounds = slots[slots.length - 1]?.round ?? 0;
        cfg.say(`${c.name}: ${c.systems.join(', ')}, ${rounds} round${rounds === 1 ? '' : 's'}${slots[0]?.warmup ? ' after a warm-up' : ''}`);
        let failed: string | undefined;
        const caseStart = performance.now();
        for (const slot of slots) {
          if (failed === undefined) {
            progress(`${c.name} ${slot.warmup ? 'warm-up' : `round ${slot.round}/${rounds}`} ${slot.system}, ${left()} left`);
            try {
              const values = await opened.measure(c, slot.system);
              // A system that is not available here (passthrough on an old kernel) gives no value.
              for (const row of c.rows) {
                const v = values[row.key];
                if (!slot.warmup && v !== undefined && Number.isFinite(v)) samples[row.key]?.[slot.system]?.push(v);
              }
            } catch (e) {
              failed = `failed on ${slot.system}: ${message(e)}`;
              cfg.say(`${c.name}: ${failed}`);
            }
          }
          done++;
        }
        const seconds = (performance.now() - caseStart) / 1000 + (c === cases[0] ? (opened.ranFor ?? 0) : 0);
        results.push({ section: section.name, case: c, samples, seconds, ...(failed !== undefined ? { skipped: failed } : {}) });
      }
    } finally {
      progress(`${section.name}: cleaning up`);
      await opened.close();
    }
    sectionDone(results);
  }
  progress('');
  return results;
}

/** The sections and cases NAMEs select (all when none), in table order. */
export function choose(sections: readonly Section[], names: readonly string[]): Chosen[] {
  const unknown = names.filter((n) => !sections.some((s) => s.name === n || s.cases.some((c) => c.name === n)));
  if (unknown.length > 0) throw new Error(`unknown section or case ${unknown.join(', ')} (try --list)`);
  return sections
    .map((section) => ({
      section,
      cases: section.cases.filter((c) => names.includes(c.name) || (c.onlyWhenNamed === undefined && (names.length === 0 || names.includes(section.name)))),
    }))
    .filter((ch) => ch.cases.length > 0);
}
