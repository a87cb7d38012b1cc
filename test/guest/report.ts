// Reads what a case script printed (see cases/lib.sh) and judges it.
import type { GuestResult } from './run-guest.js';

export interface CheckReport {
  passed: string[];
  failed: Map<string, string>;
  facts: Map<string, string>;
  summary: { pass: number; fail: number } | undefined;
}

export function parseReport(output: string): CheckReport {
  const report: CheckReport = { passed: [], failed: new Map(), facts: new Map(), summary: undefined };
  for (const line of output.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^ok (\S+)$/.exec(line)) && m[1]) report.passed.push(m[1]);
    else if ((m = /^not ok (\S+): ?(.*)$/.exec(line)) && m[1]) report.failed.set(m[1], m[2] ?? '');
    else if ((m = /^fact (\S+) (.*)$/.exec(line)) && m[1]) report.facts.set(m[1], m[2] ?? '');
    else if ((m = /^summary pass=(\d+) fail=(\d+)$/.exec(line))) report.summary = { pass: Number(m[1]), fail: Number(m[2]) };
  }
  return report;
}

/** Why the guest did not get as far as finishing the script, or undefined. */
export function guestTrouble(r: GuestResult): string | undefined {
  if (r.stage === 'script') return undefined;
  return `guest stopped at stage "${r.stage}" (status ${r.status}, ${r.durationMs} ms), mount -o ${r.mountOptions}\n--- console ---\n${r.console.slice(-4000)}`;
}

/**
 * Throws unless the script ran to its summary and every check passed, apart
 * from `known` ones (check name -> why this server fails it). Returns the
 * report, and the known failures that did fail (for the log).
 */
export function expectChecks(r: GuestResult, known: Readonly<Record<string, string>> = {}): CheckReport {
  const trouble = guestTrouble(r);
  if (trouble) throw new Error(trouble);
  const report = parseReport(r.output);
  const tail = `\n--- guest output ---\n${r.output.slice(-6000)}`;
  if (!report.summary) throw new Error(`the script ended (status ${r.status}) before its summary${tail}`);
  if (report.summary.pass !== report.passed.length || report.summary.fail !== report.failed.size) {
    throw new Error(`summary ${JSON.stringify(report.summary)} disagrees with the check lines${tail}`);
  }
  const unexpected = [...report.failed].filter(([name]) => !(name in known));
  if (unexpected.length > 0) {
    const list = unexpected.map(([n, d]) => `  ${n}: ${d}`).join('\n');
    throw new Error(`${unexpected.length} guest check(s) failed:\n${list}${tail}`);
  }
  if (report.passed.length === 0) throw new Error(`no check passed${tail}`);
  for (const [name, why] of Object.entries(known)) {
    if (report.failed.has(name)) console.log(`  known gap ${name}: ${why}`);
    else if (report.passed.includes(name)) console.log(`  known gap ${name} now passes: drop it from known-gaps.ts`);
  }
  return report;
}

export function fact(report: CheckReport, key: string): string {
  const v = report.facts.get(key);
  if (v === undefined) throw new Error(`the guest reported no fact "${key}"`);
  return v;
}
