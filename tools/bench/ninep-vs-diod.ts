// humbridge's 9P server against diod (C), side by side on one tree, with
// diod's own client tools as the load so both servers see the same client:
//   - `diodcat -m 1048576` of a 1 GiB file (throughput; diod caps msize at 64 KiB)
//   - `diodls -l` of a directory of 10,000 files (entries per second: a walk
//     and a getattr per entry)
// Both servers run as separate processes on loopback and serve the same
// directory. Rounds alternate the servers (and which goes first) so drift
// in the machine hits both alike; the table shows medians and ours/diod.
//
// The listing is also timed against the fixed-answer responder
// (ninep-responder.ts), twice: Node's sockets and humbridge's codec with no
// file work at all ("node floor"), and Node's sockets alone, the per-entry
// replies pre-encoded. Their rates against diod's are the ceiling for any
// server on this runtime with this client, which sends one request at a
// time and waits for each answer.
//
//   node dist/tools/bench/ninep-vs-diod.js [--rounds N] [--size-mib N] [--entries N] [--dir DIR] [--json]
//
// Goals: cat throughput >= 1.2x diod's; ls rate >= diod's. This prints; it
// asserts nothing (machines are noisy).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram, startDiod, startHumbridge, startResponder, type RunningServer } from './servers.js';

interface Config {
  rounds: number;
  sizeMiB: number;
  entries: number;
  dir: string;
  json: boolean;
}

function parse(argv: readonly string[]): Config {
  const c: Config = { rounds: 5, sizeMiB: 1024, entries: 10_000, dir: os.tmpdir(), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive whole number`);
      return v;
    };
    if (a === '--rounds') c.rounds = num();
    else if (a === '--size-mib') c.sizeMiB = num();
    else if (a === '--entries') c.entries = num();
    else if (a === '--dir') c.dir = argv[++i] ?? c.dir;
    else if (a === '--json') c.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return c;
}

/** The tree both servers serve: big.bin and many/ with `entries` empty files. */
function buildTree(base: string, c: Config): void {
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(path.join(base, 'big.bin'), 'w');
  try {
    for (let i = 0; i < c.sizeMiB; i++) {
      block.writeUInt32LE(i, 0); // no two blocks alike
      fs.writeSync(fd, block);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.mkdirSync(path.join(base, 'many'));
  for (let i = 0; i < c.entries; i++) fs.writeFileSync(path.join(base, 'many', `file-${String(i).padStart(6, '0')}`), '');
}

/** Runs a diod tool with stdout to /dev/null; returns seconds. */
function timed(program: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) resolve(s);
      else reject(new Error(`${path.basename(program)} ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** One untimed run of each tool per server, checking the output is what the tree holds. */
function verify(diodcat: string, diodls: string, srv: RunningServer, c: Config): void {
  const addr = `${srv.host}:${srv.port}`;
  const cat = spawnSync(diodcat, ['-s', addr, '-a', srv.aname, '-m', '1048576', 'big.bin'], { maxBuffer: (c.sizeMiB << 20) + 1024 });
  if (cat.status !== 0 || cat.stdout.length !== c.sizeMiB << 20) {
    throw new Error(`${srv.name}: diodcat gave ${cat.stdout.length} bytes, status ${cat.status}: ${cat.stderr}`);
  }
  verifyListing(diodls, srv, c);
}

function verifyListing(diodls: string, srv: RunningServer, c: Config): void {
  const ls = spawnSync(diodls, ['-s', `${srv.host}:${srv.port}`, '-a', srv.aname, '-l', 'many'], { maxBuffer: 64 << 20 });
  const lines = ls.stdout.toString().trim().split('\n').length;
  if (ls.status !== 0 || lines !== c.entries + 2) throw new Error(`${srv.name}: diodls listed ${lines} lines, status ${ls.status}: ${ls.stderr}`);
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
  const base = fs.mkdtempSync(path.join(c.dir, 'humbridge-bench-9p-'));
  const servers: RunningServer[] = [];
  const running: RunningServer[] = [];
  try {
    process.stderr.write(`building ${c.sizeMiB} MiB file and ${c.entries} entries under ${base}\n`);
    buildTree(base, c);
    for (const start of [() => startDiod(base), () => startHumbridge(base)]) {
      const srv = await start();
      running.push(srv);
      servers.push(srv);
    }
    for (const s of servers) verify(diodcat, diodls, s, c);
    const floor = await startResponder(path.join(base, 'many'));
    running.push(floor);
    const raw = await startResponder(path.join(base, 'many'), true);
    running.push(raw);
    for (const s of [floor, raw]) verifyListing(diodls, s, c);
    const listers = [...servers, floor, raw];
    const times = new Map<string, number[]>();
    const record = (k: string, v: number): void => void (times.get(k) ?? times.set(k, []).get(k))?.push(v);
    for (let r = 0; r < c.rounds; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        record(`cat ${s.name}`, await timed(diodcat, ['-s', `${s.host}:${s.port}`, '-a', s.aname, '-m', '1048576', 'big.bin']));
      }
      for (const s of r % 2 === 0 ? listers : [...listers].reverse()) {
        record(`ls ${s.name}`, await timed(diodls, ['-s', `${s.host}:${s.port}`, '-a', s.aname, '-l', 'many']));
      }
      process.stderr.write(`round ${r + 1}/${c.rounds} done\n`);
    }
    const bytes = c.sizeMiB * 1024 * 1024;
    const catRate = (n: string): number => bytes / (1 << 20) / median(times.get(`cat ${n}`) ?? []);
    const lsRate = (n: string): number => c.entries / median(times.get(`ls ${n}`) ?? []);
    const rows = [
      { test: `diodcat -m 1048576 (${c.sizeMiB} MiB)`, unit: 'MiB/s', diod: catRate('diod'), ours: catRate('humbridge'), goal: 1.2 },
      { test: `diodls -l (${c.entries} entries)`, unit: 'entries/s', diod: lsRate('diod'), ours: lsRate('humbridge'), goal: 1.0 },
    ];
    const floorRate = lsRate(floor.name);
    const rawRate = lsRate(raw.name);
    if (c.json) {
      process.stdout.write(`${JSON.stringify({ rounds: c.rounds, rows, floor: { entriesPerSecond: floorRate, ratio: floorRate / lsRate('diod') }, floorPreencoded: { entriesPerSecond: rawRate, ratio: rawRate / lsRate('diod') }, times: Object.fromEntries(times) })}\n`);
      return;
    }
    const out = [
      `9P: humbridge vs diod, ${c.rounds} rounds alternating, medians (loopback, ${os.cpus().length} cores)`,
      `${'test'.padEnd(36)} ${'unit'.padEnd(10)} ${'diod'.padStart(10)} ${'humbridge'.padStart(10)} ${'ours/diod'.padStart(10)}  goal`,
      ...rows.map(
        (x) =>
          `${x.test.padEnd(36)} ${x.unit.padEnd(10)} ${x.diod.toFixed(0).padStart(10)} ${x.ours.toFixed(0).padStart(10)} ${(x.ours / x.diod).toFixed(2).padStart(10)}  >= ${x.goal.toFixed(1)} ${x.ours / x.diod >= x.goal ? 'met' : 'NOT met'}`,
      ),
      `${'node floor (fixed answers, no files)'.padEnd(36)} ${'entries/s'.padEnd(10)} ${lsRate('diod').toFixed(0).padStart(10)} ${floorRate.toFixed(0).padStart(10)} ${(floorRate / lsRate('diod')).toFixed(2).padStart(10)}  (Node sockets + codec, no files)`,
      `${'node floor, replies pre-encoded'.padEnd(36)} ${'entries/s'.padEnd(10)} ${lsRate('diod').toFixed(0).padStart(10)} ${rawRate.toFixed(0).padStart(10)} ${(rawRate / lsRate('diod')).toFixed(2).padStart(10)}  (Node sockets alone)`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    for (const s of running) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`ninep-vs-diod: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
