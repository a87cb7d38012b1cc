// What 100,000 live fids cost a server: humbridge's client walks a fid to
// every file of a 100,000-file tree (32 walks in flight) and keeps them;
// the server's resident memory and open descriptors are read from /proc,
// then again once every fid is clunked. diod is the anchor.

import fs from 'node:fs';
import path from 'node:path';
import { Client, connectAddress } from '../../ninep/client/index.js';
import type { Case, Config, Opened, Row, Section } from './model.js';
import { findProgram, startDiod, startHumbridge, type RunningServer } from './servers.js';
import { numbered, numberedFiles } from './trees.js';

/** humbridge serve's default --max-cached-fds; descriptors may exceed it by the connections and its own few. */
const CACHED_FDS = 1024;
const FD_SLACK = 64;
const PER_DIR = 1000;

const row = (key: string, title: string, unit: string, ceiling?: number): Row => ({
  key,
  title,
  unit,
  better: 'lower',
  compare: [{ ours: 'humbridge', anchor: 'diod', ...(ceiling !== undefined ? { goal: { kind: 'ceiling', atMost: ceiling } } : {}) }],
});

const CASES: readonly Case[] = [
  {
    name: 'memory-fids',
    title: 'server with 100,000 live fids',
    systems: ['diod', 'humbridge'],
    rounds: 1,
    rows: [
      row('rssLive', 'RSS, fids live', 'MiB', 200),
      row('fdsLive', 'descriptors, fids live', 'fds', CACHED_FDS + FD_SLACK),
      row('rssAfter', 'RSS after clunk', 'MiB'),
      row('fdsAfter', 'descriptors after clunk', 'fds', CACHED_FDS + FD_SLACK),
    ],
    note: `one round (sizes, not timings); the descriptor goal is humbridge's --max-cached-fds (${CACHED_FDS}) plus ${FD_SLACK} for connections and its own.`,
  },
];

function usage(pid: number): { rss: number; fds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return { rss: kb / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

async function measureServer(s: RunningServer, files: number): Promise<Record<string, number>> {
  const c = await Client.connect(await connectAddress({ kind: 'tcp', host: s.host, port: s.port }), { msize: 65536 });
  try {
    const root = (await c.attach({ uname: 'root', n_uname: 0, aname: s.aname })).fid;
    const fids: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < files; i = next++) {
        const f = (await c.walk(root, [`d${Math.floor(i / PER_DIR)}`, numbered(i % PER_DIR)])).fid;
        if (f === undefined) throw new Error(`${s.name}: file ${i} not found`);
        fids.push(f);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const live = usage(s.pid);
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let f = fids.pop(); f !== undefined; f = fids.pop()) await c.clunk(f);
    }));
    await new Promise((r) => setTimeout(r, 500)); // let a lazy release settle
    const after = usage(s.pid);
    return { rssLive: live.rss, fdsLive: live.fds, rssAfter: after.rss, fdsAfter: after.fds };
  } finally {
    await c.close();
  }
}

async function open(cfg: Config): Promise<Opened> {
  const files = cfg.quick ? 2_000 : 100_000;
  const base = fs.mkdtempSync(path.join(cfg.tmp, 'humbridge-bench-fids-'));
  const servers: RunningServer[] = [];
  const close = async (): Promise<void> => {
    for (const s of servers) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    cfg.say(`memory: building ${files} files`);
    for (let d = 0; d * PER_DIR < files; d++) numberedFiles(path.join(base, `d${d}`), Math.min(PER_DIR, files - d * PER_DIR));
    servers.push(await startDiod(base), await startHumbridge(base));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    measure: async (_c: Case, system: string) => {
      // A fresh server for each measurement: what it holds is this run's.
      const i = servers.findIndex((s) => s.name === system);
      const old = servers[i];
      if (old === undefined) throw new Error(`no server ${system}`);
      await old.stop();
      const s = system === 'diod' ? await startDiod(base) : await startHumbridge(base);
      servers[i] = s;
      return measureServer(s, files);
    },
    close,
  };
}

export const memorySection: Section = {
  name: 'memory',
  title: 'Memory: 100,000 live fids',
  cases: CASES,
  missing: async () => (findProgram('diod') === undefined ? 'needs diod (Debian package diod)' : undefined),
  open,
};
