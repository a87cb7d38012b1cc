// Which watcher keeps up with host edits for least: chokidar, Node's own
// fs.watch on every directory (inotify), @parcel/watcher, and humbridge's
// own (src/watch/, fs.watch on the directories a Vfs holds nodes for, here
// every directory looked up). Each runs in a child process over a tree of
// N entries (directories of 100): start-up time, RSS, inotify watches (from
// /proc/self/fdinfo) and the latency from an append on the host to the event,
// the median of 20.
// Usage:
//   node dist/tools/bench/watchers.js [entries=10000,100000] [kinds=fs-watch,chokidar,parcel,humbridge]
// chokidar and @parcel/watcher are measured only when installed
// (npm install --no-save chokidar @parcel/watcher).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openExport } from '../../src/index.js';

const PER_DIR = 100;
const EDITS = 20;
const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

interface Result {
  kind: string;
  startMs: number;
  rssMiB: number;
  watches: number;
  latencyMs: number;
}

function inotifyWatches(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      n += fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

function buildTree(entries: number): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-watch-bench-'));
  const dirs = Math.ceil(entries / PER_DIR);
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(base, `d${d}`);
    fs.mkdirSync(dir);
    for (let f = 1; f < PER_DIR; f++) fs.writeFileSync(path.join(dir, `f${f}`), '');
  }
  return base;
}

function allDirs(root: string): string[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const e of fs.readdirSync(out[i] as string, { withFileTypes: true })) if (e.isDirectory()) out.push(path.join(out[i] as string, e.name));
  }
  return out;
}

// The two packages are not dependencies (humbridge uses neither): what is used of them.
interface Chokidar {
  watch(root: string, o: { ignoreInitial: boolean }): {
    on(e: 'all', f: (event: string, p: string) => void): void;
    once(e: 'ready', f: () => void): void;
  };
}
interface Parcel {
  subscribe(root: string, f: (err: Error | null, events: { path: string }[]) => void): Promise<unknown>;
}

/** A package that may be absent; its name in a variable, so the compiler does not look for it. */
async function optional(name: string): Promise<unknown> {
  try {
    return await import(name);
  } catch {
    process.stdout.write(`${JSON.stringify({ error: `${name} is not installed (npm install --no-save ${name})` })}\n`);
    process.exit(0);
  }
}

/** Starts watcher `kind` on `root`; `onEvent` gets the changed path's base name. Resolves once it is ready. */
async function start(kind: string, root: string, onEvent: (name: string) => void): Promise<void> {
  if (kind === 'fs-watch') {
    for (const dir of allDirs(root)) fs.watch(dir, { persistent: false }, (_t, name) => onEvent(String(name)));
  } else if (kind === 'chokidar') {
    const chokidar = (await optional('chokidar')) as Chokidar;
    const w = chokidar.watch(root, { ignoreInitial: true });
    w.on('all', (_e: string, p: string) => onEvent(path.basename(p)));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  } else if (kind === 'parcel') {
    const parcel = (await optional('@parcel/watcher')) as Parcel;
    await parcel.subscribe(root, (_err, events) => {
      for (const e of events) onEvent(path.basename(e.path));
    });
  } else if (kind === 'humbridge') {
    const vfs = await openExport({ path: root, watch: true, maxWatches: 1_000_000 });
    vfs.onChange((c) => {
      if (c.kind === 'entry') onEvent(c.name.toString());
      else onEvent(`node:${c.node}`);
    });
    // Every directory looked up (and kept), as a client listing the whole tree would.
    const names = fs.readdirSync(root);
    for (const n of names) await vfs.lookup(me, vfs.root, Buffer.from(n));
    const f1 = await vfs.lookup(me, (await vfs.lookup(me, vfs.root, Buffer.from('d0'))).id, Buffer.from('f1'));
    watchedFile = `node:${f1.id}`;
  } else throw new Error(`unknown watcher ${kind}`);
}

/** What the humbridge watcher names d0/f1 by (its node). */
let watchedFile = 'f1';

async function child(kind: string, root: string): Promise<void> {
  let waiting: ((name: string) => void) | undefined;
  const t0 = process.hrtime.bigint();
  await start(kind, root, (name) => waiting?.(name));
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  global.gc?.();
  const rssMiB = process.memoryUsage().rss / 1048576;
  const watches = inotifyWatches();
  const target = path.join(root, 'd0', 'f1');
  const want = kind === 'humbridge' ? watchedFile : 'f1';
  const lat: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const seen = new Promise<number>((resolve) => {
      waiting = (name) => {
        if (name === want) resolve(Number(process.hrtime.bigint()));
      };
    });
    const at = Number(process.hrtime.bigint());
    fs.appendFileSync(target, 'x');
    const got = await Promise.race([seen, new Promise<number>((r) => setTimeout(() => r(NaN), 5000))]);
    lat.push((got - at) / 1e6);
  }
  lat.sort((a, b) => a - b);
  const r: Result = { kind, startMs, rssMiB, watches, latencyMs: lat[lat.length >> 1] ?? NaN };
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

function runChild(kind: string, root: string): Promise<Result | string> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', kind, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', () => {
      try {
        const r = JSON.parse(out.trim().split('\n').pop() ?? '') as Result | { error: string };
        resolve('error' in r ? r.error : r);
      } catch {
        resolve(err.split('\n')[0] ?? 'failed');
      }
    });
  });
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') return child(argv[1] as string, argv[2] as string);
  const sizes = (argv[0] ?? '10000,100000').split(',').map(Number);
  const kinds = (argv[1] ?? 'fs-watch,chokidar,parcel,humbridge').split(',');
  console.log('entries  watcher     start-up ms    RSS MiB  inotify watches  edit->event ms (median of 20)');
  for (const n of sizes) {
    const root = buildTree(n);
    try {
      for (const kind of kinds) {
        const r = await runChild(kind, root);
        if (typeof r === 'string') console.log(`${String(n).padStart(7)}  ${kind.padEnd(10)}  not measured: ${r}`);
        else
          console.log(
            `${String(n).padStart(7)}  ${kind.padEnd(10)}  ${r.startMs.toFixed(0).padStart(11)}  ${r.rssMiB.toFixed(1).padStart(9)}  ${String(r.watches).padStart(15)}  ${r.latencyMs.toFixed(2).padStart(10)}`,
          );
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

await main(process.argv.slice(2));
