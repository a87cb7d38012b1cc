// What the watcher buys a FUSE mount: stat and read rates of a warm tree
// with the watcher on (60 s entry/attr timeouts, kept page cache, host edits
// arriving as invalidations) against timeouts of zero without it, and the
// time from a host edit (a rename over the file, as an editor saves) to the
// mount showing it. Needs root and /dev/fuse. Every use of the mount is a
// child process (a FUSE server must not touch its own mount).
// Usage: node dist/tools/bench/fuse-watch.js [files=1000] [rounds=5]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openExport, nullLogger } from '../../src/index.js';
import { mountFuse } from '../../fuse/mount.js';

const files = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const SIZE = 16 * 1024;
const EDITS = 20;

/** Runs `code` (CommonJS, argv[1] = the mount) in a node child started in /; its stdout. */
function child(code: string, mnt: string, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', code, mnt], { cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (onLine) for (const l of d.toString().split('\n')) if (l !== '') onLine(l);
    });
    c.on('error', reject);
    c.on('close', () => resolve(out));
    if (onLine === undefined) c.stdin.end();
    else (globalThis as { benchStdin?: NodeJS.WritableStream }).benchStdin = c.stdin;
  });
}

const RATES = `
const fs = require('fs'); const path = require('path'); const dir = process.argv[1];
const names = fs.readdirSync(dir).filter((n) => n.startsWith('f')).map((n) => path.join(dir, n));
const buf = Buffer.alloc(${SIZE});
for (const n of names) { fs.statSync(n); fs.readFileSync(n); }
let t = process.hrtime.bigint();
for (let r = 0; r < ${rounds}; r++) for (const n of names) fs.statSync(n);
const stat = (names.length * ${rounds}) / (Number(process.hrtime.bigint() - t) / 1e9);
t = process.hrtime.bigint();
for (let r = 0; r < ${rounds}; r++) for (const n of names) { const fd = fs.openSync(n, 'r'); fs.readSync(fd, buf, 0, buf.length, 0); fs.closeSync(fd); }
const read = (names.length * ${rounds}) / (Number(process.hrtime.bigint() - t) / 1e9);
process.stdout.write(JSON.stringify({ stat, read }));
`;

// Reads edit.txt until it shows the version asked on stdin; prints when (ms, wall clock).
const WATCHER = `
const fs = require('fs'); const f = require('path').join(process.argv[1], 'edit.txt');
process.stdout.write('ready\\n');
process.stdin.on('data', (d) => {
  const want = d.toString().trim(); if (want === '') return;
  for (;;) { let got = ''; try { got = fs.readFileSync(f, 'latin1'); } catch {} if (got === want) break; }
  process.stdout.write('seen ' + (performance.timeOrigin + performance.now()) + '\\n');
});
`;

async function latency(dir: string, mnt: string): Promise<number[]> {
  const seen: number[] = [];
  let ready = (): void => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  let next = (_t: number): void => undefined;
  const done = child(WATCHER, mnt, (line) => {
    if (line === 'ready') ready();
    else if (line.startsWith('seen ')) next(Number(line.slice(5)));
  });
  await isReady;
  const stdin = (globalThis as { benchStdin?: NodeJS.WritableStream }).benchStdin as NodeJS.WritableStream;
  const out: number[] = [];
  for (let i = 1; i <= EDITS; i++) {
    const want = `version ${i}`;
    const got = new Promise<number>((r) => (next = r));
    stdin.write(`${want}\n`);
    await new Promise((r) => setTimeout(r, 50));
    const at = performance.timeOrigin + performance.now();
    fs.writeFileSync(path.join(dir, '.edit.tmp'), want);
    fs.renameSync(path.join(dir, '.edit.tmp'), path.join(dir, 'edit.txt'));
    out.push((await got) - at);
  }
  stdin.end();
  await done;
  void seen;
  return out.sort((a, b) => a - b);
}

async function measure(label: string, dir: string, mnt: string, watch: boolean): Promise<void> {
  const vfs = await openExport({ path: dir, watch });
  const m = await mountFuse(vfs, mnt, { log: nullLogger, ...(watch ? {} : { entryTimeout: 0, attrTimeout: 0 }) });
  try {
    const r = JSON.parse(await child(RATES, mnt)) as { stat: number; read: number };
    // Requests that reached the server (the cache's effect, less noisy than rates on a busy machine).
    let requests = 0;
    for (const [op, n] of m.session.counts) if (op !== 'INIT') requests += n;
    const lat = await latency(dir, mnt);
    const med = lat[lat.length >> 1] ?? NaN;
    const max = lat[lat.length - 1] ?? NaN;
    console.log(`${label.padEnd(38)} ${Math.round(r.stat).toString().padStart(7)} ${Math.round(r.read).toString().padStart(11)} ${String(requests).padStart(9)}   ${med.toFixed(1).padStart(6)} / ${max.toFixed(1).padStart(6)}`);
  } finally {
    await m.unmount();
    await vfs.close();
  }
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-fuse-watch-bench-'));
  const dir = path.join(base, 'export');
  const mnt = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.mkdirSync(mnt);
  try {
    const data = Buffer.alloc(SIZE, 0x61);
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, `f${i}`), data);
    fs.writeFileSync(path.join(dir, 'edit.txt'), 'version 0');
    console.log(`${files} files of ${SIZE / 1024} KiB, ${rounds} warm rounds; edit = rename over a file, ${EDITS} times`);
    console.log(`${'mount'.padEnd(38)} ${'stat/s'.padStart(7)} ${'open+read/s'.padStart(11)} ${'requests'.padStart(9)}   edit->seen ms median / max`);
    await measure('watch on, 60 s timeouts, keep_cache', dir, mnt, true);
    await measure('watch off, timeouts 0', dir, mnt, false);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
