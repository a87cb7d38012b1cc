// FUSE: humbridge's mount, with and without passthrough, against bindfs (C,
// libfuse) and the native directory: fio sequential and random I/O, the
// metadata calls of many small files, `tar x` and `rm -rf` of a source
// tree, and `git status` of a 10,000-file work tree. The backing files sit
// in the page cache (fio runs with invalidate=0), so the numbers are the
// bridge's own cost, not the disk's.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { must } from './child.js';
import { FUSE_FLOOR, FUSE_SYSTEMS, startFuseSystem, type FuseSystem, type FuseSystemName } from './fuse-systems.js';
import type { Case, Comparison, Config, Opened, Row, Section } from './model.js';
import { findProgram } from './servers.js';
import { numbered, sourceTree } from './trees.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PT = 'humbridge+pt';
const goal = (atLeast: number): Pick<Comparison, 'goal'> => ({ goal: { kind: 'ratio', atLeast } });
const row = (key: string, title: string, unit: string, compare: readonly Comparison[]): Row => ({ key, title, unit, better: 'higher', compare });
/** The Node FUSE server that answers from memory, against bindfs: no goal, it shows what the runtime allows. */
const floorVsBindfs: Comparison = { ours: FUSE_FLOOR, anchor: 'bindfs' };
/** Both of humbridge's systems against bindfs, each with the goal. */
const vsBindfs = (atLeast?: number): Comparison[] => [
  { ours: 'humbridge', anchor: 'bindfs', ...(atLeast !== undefined ? goal(atLeast) : {}) },
  { ours: PT, anchor: 'bindfs', ...(atLeast !== undefined ? goal(atLeast) : {}) },
];

interface Fio {
  rw: 'read' | 'write' | 'randread';
  bs: '1m' | '4k';
  jobs: 1 | 4;
}
const FIO: readonly Fio[] = [
  ...(['read', 'write'] as const).flatMap((rw) => (['1m', '4k'] as const).flatMap((bs) => ([1, 4] as const).map((jobs): Fio => ({ rw, bs, jobs })))),
  { rw: 'randread', bs: '4k', jobs: 1 },
];
const fioName = (f: Fio): string => `fuse-${f.rw}-${f.bs}-${f.jobs}j`;

function fioCase(f: Fio): Case {
  const what = f.rw === 'read' ? 'sequential read' : f.rw === 'write' ? 'sequential write' : 'random read';
  const compare: Comparison[] =
    f.rw === 'read'
      ? [{ ours: PT, anchor: 'native', ...goal(0.8) }, { ours: PT, anchor: 'bindfs', ...goal(2) }, { ours: 'humbridge', anchor: 'bindfs', ...goal(1.2) }]
      : f.rw === 'write'
        ? [...vsBindfs(1), { ours: PT, anchor: 'native' }]
        : [{ ours: PT, anchor: 'native' }, ...vsBindfs()];
  return { name: fioName(f), title: `fio ${what}, ${f.bs === '1m' ? '1 MiB' : '4 KiB'} blocks, ${f.jobs} job${f.jobs > 1 ? 's' : ''}`, systems: FUSE_SYSTEMS, rows: [row('rate', what, 'MB/s', compare)] };
}

const CASES: readonly Case[] = [
  ...FIO.map(fioCase),
  {
    name: 'fuse-files',
    title: '10,000 empty files',
    systems: [...FUSE_SYSTEMS, FUSE_FLOOR],
    rows: [
      row('create', 'create', 'files/s', [...vsBindfs(1), floorVsBindfs]),
      row('stat', 'stat', 'files/s', [...vsBindfs(1), floorVsBindfs]),
      row('ls', '`ls -l`', 'entries/s', [...vsBindfs(), floorVsBindfs]),
      row('unlink', 'unlink', 'files/s', [...vsBindfs(1), floorVsBindfs]),
    ],
    note:
      'create, stat and unlink are each one process doing all the calls (fuse-ops.ts), timing its own loop; `ls -l` includes its process start. ' +
      'stat, `ls -l` and unlink each start 1.2 s after the phase before, when the names and attributes the kernel cached (1 s) have expired on every mount. ' +
      'fuse-floor is tools/bench/fuse-responder.ts: a Node server keeping the tree in memory and answering through the same codec, reader and reply writes as humbridge, touching no host file: the ceiling of a one-thread Node FUSE server for these calls.',
  },
  {
    name: 'fuse-tar',
    title: 'source tree of 1,200 files',
    systems: FUSE_SYSTEMS,
    rows: [row('untar', '`tar x`', 'files/s', vsBindfs(1)), row('rm', '`rm -rf`', 'files/s', vsBindfs())],
  },
  {
    name: 'fuse-git',
    title: '`git status` of 10,000 files',
    systems: FUSE_SYSTEMS,
    rows: [row('status', 'git status', 'files/s', vsBindfs(1))],
    note: 'each run starts 1.2 s after the one before, when what the kernel cached (1 s) has expired on every mount; git stats the files from several threads (core.preloadIndex).',
  },
];

interface Sizes {
  /** Bytes of each fio job's file. */
  fioSize: string;
  runtime: number;
  files: number;
  tarFiles: number;
  gitFiles: number;
}
const sizesFor = (quick: boolean): Sizes =>
  quick ? { fioSize: '4m', runtime: 1, files: 100, tarFiles: 60, gitFiles: 100 } : { fioSize: '256m', runtime: 1, files: 10_000, tarFiles: 1_200, gitFiles: 10_000 };

/** Longer than the entry and attribute timeouts of every mount measured (1 s). */
const TIMEOUTS_MS = 1_200;
const expired = (): Promise<void> => new Promise((r) => setTimeout(r, TIMEOUTS_MS));

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' };

/** A work tree of n small files in directories of 100, committed. */
async function gitTree(repo: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const dir = path.join(repo, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, numbered(i)), `line ${i}\n`);
  }
  await must('git', ['init', '-q', repo], { env: GIT_ENV });
  await must('git', ['-C', repo, 'add', '-A'], { env: GIT_ENV });
  await must('git', ['-C', repo, 'commit', '-q', '-m', 'tree'], { env: GIT_ENV });
}

/** fio's aggregate bandwidth of one job group, in MB/s (10^6 bytes). */
async function fio(root: string, f: Fio, z: Sizes): Promise<number> {
  const r = await must('fio', [
    `--name=${f.rw === 'write' ? 'w' : 'r'}${f.bs}`,
    `--directory=${root}`,
    `--rw=${f.rw}`,
    `--bs=${f.bs}`,
    `--size=${z.fioSize}`,
    `--numjobs=${f.jobs}`,
    '--ioengine=psync',
    '--invalidate=0',
    '--time_based',
    `--runtime=${z.runtime}`,
    ...(f.rw === 'write' ? ['--end_fsync=1'] : []),
    '--group_reporting',
    '--output-format=json',
  ]);
  const out = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: { read: { bw_bytes: number }; write: { bw_bytes: number } }[] };
  const job = out.jobs[0];
  if (job === undefined) throw new Error('fio reported no job');
  return (f.rw === 'write' ? job.write.bw_bytes : job.read.bw_bytes) / 1e6;
}

async function open(cfg: Config, chosen: readonly Case[]): Promise<Opened> {
  const z = sizesFor(cfg.quick);
  const want = new Set(chosen.map((c) => c.name));
  const base = fs.mkdtempSync(path.join(cfg.tmp, 'humbridge-bench-fuse-'));
  const systems = new Map<FuseSystemName, FuseSystem>();
  const tarball = path.join(base, 'src.tar');
  const close = async (): Promise<void> => {
    for (const s of systems.values()) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    if (want.has('fuse-tar')) {
      sourceTree(path.join(base, 'tree'), z.tarFiles);
      await must('tar', ['cf', tarball, '-C', path.join(base, 'tree'), '.']);
    }
    // Only the systems some chosen case measures (the floor answers the metadata case alone).
    const needed = new Set(chosen.flatMap((c) => c.systems));
    for (const name of [...FUSE_SYSTEMS, FUSE_FLOOR].filter((n): n is FuseSystemName => needed.has(n))) {
      const src = path.join(base, name.replace('+', '-'), 'src');
      const mnt = path.join(base, name.replace('+', '-'), 'mnt');
      fs.mkdirSync(path.join(src, 'fio'), { recursive: true });
      fs.mkdirSync(path.join(src, 'files'));
      fs.mkdirSync(mnt);
      if (want.has('fuse-git') && name !== FUSE_FLOOR) {
        cfg.say(`FUSE: a git work tree of ${z.gitFiles} files for ${name}`);
        await gitTree(path.join(src, 'repo'), z.gitFiles);
      }
      const s = await startFuseSystem(name, src, mnt);
      systems.set(name, s);
      if (s.missing !== undefined) cfg.say(`FUSE: ${name} not measured: ${s.missing}`);
    }
  } catch (e) {
    await close();
    throw e;
  }
  const measure = async (c: Case, system: string): Promise<Record<string, number>> => {
    const s = systems.get(system as FuseSystemName);
    if (s === undefined || s.missing !== undefined) return {};
    const f = FIO.find((x) => fioName(x) === c.name);
    if (f !== undefined) return { rate: await fio(path.join(s.root, 'fio'), f, z) };
    if (c.name === 'fuse-files') {
      const dir = path.join(s.root, 'files');
      const phase = async (p: string): Promise<number> => z.files / Number((await must(process.execPath, [path.join(here, 'fuse-ops.js'), p, dir, String(z.files)])).stdout.trim());
      const create = await phase('create');
      // Each later phase starts with every name and attribute the kernel cached expired
      // (the 1 s timeouts of both mounts): a faster create must not leave the stats cached.
      await expired();
      const stat = await phase('stat');
      await expired();
      const ls = await must('ls', ['-l', dir]);
      const listed = ls.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('total')).length;
      if (listed !== z.files) throw new Error(`${system}: ls -l listed ${listed} entries, expected ${z.files}`);
      await expired();
      const unlink = await phase('unlink');
      return { create, stat, ls: z.files / ls.seconds, unlink };
    }
    if (c.name === 'fuse-tar') {
      const dir = path.join(s.root, 'untar');
      const untar = await must('sh', ['-c', 'mkdir "$1" && tar xf "$2" -C "$1"', 'sh', dir, tarball]);
      const rm = await must('rm', ['-rf', dir]);
      return { untar: z.tarFiles / untar.seconds, rm: z.tarFiles / rm.seconds };
    }
    if (c.name === 'fuse-git') {
      // Every lstat asks the server: the names and attributes its last run cached have expired
      // (runs of one system came under 1 s apart, and then a mount answered from the kernel's cache).
      await expired();
      const r = await must('git', ['-C', path.join(s.root, 'repo'), 'status', '--porcelain'], { env: GIT_ENV });
      if (r.stdout.trim() !== '') throw new Error(`${system}: git status shows changes: ${r.stdout.slice(0, 200)}`);
      return { status: z.gitFiles / r.seconds };
    }
    throw new Error(`unknown case ${c.name}`);
  };
  return { measure, close };
}

export const fuseSection: Section = {
  name: 'fuse',
  title: 'FUSE: humbridge against bindfs and the native directory',
  cases: CASES,
  async missing() {
    if (process.getuid?.() !== 0 || !fs.existsSync('/dev/fuse')) return 'needs root and /dev/fuse';
    const lacking = ['fio', 'bindfs', 'git', 'tar'].filter((p) => findProgram(p) === undefined);
    return lacking.length > 0 ? `needs ${lacking.join(', ')} (scripts/setup.sh installs them)` : undefined;
  },
  open,
  note: `humbridge+pt is the same mount with passthrough (the kernel reads and writes the backing file itself). fio runs time-based (1 s per run) with psync and invalidate=0; MB/s are 10^6 bytes per second.`,
};
