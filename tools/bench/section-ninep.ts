// 9P: humbridge's server against diod (C) serving the same tree, loaded by
// diod's own C clients (diodcat, diodls) so both servers see the same
// client, plus creates, stats and removes with humbridge's client against
// both. The listing is also timed against the fixed-answer responder
// (ninep-responder.ts: Node's sockets and the codec, no files), the
// ceiling for any server on this runtime with a client that sends one
// request at a time.

import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_WRONLY, P9_GETATTR_BASIC } from '../../ninep/index.js';
import { Client, connectAddress } from '../../ninep/client/index.js';
import { must, together } from './child.js';
import type { Case, Config, Opened, Row, Section } from './model.js';
import { findProgram, startDiod, startHumbridge, startResponder, type RunningServer } from './servers.js';
import { numbered, numberedFiles, patternFile } from './trees.js';

const SYSTEMS = ['diod', 'humbridge'] as const;
const vsDiod = (key: string, title: string, unit: string, atLeast?: number): Row => ({
  key,
  title,
  unit,
  better: 'higher',
  compare: [{ ours: 'humbridge', anchor: 'diod', ...(atLeast !== undefined ? { goal: { kind: 'ratio', atLeast } } : {}) }],
});

/** `r` with the Node responder's ratio to diod beside humbridge's (no goal: the runtime's ceiling). */
const withFloor = (r: Row): Row => ({ ...r, compare: [...r.compare, { ours: 'node-floor', anchor: 'diod' }] });

const PARALLEL = [4, 16] as const;

const CASES: readonly Case[] = [
  { name: 'ninep-read-64k', title: 'diodcat of 1 GiB, msize 64 KiB', systems: SYSTEMS, rows: [vsDiod('rate', 'read', 'MiB/s', 1.5)] },
  {
    name: 'ninep-read-1m',
    title: 'diodcat of 1 GiB, msize 1 MiB',
    systems: SYSTEMS,
    rows: [vsDiod('rate', 'read', 'MiB/s', 1.5)],
    note: 'diod caps msize at 64 KiB, so its side of this row is a 64 KiB read; humbridge grants 1 MiB.',
  },
  {
    name: 'ninep-ls',
    title: '`diodls -l` of 10,000 entries',
    systems: [...SYSTEMS, 'node-floor'],
    rows: [withFloor(vsDiod('rate', 'list', 'entries/s', 1.0))],
    note: 'node-floor is tools/bench/ninep-responder.ts answering the same requests from memory through the same codec, touching no file: the ceiling for a Node server with this one-request-at-a-time client.',
  },
  {
    name: 'ninep-small',
    title: 'diodcat of 10,000 files of 4 KiB',
    systems: [...SYSTEMS, 'node-floor'],
    rows: [withFloor(vsDiod('rate', 'read', 'files/s', 1.0))],
    note: 'node-floor: the same responder, every file 4 KiB of the same bytes.',
  },
  {
    name: 'ninep-ops',
    title: "humbridge's client: 10,000 files",
    systems: SYSTEMS,
    rows: [vsDiod('create', 'create', 'files/s'), vsDiod('stat', 'walk + getattr', 'files/s'), vsDiod('remove', 'walk + remove', 'files/s')],
  },
  ...PARALLEL.map(
    (n): Case => ({
      name: `ninep-parallel-${n}`,
      title: `${n} clients at once`,
      systems: SYSTEMS,
      rows: [vsDiod('list', 'diodls -l, aggregate', 'entries/s', n === 4 ? 1.0 : undefined), vsDiod('read', 'diodcat of 4 KiB files, aggregate', 'files/s', n === 4 ? 1.0 : undefined)],
    }),
  ),
];

interface Sizes {
  bigMiB: number;
  entries: number;
  small: number;
  ops: number;
  /** Entries each parallel client lists. */
  perClient: number;
}

const sizesFor = (quick: boolean): Sizes =>
  quick ? { bigMiB: 8, entries: 200, small: 200, ops: 200, perClient: 100 } : { bigMiB: 1024, entries: 10_000, small: 10_000, ops: 10_000, perClient: 2_500 };

const tools = (): { diodcat: string; diodls: string } | undefined => {
  const diodcat = findProgram('diodcat');
  const diodls = findProgram('diodls');
  return diodcat && diodls && findProgram('diod') ? { diodcat, diodls } : undefined;
};

const at = (s: RunningServer): string[] => ['-s', `${s.host}:${s.port}`, '-a', s.aname];

async function open(cfg: Config, chosen: readonly Case[]): Promise<Opened> {
  const t = tools();
  if (t === undefined) throw new Error('diod tools missing');
  const z = sizesFor(cfg.quick);
  const base = fs.mkdtempSync(path.join(cfg.tmp, 'humbridge-bench-9p-'));
  const servers = new Map<string, RunningServer>();
  const close = async (): Promise<void> => {
    for (const s of servers.values()) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    cfg.say(`9P: building the tree under ${base}`);
    const want = new Set(chosen.map((c) => c.name));
    if (want.has('ninep-read-64k') || want.has('ninep-read-1m')) patternFile(path.join(base, 'big.bin'), z.bigMiB << 20);
    numberedFiles(path.join(base, 'many'), z.entries);
    numberedFiles(path.join(base, 'small'), z.small, 4096);
    for (let i = 0; i < Math.max(...PARALLEL); i++) numberedFiles(path.join(base, 'par', `c${i}`), z.perClient);
    for (const s of SYSTEMS) fs.mkdirSync(path.join(base, 'ops', s), { recursive: true });
    servers.set('diod', await startDiod(base));
    servers.set('humbridge', await startHumbridge(base));
    if (want.has('ninep-ls') || want.has('ninep-small')) servers.set('node-floor', await startResponder(path.join(base, 'many')));
  } catch (e) {
    await close();
    throw e;
  }
  const server = (name: string): RunningServer => {
    const s = servers.get(name);
    if (s === undefined) throw new Error(`no server ${name}`);
    return s;
  };
  const list = async (s: RunningServer, dir: string, entries: number): Promise<void> => {
    const r = await must(t.diodls, [...at(s), '-l', dir]);
    const lines = r.stdout.trimEnd().split('\n').length;
    if (lines !== entries + 2) throw new Error(`${s.name}: diodls -l ${dir} listed ${lines} lines, expected ${entries + 2}`);
  };
  const smallNames = Array.from({ length: z.small }, (_, i) => `small/${numbered(i)}`);
  const cat = (s: RunningServer, names: readonly string[], msize = 65536): Promise<unknown> => must(t.diodcat, [...at(s), '-m', String(msize), ...names], { stdout: 'drop' });

  const measure = async (c: Case, system: string): Promise<Record<string, number>> => {
    const s = server(system);
    switch (c.name) {
      case 'ninep-read-64k':
      case 'ninep-read-1m': {
        const secs = await together([() => cat(s, ['big.bin'], c.name === 'ninep-read-1m' ? 1 << 20 : 65536)]);
        return { rate: z.bigMiB / secs };
      }
      case 'ninep-ls':
        return { rate: z.entries / (await together([() => list(s, 'many', z.entries)])) };
      case 'ninep-small':
        return { rate: z.small / (await together([() => cat(s, smallNames)])) };
      case 'ninep-ops':
        return clientOps(s, `ops/${system}`, z.ops);
      default: {
        const n = Number(/^ninep-parallel-(\d+)$/.exec(c.name)?.[1]);
        if (!Number.isInteger(n)) throw new Error(`unknown case ${c.name}`);
        const clients = Array.from({ length: n }, (_, i) => i);
        const listSecs = await together(clients.map((i) => () => list(s, `par/c${i}`, z.perClient)));
        const share = Math.ceil(smallNames.length / n);
        const readSecs = await together(clients.map((i) => () => cat(s, smallNames.slice(i * share, (i + 1) * share))));
        return { list: (n * z.perClient) / listSecs, read: z.small / readSecs };
      }
    }
  };
  return { measure, close };
}

/** Creates, stats (walk + getattr) and removes n files in dir, one request at a time; rates per phase. */
async function clientOps(s: RunningServer, dir: string, n: number): Promise<Record<string, number>> {
  const c = await Client.connect(await connectAddress({ kind: 'tcp', host: s.host, port: s.port }), { msize: 1 << 20 });
  try {
    const root = (await c.attach({ uname: 'root', n_uname: 0, aname: s.aname })).fid;
    const d = (await c.walk(root, dir.split('/'))).fid;
    if (d === undefined) throw new Error(`${s.name}: cannot walk to ${dir}`);
    const names = Array.from({ length: n }, (_, i) => numbered(i));
    const phase = async (fn: (name: string) => Promise<void>): Promise<number> => {
      const t0 = process.hrtime.bigint();
      for (const name of names) await fn(name);
      return n / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    const create = await phase(async (name) => {
      const f = (await c.walk(d, [])).fid;
      if (f === undefined) throw new Error('clone failed');
      await c.lcreate(f, name, P9_DOTL_WRONLY, 0o644);
      await c.clunk(f);
    });
    const stat = await phase(async (name) => {
      const f = (await c.walk(d, [name])).fid;
      if (f === undefined) throw new Error(`${name} not found`);
      await c.getattr(f, P9_GETATTR_BASIC);
      await c.clunk(f);
    });
    // Twalk + Tremove: diod has no Tunlinkat.
    const remove = await phase(async (name) => {
      const f = (await c.walk(d, [name])).fid;
      if (f === undefined) throw new Error(`${name} not found`);
      await c.remove(f);
    });
    return { create, stat, remove };
  } finally {
    await c.close();
  }
}

export const ninepSection: Section = {
  name: 'ninep',
  title: '9P: humbridge against diod',
  cases: CASES,
  missing: async () => (tools() === undefined ? 'needs diod, diodcat and diodls (Debian package diod)' : undefined),
  open,
  note: 'Both servers run as separate processes on loopback and serve one tree; diodcat and diodls are the C clients from the diod package. Rates are per second of wall time of the client process(es), process start included.',
};
