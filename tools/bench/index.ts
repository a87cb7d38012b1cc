// `npm run bench`: every case side by side in one run, then BENCHMARKS.md
// and benchmarks.svg (the ratios) in --out.
//
//   node dist/tools/bench/index.js [NAME...] [--rounds N] [--quick] [--out DIR] [--tmp DIR]
//   node dist/tools/bench/index.js --list
//
// NAME is a section (ninep, fuse, guest, humfsify, memory) or a case
// (--list shows them). --rounds: timed rounds after the warm-up (default
// 5, at least 5 unless --quick). --quick: tiny sizes, one round, no
// warm-up: a smoke run whose numbers mean nothing. --out: where the two
// files go (default: the current directory). Exits 1 when a case failed
// (a case whose tools or privileges are missing is skipped, not failed).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeMachine } from './machine.js';
import type { CaseResult, Config } from './model.js';
import { renderSvg } from './plot.js';
import { lines, renderMarkdown } from './report.js';
import { choose, runChosen, type Chosen } from './runner.js';
import { SECTIONS } from './sections.js';

interface Args {
  names: string[];
  rounds: number;
  quick: boolean;
  out: string;
  tmp: string;
  list: boolean;
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { names: [], rounds: 5, quick: false, out: process.cwd(), tmp: os.tmpdir(), list: false };
  let roundsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${s} needs a value`);
      return v;
    };
    if (s === '--rounds') {
      a.rounds = Number(value());
      roundsGiven = true;
      if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds needs a positive whole number');
    } else if (s === '--quick') a.quick = true;
    else if (s === '--out') a.out = path.resolve(value());
    else if (s === '--tmp') a.tmp = path.resolve(value());
    else if (s === '--list') a.list = true;
    else if (s.startsWith('-')) throw new Error(`unknown option ${s}`);
    else a.names.push(s);
  }
  if (a.quick && !roundsGiven) a.rounds = 1;
  if (!a.quick && a.rounds < 5) throw new Error('--rounds must be at least 5 (or use --quick for a smoke run)');
  return a;
}

async function main(argv: readonly string[]): Promise<number> {
  let a: Args;
  let chosen: Chosen[];
  try {
    a = parseArgs(argv);
    chosen = choose(SECTIONS, a.names);
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (a.list) {
    for (const s of SECTIONS) {
      process.stdout.write(`${s.name}: ${s.title}\n`);
      for (const c of s.cases) process.stdout.write(`  ${c.name.padEnd(24)} ${c.title}${c.onlyWhenNamed ? ` (only when named: ${c.onlyWhenNamed})` : ''}\n`);
    }
    return 0;
  }
  const tty = process.stdout.isTTY === true;
  const progress = (text: string): void => {
    if (tty) process.stdout.write(`\r\x1b[K${text.slice(0, (process.stdout.columns || 100) - 1)}`);
  };
  const cfg: Config = {
    rounds: a.rounds,
    quick: a.quick,
    tmp: a.tmp,
    say: (text) => {
      progress('');
      process.stderr.write(`${text}\n`);
    },
  };
  const started = Date.now();
  const used = chosen.map((c) => c.section);
  const plot = 'benchmarks.svg';
  const machine = describeMachine(a.tmp);
  const command = `node dist/tools/bench/index.js ${argv.join(' ')}`.trim();
  fs.mkdirSync(a.out, { recursive: true });
  const write = (results: readonly CaseResult[]): void => {
    fs.writeFileSync(path.join(a.out, 'BENCHMARKS.md'), renderMarkdown({ sections: used, results, machine, command, date: new Date(), rounds: a.rounds, quick: a.quick, plot, seconds: (Date.now() - started) / 1000 }));
    const bySection = used.map((s) => ({ title: s.title, lines: results.filter((r) => r.section === s.name && r.skipped === undefined).flatMap(lines) }));
    fs.writeFileSync(path.join(a.out, plot), renderSvg(bySection, `humbridge benchmarks, ${machine[0] ?? ''}`));
    fs.writeFileSync(path.join(a.out, 'benchmarks.json'), `${JSON.stringify({ machine, command, rounds: a.rounds, quick: a.quick, results }, null, 1)}\n`);
  };
  const results = await runChosen(chosen, cfg, progress, write);
  for (const r of results) {
    for (const l of r.skipped === undefined ? lines(r) : []) {
      process.stdout.write(`${l.title.padEnd(52)} ${l.ours} vs ${l.anchor}: ${l.ratio === undefined ? 'n/a' : l.ratio.toFixed(2)}${l.met === undefined ? '' : l.met ? ' (goal met)' : ' (goal NOT met)'}\n`);
    }
    if (r.skipped !== undefined) process.stdout.write(`${r.case.name}: ${r.skipped}\n`);
  }
  process.stdout.write(`wrote ${path.join(a.out, 'BENCHMARKS.md')} and ${plot} in ${((Date.now() - started) / 60000).toFixed(1)} min\n`);
  return results.some((r) => r.skipped?.startsWith('failed')) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
