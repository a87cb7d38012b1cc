// The FUSE mount against the native directory and bindfs (C, libfuse),
// side by side in one run:
//   - sequential read of one file with dd bs=1M, page cache dropped before
//     (cold) and right after that read (warm)
//   - sequential write of one file with dd bs=1M conv=fsync
//   - create, stat and unlink of N empty files, each phase one process doing
//     all N calls (fuse-ops.ts, which times its own loop), and `ls -l` of
//     them in between (readdir + a stat per entry)
// Every system gets its own backing directory; humbridge serves its mount
// from a separate process (fuse-server.ts): this process never touches a
// mount, every load is a child started in /. After one untimed warm-up
// round, rounds run each case on every system in turn (A B C A B C ...);
// the table shows medians and ratios of medians.
//
//   node dist/tools/bench/fuse.js [--size 256M] [--files 10000] [--rounds 5]
//     [--no-native] [--no-bindfs] [--no-passthrough] [--cases read,write,files]
//     [--readers N] [--threadpool N] [--cpu-prof DIR] [--baseline DIST] [--dir DIR] [--json]
//
// --readers: the server's /dev/fuse readers; --threadpool: its
// UV_THREADPOOL_SIZE; --cpu-prof: node --cpu-prof for the server processes,
// profiles written to DIR; --baseline: another build's dist/ served as one
// more system, to measure a change before and after in one run. The passthrough row is "not available" until the
// mount offers passthrough and the session reports it on. Needs root (mounts,
// /proc/sys/vm/drop_caches); without root or /dev/fuse it says so and exits 0.
// This prints; it asserts nothing (machines are noisy).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProgram } from './servers.js';
import { median, parseSize, ratio } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1 << 20;
const CASES = ['read', 'write', 'files'] as const;
type CaseGroup = (typeof CASES)[number];
/** The measured rows, in table order. */
const MEASURES = ['read-cold', 'read-warm', 'write', 'create', 'stat', 'ls -l', 'unlink'] as const;
type Measure = (typeof MEASURES)[number];
const SYSTEMS = ['native', 'bindfs', 'humbridge', 'passthrough', 'baseline'] as const;
type SystemName = (typeof SYSTEMS)[number];

interface Config {
  size: number;
  files: number;
  rounds: number;
  systems: Set<SystemName>;
  cases: Set<CaseGroup>;
  readers: number | undefined;
  threadpool: number | undefined;
  cpuProf: string | undefined;
  /** Another build's dist/ served as the 'baseline' system (before/after a change). */
  baseline: string | undefined;
  dir: string;
  json: boolean;
}

function parse(argv: readonly string[]): Config {
  const c: Config = {
    size: 256 * MiB,
    files: 10_000,
    rounds: 5,
    systems: new Set(SYSTEMS.filter((s) => s !== 'baseline')),
    cases: new Set(CASES),
    readers: undefined,
    threadpool: undefined,
    cpuProf: undefined,
    baseline: undefined,
    dir: os.tmpdir(),
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = Number(next());
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive whole number`);
      return v;
    };
    if (a === '--size') c.size = parseSize(next());
    else if (a === '--files') c.files = num();
    else if (a === '--rounds') c.rounds = num();
    else if (a === '--no-native') c.systems.delete('native');
    else if (a === '--no-bindfs') c.systems.delete('bindfs');
    else if (a === '--no-humbridge') c.systems.delete('humbridge');
    else if (a === '--no-passthrough') c.systems.delete('passthrough');
    else if (a === '--cases') {
      const want = next().split(',');
      const bad = want.filter((w) => !(CASES as readonly string[]).includes(w));
      if (bad.length > 0) throw new Error(`unknown case ${bad.join(', ')} (cases: ${CASES.join(', ')})`);
      c.cases = new Set(want as CaseGroup[]);
    } else if (a === '--readers') c.readers = num();
    else if (a === '--threadpool') c.threadpool = num();
    else if (a === '--cpu-prof') c.cpuProf = path.resolve(next());
    else if (a === '--baseline') {
      c.baseline = path.resolve(next());
      c.systems.add('baseline');
    } else if (a === '--dir') c.dir = next();
    else if (a === '--json') c.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (c.size < MiB || c.size % MiB !== 0) throw new Error('--size must be a whole number of MiB');
  // Each reader holds a thread-pool thread in a blocking read of /dev/fuse: with none left, the Vfs's
  // own file calls queue behind them and the mount hangs (seen with --readers 4 and a pool of 4).
  const pool = c.threadpool ?? (Number(process.env['UV_THREADPOOL_SIZE']) || 4);
  if ((c.readers ?? 2) >= pool) throw new Error(`--readers ${c.readers ?? 2} leaves none of the server's ${pool} thread-pool threads for file work: raise --threadpool`);
  return c;
}

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a program from / (never with cwd on a mount) and times it. */
function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Out> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30 * 60_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - start) / 1e9 }));
  });
}

async function must(cmd: string, args: readonly string[]): Promise<Out> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

const isMounted = (mnt: string): boolean => fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);

async function waitFor(what: string, ok: () => boolean, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One system under test: `root` is where the load runs (a mountpoint, or the directory itself). */
interface System {
  name: SystemName;
  root: string;
  /** Why it is not measured, if it is not. */
  missing?: string;
  stop(): Promise<void>;
}

/** Writes `size` bytes of a pattern no two MiB alike (nothing compresses or dedups it). */
function makeFile(file: string, size: number): void {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < size / MiB; i++) {
      block.writeUInt32LE(i, 0);
      fs.writeSync(fd, block);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function backing(base: string, name: SystemName, c: Config): { src: string; mnt: string } {
  const src = path.join(base, name, 'src');
  const mnt = path.join(base, name, 'mnt');
  fs.mkdirSync(src, { recursive: true });
  fs.mkdirSync(mnt);
  if (c.cases.has('read')) makeFile(path.join(src, 'big.bin'), c.size);
  fs.mkdirSync(path.join(src, 'files'));
  return { src, mnt };
}

async function startNative(base: string, c: Config): Promise<System> {
  const { src } = backing(base, 'native', c);
  return { name: 'native', root: src, stop: async () => {} };
}

async function ensureBindfs(): Promise<string | undefined> {
  const have = findProgram('bindfs');
  if (have) return have;
  process.stderr.write('bindfs missing: apt-get install -y bindfs\n');
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'bindfs'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  return findProgram('bindfs');
}

async function startBindfs(base: string, c: Config): Promise<System> {
  const { src, mnt } = backing(base, 'bindfs', c);
  const bindfs = await ensureBindfs();
  if (!bindfs) return { name: 'bindfs', root: mnt, missing: 'bindfs not installed', stop: async () => {} };
  // -f: stays in the foreground as our child, so it is ours to stop.
  const child = spawn(bindfs, ['-f', src, mnt], { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`bindfs mount at ${mnt} (${err})`, () => isMounted(mnt) || child.exitCode !== null, 15_000);
  if (!isMounted(mnt)) throw new Error(`bindfs exited before mounting: ${err}`);
  return {
    name: 'bindfs',
    root: mnt,
    async stop() {
      if (isMounted(mnt)) await run('umount', [mnt]);
      if (isMounted(mnt)) await run('umount', ['-l', mnt]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startHumbridge(base: string, c: Config, name: 'humbridge' | 'passthrough' | 'baseline'): Promise<System> {
  const passthrough = name === 'passthrough';
  const script = name === 'baseline' && c.baseline ? path.join(c.baseline, 'tools', 'bench', 'fuse-server.js') : path.join(here, 'fuse-server.js');
  const { src, mnt } = backing(base, name, c);
  const node: string[] = [];
  if (c.cpuProf) node.push('--cpu-prof', '--cpu-prof-dir', c.cpuProf, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`);
  const args = [...node, script, src, mnt];
  if (c.readers !== undefined) args.push('--readers', String(c.readers));
  if (passthrough) args.push('--passthrough');
  const env = { ...process.env };
  if (c.threadpool !== undefined) env['UV_THREADPOOL_SIZE'] = String(c.threadpool);
  const child = spawn(process.execPath, args, { cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 65536) err = err.slice(-32768);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    if (isMounted(mnt)) await run('umount', ['-l', mnt]);
  };
  try {
    await waitFor(`${name} server ready`, () => /^ready /m.test(out) || child.exitCode !== null, 15_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const m = /^ready passthrough=(\S+)/m.exec(out);
  if (!m) {
    await stop();
    throw new Error(`${name} server exited before it was ready: ${err}`);
  }
  if (passthrough && m[1] !== 'on') {
    await stop();
    const why = m[1] === 'n/a' ? 'this build has no passthrough' : 'the session reports passthrough off';
    return { name, root: mnt, missing: why, stop: async () => {} };
  }
  return { name, root: mnt, stop };
}

const dropCaches = (): void => fs.writeFileSync('/proc/sys/vm/drop_caches', '3');

/** Bytes dd says it copied (its last stderr lines: "N bytes (...) copied, ..."). */
function ddBytes(o: Out): number {
  const m = /^(\d+) bytes/m.exec(o.stderr);
  return m ? Number(m[1]) : -1;
}

async function dd(args: readonly string[], want: number): Promise<number> {
  const o = await must('dd', [...args, 'bs=1M']);
  if (ddBytes(o) !== want) throw new Error(`dd ${args.join(' ')} copied ${ddBytes(o)} bytes, expected ${want}`);
  return o.seconds;
}

type Record = (m: Measure, seconds: number) => void;

async function readCase(s: System, c: Config, rec: Record): Promise<void> {
  const file = path.join(s.root, 'big.bin');
  dropCaches();
  rec('read-cold', await dd([`if=${file}`, 'of=/dev/null'], c.size));
  rec('read-warm', await dd([`if=${file}`, 'of=/dev/null'], c.size));
}

async function writeCase(s: System, c: Config, rec: Record): Promise<void> {
  const file = path.join(s.root, 'w.bin');
  rec('write', await dd(['if=/dev/zero', `of=${file}`, `count=${c.size / MiB}`, 'conv=fsync'], c.size));
  await must('rm', ['-f', file]);
}

async function filesCase(s: System, c: Config, rec: Record): Promise<void> {
  const dir = path.join(s.root, 'files');
  const ops = path.join(here, 'fuse-ops.js');
  const phase = async (p: string): Promise<number> => {
    const o = await must(process.execPath, [ops, p, dir, String(c.files)]);
    return Number(o.stdout.trim());
  };
  rec('create', await phase('create'));
  rec('stat', await phase('stat'));
  const ls = await must('ls', ['-l', dir]);
  const lines = ls.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('total')).length;
  if (lines !== c.files) throw new Error(`${s.name}: ls -l listed ${lines} entries, expected ${c.files}`);
  rec('ls -l', ls.seconds);
  rec('unlink', await phase('unlink'));
}

const GROUP: { [K in CaseGroup]: (s: System, c: Config, rec: Record) => Promise<void> } = { read: readCase, write: writeCase, files: filesCase };
const IN_GROUP: { [K in Measure]: CaseGroup } = {
  'read-cold': 'read',
  'read-warm': 'read',
  write: 'write',
  create: 'files',
  stat: 'files',
  'ls -l': 'files',
  unlink: 'files',
};

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.availableParallelism()} cpus (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, node ${process.version}`;
}

async function main(): Promise<void> {
  const c = parse(process.argv.slice(2));
  if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) {
    process.stdout.write('fuse: skipped (needs root and /dev/fuse: FUSE mounts and drop_caches)\n');
    return;
  }
  const base = fs.mkdtempSync(path.join(c.dir, 'humbridge-bench-fuse-'));
  const systems: System[] = [];
  try {
    process.stderr.write(`fuse: ${c.size / MiB} MiB file, ${c.files} files, ${c.rounds} rounds, under ${base}\n`);
    for (const name of SYSTEMS) {
      if (!c.systems.has(name)) continue;
      progress(`starting ${name}`);
      if (name === 'native') systems.push(await startNative(base, c));
      else if (name === 'bindfs') systems.push(await startBindfs(base, c));
      else systems.push(await startHumbridge(base, c, name));
    }
    const measured = systems.filter((s) => s.missing === undefined);
    const times = new Map<string, number[]>();
    for (let r = 0; r <= c.rounds; r++) {
      const label = r === 0 ? 'warm-up' : `round ${r}/${c.rounds}`;
      for (const g of CASES) {
        if (!c.cases.has(g)) continue;
        for (const s of measured) {
          progress(`${label}: ${g} on ${s.name}`);
          await GROUP[g](s, c, (m, sec) => {
            if (r > 0) (times.get(`${m}:${s.name}`) ?? times.set(`${m}:${s.name}`, []).get(`${m}:${s.name}`))?.push(sec);
          });
        }
      }
    }
    progress('');
    report(c, systems, times);
  } finally {
    for (const s of systems) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

function report(c: Config, systems: readonly System[], times: ReadonlyMap<string, number[]>): void {
  const rate = (m: Measure, s: SystemName): number | undefined => {
    const t = times.get(`${m}:${s}`);
    if (!t || t.length === 0) return undefined;
    const amount = m === 'read-cold' || m === 'read-warm' || m === 'write' ? c.size / 1e6 : c.files;
    return amount / median(t);
  };
  const rows = MEASURES.filter((m) => c.cases.has(IN_GROUP[m])).map((m) => {
    const rates = Object.fromEntries(SYSTEMS.map((s) => [s, rate(m, s)])) as { [K in SystemName]: number | undefined };
    return {
      measure: m,
      unit: IN_GROUP[m] === 'files' ? 'ops/s' : 'MB/s',
      rates,
      humbridgeVsBindfs: ratio(rates.humbridge, rates.bindfs),
      humbridgeVsNative: ratio(rates.humbridge, rates.native),
      passthroughVsNative: ratio(rates.passthrough, rates.native),
      humbridgeVsBaseline: ratio(rates.humbridge, rates.baseline),
    };
  });
  if (c.json) {
    const missing = Object.fromEntries(systems.filter((s) => s.missing).map((s) => [s.name, s.missing]));
    process.stdout.write(`${JSON.stringify({ machine: machine(), size: c.size, files: c.files, rounds: c.rounds, rows, missing, times: Object.fromEntries(times) })}\n`);
    return;
  }
  const shown = SYSTEMS.filter((s) => c.systems.has(s));
  const cell = (v: number | undefined, digits: number): string => (v === undefined ? 'n/a' : v.toFixed(digits));
  const vsBase = c.baseline !== undefined;
  const header = ['case', 'unit', ...shown.map((s) => (s === 'passthrough' ? 'hb+pt' : s)), 'hb/bindfs', 'hb/native', 'pt/native', ...(vsBase ? ['hb/base'] : [])];
  const widths = [10, 6, ...shown.map(() => 10), 10, 10, 10, 10];
  const line = (cells: readonly string[]): string => cells.map((x, i) => (i < 2 ? x.padEnd(widths[i] ?? 10) : x.padStart(widths[i] ?? 10))).join(' ');
  const out = [
    `FUSE: ${c.size / MiB} MiB file (dd bs=1M), ${c.files} files, ${c.rounds} rounds after a warm-up, systems alternating, medians`,
    `machine: ${machine()}`,
    ...(vsBase ? [`baseline: ${c.baseline}`] : []),
    `server: readers ${c.readers ?? 'default'}, UV_THREADPOOL_SIZE ${c.threadpool ?? process.env['UV_THREADPOOL_SIZE'] ?? 'default (4)'}`,
    line(header),
    ...rows.map((x) =>
      line([x.measure, x.unit, ...shown.map((s) => cell(x.rates[s], 0)), cell(x.humbridgeVsBindfs, 2), cell(x.humbridgeVsNative, 2), cell(x.passthroughVsNative, 2), ...(vsBase ? [cell(x.humbridgeVsBaseline, 2)] : [])]),
    ),
    ...systems.filter((s) => s.missing).map((s) => `${s.name}: not available (${s.missing})`),
    'MB/s are 10^6 bytes per second; create, stat and unlink are timed inside one process doing all the calls; ls -l includes its process start.',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e: unknown) => {
  progress('');
  process.stderr.write(`fuse: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
