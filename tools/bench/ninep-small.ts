// A development bench for the 9P per-request cases (the runner, index.ts,
// has them too, without a baseline): reading many small files (one diodcat
// over all of them: a walk, an open, reads and a clunk per file) and four
// `diodls -l` clients listing at once (the aggregate rate). Both servers as
// separate processes on loopback serving one tree, rounds alternating the
// servers, medians and ours/diod.
//
//   node dist/tools/bench/ninep-small.js [--rounds N] [--files N] [--kib N] [--entries N] [--clients N] [--dir DIR] [--server-args "ARGS"] [--baseline DIST]
//
// --baseline DIST serves another build (its dist/ folder) as one more
// system, for before/after numbers in one run.
//
// Goals: both >= 1.0x diod. This prints; it asserts nothing.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram, startDiod, startHumbridge, type RunningServer } from './servers.js';

interface Config {
  rounds: number;
  files: number;
  kib: number;
  entries: number;
  clients: number;
  dir: string;
  serverArgs: string[];
  baseline: string | undefined;
}

function parse(argv: readonly string[]): Config {
  const c: Config = { rounds: 5, files: 5000, kib: 4, entries: 10_000, clients: 4, dir: os.tmpdir(), serverArgs: [], baseline: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive whole number`);
      return v;
    };
    if (a === '--rounds') c.rounds = num();
    else if (a === '--files') c.files = num();
    else if (a === '--kib') c.kib = num();
    else if (a === '--entries') c.entries = num();
    else if (a === '--clients') c.clients = num();
    else if (a === '--dir') c.dir = argv[++i] ?? c.dir;
    else if (a === '--baseline') c.baseline = argv[++i];
    else if (a === '--server-args') c.serverArgs = (argv[++i] ?? '').split(' ').filter((s) => s !== '');
    else throw new Error(`unknown argument ${a}`);
  }
  return c;
}

/** small/ with `files` files of `kib` KiB, and many/ with `entries` empty files. */
function buildTree(base: string, c: Config): string[] {
  fs.mkdirSync(path.join(base, 'small'));
  const names: string[] = [];
  const body = Buffer.alloc(c.kib * 1024, 'x');
  for (let i = 0; i < c.files; i++) {
    const name = `small/f-${String(i).padStart(6, '0')}`;
    body.writeUInt32LE(i, 0);
    fs.writeFileSync(path.join(base, name), body);
    names.push(name);
  }
  fs.mkdirSync(path.join(base, 'many'));
  for (let i = 0; i < c.entries; i++) fs.writeFileSync(path.join(base, 'many', `file-${String(i).padStart(6, '0')}`), '');
  return names;
}

/** Runs a diod tool, counting its stdout bytes; resolves with them once it exits 0. */
function run(program: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.length));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(program)} exited ${code}: ${err}`))));
  });
}

/** Seconds `fn` takes. */
async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const c = parse(process.argv.slice(2));
  const diodcat = findProgram('diodcat');
  const diodls = findProgram('diodls');
  if (!diodcat || !diodls || !findProgram('diod')) throw new Error('needs diod, diodcat and diodls (Debian package diod)');
  const base = fs.mkdtempSync(path.join(c.dir, 'humbridge-bench-9p-small-'));
  const servers: RunningServer[] = [];
  try {
    process.stderr.write(`building ${c.files} files of ${c.kib} KiB and ${c.entries} entries under ${base}\n`);
    const names = buildTree(base, c);
    servers.push(await startDiod(base), await startHumbridge(base, c.serverArgs));
    if (c.baseline !== undefined) servers.push({ ...(await startHumbridge(base, c.serverArgs, path.resolve(c.baseline, 'tools', 'humbridge.js'))), name: 'baseline' });
    const addr = (s: RunningServer): string[] => ['-s', `${s.host}:${s.port}`, '-a', s.aname];
    const cat = async (s: RunningServer): Promise<void> => {
      const got = await run(diodcat, [...addr(s), ...names]);
      if (got !== c.files * c.kib * 1024) throw new Error(`${s.name}: diodcat gave ${got} bytes`);
    };
    const lsAll = (s: RunningServer): Promise<unknown> => Promise.all(Array.from({ length: c.clients }, () => run(diodls, [...addr(s), '-l', 'many'])));
    for (const s of servers) await Promise.all([cat(s), lsAll(s)]); // warm-up and check
    const times = new Map<string, number[]>();
    const record = (k: string, v: number): void => void (times.get(k) ?? times.set(k, []).get(k))?.push(v);
    for (let r = 0; r < c.rounds; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) record(`cat ${s.name}`, await seconds(() => cat(s)));
      for (const s of order) record(`ls ${s.name}`, await seconds(() => lsAll(s)));
      process.stderr.write(`round ${r + 1}/${c.rounds} done\n`);
    }
    const rate = (k: string, n: number): number => n / median(times.get(k) ?? []);
    const rows = [
      { test: `diodcat ${c.files} files of ${c.kib} KiB`, unit: 'files/s', n: c.files, k: 'cat' },
      { test: `${c.clients} x diodls -l (${c.entries} entries)`, unit: 'entries/s', n: c.clients * c.entries, k: 'ls' },
    ];
    const withBase = c.baseline !== undefined;
    const out = [
      `9P small requests: humbridge vs diod, ${c.rounds} rounds alternating, medians (loopback, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)})`,
      `${'test'.padEnd(36)} ${'unit'.padEnd(10)} ${'diod'.padStart(10)} ${'humbridge'.padStart(10)} ${'ours/diod'.padStart(10)}  goal${withBase ? `        ${'baseline'.padStart(10)} ${'base/diod'.padStart(10)}` : ''}`,
      ...rows.map((x) => {
        const d = rate(`${x.k} diod`, x.n);
        const o = rate(`${x.k} humbridge`, x.n);
        const b = withBase ? rate(`${x.k} baseline`, x.n) : 0;
        const line = `${x.test.padEnd(36)} ${x.unit.padEnd(10)} ${d.toFixed(0).padStart(10)} ${o.toFixed(0).padStart(10)} ${(o / d).toFixed(2).padStart(10)}  >= 1.0 ${(o / d >= 1 ? 'met' : 'NOT met').padEnd(7)}`;
        return withBase ? `${line} ${b.toFixed(0).padStart(10)} ${(b / d).toFixed(2).padStart(10)}` : line;
      }),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`ninep-small: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
