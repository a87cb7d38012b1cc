// What one client's directory listings and byte-range locks cost a live
// `humbridge serve` (a child process), and what another client waits
// meanwhile:
//   1. RSS of the server before and after `handles` fids open one directory
//      of `entries` entries and each reads it from offset 0;
//   2. the time of one offset-0 Treaddir (median of 20, one at a time),
//      with one handle open and with all of them;
//   3. the worst Tgetattr latency of a second client while the first sends
//      200 offset-0 Treaddirs at once;
//   4. the server CPU (user + system) for `locks` Tlocks of one client on
//      disjoint ranges of one file, how many were granted, and the worst
//      Tlock latency of a second client meanwhile.
// Usage:
//   node dist/tools/bench/dirs-locks.js [--server dist/tools/humbridge.js]
//        [--entries 50000] [--handles 300] [--locks 20000] [-- SERVE-FLAGS...]
// --server runs another checkout's build (the code before a change);
// flags after `--` go to `humbridge serve`. The tree is made under
// os.tmpdir() and removed afterwards.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { P9_DOTL_DIRECTORY, P9_DOTL_RDONLY, P9_DOTL_RDWR, P9_LOCK_SUCCESS, P9_LOCK_TYPE_WRLCK } from '../../ninep/index.js';
import { Client, connectAddress, NinepError, walkPath } from '../../ninep/client/index.js';

import { startHumbridge, type RunningServer } from './servers.js';

interface Args {
  server: string | undefined;
  entries: number;
  handles: number;
  locks: number;
  serveFlags: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { server: undefined, entries: 50_000, handles: 300, locks: 20_000, serveFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--') {
      a.serveFlags = argv.slice(i + 1);
      break;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--server') a.server = path.resolve(v);
    else if (k === '--entries') a.entries = Number(v);
    else if (k === '--handles') a.handles = Number(v);
    else if (k === '--locks') a.locks = Number(v);
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

const GETATTR_ALL = 0x3fffn;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** User + system CPU of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function connect(srv: RunningServer): Promise<{ c: Client; root: number }> {
  const c = await Client.connect(await connectAddress({ kind: 'tcp', host: srv.host, port: srv.port }), { version: '9P2000.L' });
  const { fid } = await c.attach({ uname: 'root', n_uname: 0, aname: srv.aname });
  return { c, root: fid };
}

/** Repeats getattr on `fid` until `done` says stop; resolves with the worst latency in ms. */
async function worstLatency(op: () => Promise<unknown>, done: () => boolean): Promise<{ worst: number; count: number }> {
  let worst = 0;
  let count = 0;
  while (!done()) {
    const t = now();
    await op();
    worst = Math.max(worst, now() - t);
    count++;
  }
  return { worst, count };
}

/** Times 20 offset-0 Treaddirs, one at a time, over the handles. */
async function offsetZero(c: Client, fids: readonly number[], label: string): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = now();
    await c.readdir(fids[i % fids.length] as number, 0n, 8192);
    times.push(now() - t);
  }
  times.sort((x, y) => x - y);
  console.log(`offset-0 Treaddir ${label}: median ${(times[10] as number).toFixed(2)} ms, worst ${(times[19] as number).toFixed(2)} ms (20, one at a time)`);
}

async function dirs(srv: RunningServer, a: Args): Promise<void> {
  const one = await connect(srv);
  const other = await connect(srv);
  try {
    const rss0 = rssMiB(srv.pid);
    const fids: number[] = [];
    const open = async (): Promise<void> => {
      const fid = await walkPath(one.c, one.root, 'big');
      await one.c.lopen(fid, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
      await one.c.readdir(fid, 0n, 8192);
      fids.push(fid);
    };
    await open();
    await offsetZero(one.c, fids, 'with 1 handle');
    const t = now();
    while (fids.length < a.handles) await open();
    const rss1 = rssMiB(srv.pid);
    console.log(`RSS: ${rss0.toFixed(0)} MiB before, ${rss1.toFixed(0)} MiB with ${a.handles} handles each listed from offset 0 (opened and listed in ${(now() - t).toFixed(0)} ms)`);
    await offsetZero(one.c, fids, `with ${a.handles} handles`);

    let finished = false;
    const hammer = Promise.all(Array.from({ length: 200 }, (_, i) => one.c.readdir(fids[i % fids.length] as number, 0n, 8192))).finally(
      () => (finished = true),
    );
    const t0 = now();
    const lat = await worstLatency(() => other.c.getattr(other.root, GETATTR_ALL), () => finished);
    await hammer;
    console.log(
      `200 offset-0 Treaddirs at once took ${(now() - t0).toFixed(0)} ms; the other client's Tgetattr: worst ${lat.worst.toFixed(1)} ms over ${lat.count}`,
    );
    for (const fid of fids) await one.c.clunk(fid);
  } finally {
    await one.c.close();
    await other.c.close();
  }
}

async function locks(srv: RunningServer, a: Args): Promise<void> {
  const one = await connect(srv);
  const other = await connect(srv);
  try {
    const f1 = await walkPath(one.c, one.root, 'locked');
    await one.c.lopen(f1, P9_DOTL_RDWR);
    const f2 = await walkPath(other.c, other.root, 'locked');
    await other.c.lopen(f2, P9_DOTL_RDWR);
    const cpu0 = cpuMs(srv.pid);
    let finished = false;
    let granted = 0;
    let refused = '';
    const flood = (async () => {
      // 64 in flight at a time, the server's default per connection.
      const window = 64;
      for (let i = 0; i < a.locks; i += window) {
        const batch = [];
        for (let j = i; j < Math.min(a.locks, i + window); j++) {
          const req = { lock_type: P9_LOCK_TYPE_WRLCK, start: BigInt(2 * j), length: 1n, proc_id: 1, client_id: 'bench' };
          batch.push(
            one.c.lock(f1, req).then(
              (st) => (st === P9_LOCK_SUCCESS ? granted++ : undefined),
              (e: unknown) => (refused = e instanceof NinepError ? e.code ?? e.message : String(e)),
            ),
          );
        }
        await Promise.all(batch);
      }
    })().finally(() => (finished = true));
    let k = 0;
    const lat = await worstLatency(
      () => other.c.lock(f2, { lock_type: P9_LOCK_TYPE_WRLCK, start: BigInt(2 * a.locks + 2 * (k++ % 1000)), length: 1n, proc_id: 2, client_id: 'other' }),
      () => finished,
    );
    await flood;
    const cpu = cpuMs(srv.pid) - cpu0;
    console.log(
      `${a.locks} Tlocks: ${granted} granted${refused ? ` (then ${refused})` : ''}, server CPU ${cpu.toFixed(0)} ms; the other client's Tlock: worst ${lat.worst.toFixed(1)} ms over ${lat.count}`,
    );
    console.log(`RSS after the locks: ${rssMiB(srv.pid).toFixed(0)} MiB`);
  } finally {
    await one.c.close();
    await other.c.close();
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-bench-'));
  let srv: RunningServer | undefined;
  try {
    fs.mkdirSync(path.join(base, 'big'));
    for (let i = 0; i < a.entries; i++) fs.closeSync(fs.openSync(path.join(base, 'big', `entry-${i}-${'x'.repeat(i % 20)}`), 'w'));
    fs.writeFileSync(path.join(base, 'locked'), 'x');
    srv = await startHumbridge(base, a.serveFlags, a.server);
    console.log(`server ${a.server ?? 'of this checkout'} (pid ${srv.pid}), ${a.entries} entries, flags: ${a.serveFlags.join(' ') || '(none)'}`);
    await dirs(srv, a);
    await locks(srv, a);
  } finally {
    await srv?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
