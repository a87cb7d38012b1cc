// What one 9P client can make `humbridge serve` hold: runs each abuse case
// against a fresh server process (default flags unless given after the
// case names) and prints the server's RSS (now and peak, from
// /proc/PID/status) and open descriptors before, during and after, the
// errors the abusing client got, and whether a second, well-behaved client
// could still connect, open and read a file meanwhile.
//
//   node dist/tools/bench/ninep-limits.js [xattr] [readahead] [openfiles] [halfframes] [-- SERVE-FLAGS...]
//
// Cases:
//   xattr       one connection: 20,000 fids each Txattrcreate of 64 KiB, no data sent
//   readahead   one connection: 300 fids of one file, each read twice sequentially (1 MiB reads), then idle
//   openfiles   one connection tries to open one file 25,000 times (past the process limit); then six connections 5,000 times each
//   halfframes  300 connections each send Tversion and half of a 1 MiB frame, then nothing

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dialect9P2000L, encode, NOTAG, P9_DOTL_RDONLY } from '../../ninep/index.js';
import { Client, NinepError, readFile } from '../../ninep/client/index.js';
import { startHumbridge, type RunningServer } from './servers.js';

const MIB = 1 << 20;
const CASES = ['xattr', 'readahead', 'openfiles', 'halfframes'] as const;
type Case = (typeof CASES)[number];

function status(pid: number): { rss: number; hwm: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function report(srv: RunningServer, label: string): void {
  const { rss, hwm } = status(srv.pid);
  const mib = (n: number): string => `${(n / MIB).toFixed(0)} MiB`;
  console.log(`  ${label.padEnd(34)} rss ${mib(rss).padStart(8)}  peak ${mib(hwm).padStart(8)}  fds ${String(fdCount(srv.pid)).padStart(6)}`);
}

async function connect(srv: RunningServer, msize = MIB): Promise<{ c: Client; root: number }> {
  const sock = net.connect(srv.port, srv.host);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  sock.on('error', () => undefined);
  const c = await Client.connect(sock, { msize });
  const { fid } = await c.attach({ uname: 'root', n_uname: 0 });
  return { c, root: fid };
}

/** Codes of the rejections among `results`, counted ("EMFILE×3"), and how many succeeded. */
function tally(results: PromiseSettledResult<unknown>[]): string {
  const counts = new Map<string, number>();
  for (const r of results) {
    const k = r.status === 'fulfilled' ? 'ok' : r.reason instanceof NinepError ? (r.reason.code ?? 'error') : String((r.reason as Error).message ?? r.reason);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

/** The well-behaved client: connects, opens and reads `name` within a time limit. */
async function secondClient(srv: RunningServer, name: string, want: Buffer): Promise<string> {
  const attempt = (async () => {
    const { c, root } = await connect(srv, 64 * 1024);
    try {
      const got = await readFile(c, root, name);
      return got.equals(want) ? 'reads the file byte-exact' : 'read WRONG data';
    } finally {
      await c.close().catch(() => undefined);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('no answer within 10 s'), 10_000)));
  const r = await Promise.race([attempt.catch((e: unknown) => `fails: ${e instanceof NinepError ? `${e.request} ${e.code}` : (e as Error).message}`), late]);
  clearTimeout(timer);
  return r;
}

/** Runs `fn` over `items` with at most `width` at once; every outcome kept. */
async function pipelined<T>(count: number, width: number, fn: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = [];
  for (let i = 0; i < count; i += width) {
    const batch = Array.from({ length: Math.min(width, count - i) }, (_, k) => fn(i + k));
    out.push(...(await Promise.allSettled(batch)));
  }
  return out;
}

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits (up to 60 s) until the server is back to `base` descriptors. */
async function released(srv: RunningServer, base: number): Promise<void> {
  const end = Date.now() + 60_000;
  while (fdCount(srv.pid) > base && Date.now() < end) await settle(100);
}

async function xattr(srv: RunningServer, dir: string): Promise<void> {
  const small = Buffer.from('small file\n');
  fs.writeFileSync(path.join(dir, 'f'), small);
  const base = fdCount(srv.pid);
  const { c, root } = await connect(srv);
  const f = (await c.walk(root, ['f'])).fid as number;
  const results = await pipelined(20_000, 500, async () => {
    const x = (await c.walk(f, [])).fid as number;
    await c.xattrcreate(x, 'user.flood', 64n * 1024n, 0);
  });
  await settle(200);
  console.log(`  20,000 × Txattrcreate 64 KiB: ${tally(results)}`);
  report(srv, 'flood connection holding its fids');
  console.log(`  second client: ${await secondClient(srv, 'f', small)}`);
  c.conn.destroy();
  await released(srv, base);
  report(srv, 'after the flood connection closed');
}

async function readahead(srv: RunningServer, dir: string): Promise<void> {
  const data = Buffer.alloc(3 * MIB + 4096, 0x61); // the read-ahead reads a whole 1 MiB
  fs.writeFileSync(path.join(dir, 'big'), data);
  const base = fdCount(srv.pid);
  const { c, root } = await connect(srv);
  const n = c.maxIo;
  // One fid at a time: what stays is what the idle fids hold, not reads in flight.
  const results = await pipelined(300, 1, async () => {
    const fid = (await c.walk(root, ['big'])).fid as number;
    await c.lopen(fid, P9_DOTL_RDONLY);
    await c.read(fid, 0n, n);
    await c.read(fid, BigInt(n), n);
  });
  await settle(500);
  console.log(`  300 fids opened, read twice (${n} bytes), left idle: ${tally(results)}`);
  report(srv, 'with 300 idle open fids');
  console.log(`  second client: ${await secondClient(srv, 'big', data)}`);
  c.conn.destroy();
  await released(srv, base);
  report(srv, 'after the connection closed');
}

async function openFlood(srv: RunningServer, count: number): Promise<{ c: Client; results: PromiseSettledResult<void>[] }> {
  const { c, root } = await connect(srv);
  const results = await pipelined(count, 500, async () => {
    const fid = (await c.walk(root, ['f'])).fid as number;
    try {
      await c.lopen(fid, P9_DOTL_RDONLY);
    } catch (e) {
      await c.clunk(fid).catch(() => undefined);
      throw e;
    }
  });
  return { c, results };
}

async function openfiles(srv: RunningServer, dir: string): Promise<void> {
  const small = Buffer.from('small file\n');
  fs.writeFileSync(path.join(dir, 'f'), small);
  const base = fdCount(srv.pid);
  const one = await openFlood(srv, 25_000).catch((e: unknown) => e as Error);
  if (one instanceof Error) console.log(`  the flood connection failed: ${one.message}`);
  else console.log(`  one connection, 25,000 × Tlopen: ${tally(one.results)}`);
  report(srv, 'one connection flooding');
  console.log(`  second client: ${await secondClient(srv, 'f', small)}`);
  if (!(one instanceof Error)) one.c.conn.destroy();
  await released(srv, base);
  report(srv, 'after it closed');
  const many: Client[] = [];
  const lines: string[] = [];
  for (let k = 0; k < 6; k++) {
    const r = await openFlood(srv, 5_000).catch((e: unknown) => e as Error);
    if (r instanceof Error) lines.push(`connection ${k + 1}: ${r.message}`);
    else {
      many.push(r.c);
      lines.push(`connection ${k + 1}: ${tally(r.results)}`);
    }
  }
  console.log(`  six connections, 5,000 × Tlopen each:\n    ${lines.join('\n    ')}`);
  report(srv, 'six connections flooding');
  console.log(`  second client: ${await secondClient(srv, 'f', small)}`);
  for (const c of many) c.conn.destroy();
  await released(srv, base);
  report(srv, 'after they closed');
}

async function halfframes(srv: RunningServer, dir: string, frameTimeout: number): Promise<void> {
  const small = Buffer.from('small file\n');
  fs.writeFileSync(path.join(dir, 'f'), small);
  const base = fdCount(srv.pid);
  const socks: net.Socket[] = [];
  let closed = 0;
  const header = Buffer.alloc(MIB / 2);
  header.writeUInt32LE(MIB, 0); // a 1 MiB frame, of which half is sent
  header[4] = 118; // Twrite
  for (let i = 0; i < 300; i++) {
    const s = net.connect(srv.port, srv.host);
    s.on('error', () => undefined);
    s.once('close', () => closed++);
    s.on('data', () => undefined);
    await new Promise<void>((resolve) => {
      s.once('connect', resolve);
      s.once('close', resolve);
    });
    s.write(encode(dialect9P2000L, NOTAG, { type: 'Tversion', msize: MIB, version: '9P2000.L' }));
    s.write(header);
    socks.push(s);
  }
  await settle(3000);
  console.log(`  300 connections sent Tversion and half a frame: ${closed} closed by the server so far`);
  report(srv, 'holding the half frames');
  console.log(`  second client: ${await secondClient(srv, 'f', small)}`);
  const wait = frameTimeout + 3000;
  await settle(wait);
  console.log(`  ${wait / 1000} s later: ${closed} of 300 closed by the server`);
  report(srv, `${wait / 1000} s later`);
  console.log(`  second client: ${await secondClient(srv, 'f', small)}`);
  for (const s of socks) s.destroy();
  await released(srv, base);
  report(srv, 'after the client closed them all');
}

async function main(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const names = (dash < 0 ? argv : argv.slice(0, dash)) as Case[];
  const flags = dash < 0 ? [] : argv.slice(dash + 1);
  const bad = names.filter((n) => !CASES.includes(n));
  if (bad.length > 0) {
    console.error(`ninep-limits: unknown case ${bad.join(', ')} (${CASES.join(', ')})`);
    return 2;
  }
  const fi = flags.indexOf('--frame-timeout');
  const frameTimeout = fi >= 0 ? Number(flags[fi + 1]) : 30_000;
  console.log(`process descriptor limit here: ${/^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1]}; serve flags: ${flags.join(' ') || '(defaults)'}`);
  for (const name of names.length > 0 ? names : CASES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-limits-'));
    const srv = await startHumbridge(dir, flags);
    try {
      console.log(`\n== ${name}`);
      await settle(300);
      report(srv, 'server started');
      if (name === 'xattr') await xattr(srv, dir);
      else if (name === 'readahead') await readahead(srv, dir);
      else if (name === 'openfiles') await openfiles(srv, dir);
      else await halfframes(srv, dir, frameTimeout);
      const warned = srv.stderr().split('\n').filter((l) => /warn/.test(l));
      if (warned.length > 0) console.log(`  server warnings: ${warned.length}, e.g. ${warned[0]}`);
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
