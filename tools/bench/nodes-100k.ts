// Measures what 100,000 live nodes cost: builds a tree of 100,000 files
// (100 directories of 1,000), looks every file up through the Vfs (so every
// node stays referenced), and prints open descriptors, RSS and time before
// and after; then forgets every node (each file keeps only a remembered
// identity) and looks every file up again, counting NodeIds that changed.
// Usage:
//   node dist/tools/bench/nodes-100k.js [files=100000] [maxCachedFds=1024] [dir]
// The tree is made under os.tmpdir() (or `dir`) and removed afterwards.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openExport } from '../../src/index.js';

const files = Number(process.argv[2] ?? 100_000);
const maxCachedFds = Number(process.argv[3] ?? 1024);
const base = fs.mkdtempSync(path.join(process.argv[4] ?? os.tmpdir(), 'humbridge-bench-'));
const perDir = 1000;
const dirs = Math.ceil(files / perDir);
const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

const fds = () => fs.readdirSync('/proc/self/fd').length;
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const report = (label: string) => {
  const m = process.memoryUsage();
  console.log(`${label.padEnd(28)} fds ${String(fds()).padStart(6)}  rss ${mib(m.rss).padStart(10)}  heap ${mib(m.heapUsed).padStart(10)}`);
};

async function main(): Promise<void> {
  let t = process.hrtime.bigint();
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(base, `d${d}`);
    fs.mkdirSync(dir);
    for (let f = 0; f < perDir && d * perDir + f < files; f++) fs.writeFileSync(path.join(dir, `file-${f}`), '');
  }
  console.log(`tree: ${files} files in ${dirs} directories, built in ${ms(t)} ms; maxCachedFds ${maxCachedFds}`);
  global.gc?.();
  report('before openExport');
  const vfs = await openExport({ path: base, maxCachedFds });
  report('after openExport');
  t = process.hrtime.bigint();
  const ids: number[] = [];
  const dirIds: number[] = [];
  for (let d = 0; d < dirs; d++) {
    const dir = await vfs.lookup(me, vfs.root, Buffer.from(`d${d}`));
    dirIds.push(dir.id);
    for (let f = 0; f < perDir && d * perDir + f < files; f++) ids.push((await vfs.lookup(me, dir.id, Buffer.from(`file-${f}`))).id);
  }
  const lookupMs = ms(t);
  global.gc?.();
  report(`after ${ids.length} lookups`);
  console.log(`lookups: ${lookupMs} ms (${Math.round((ids.length / Number(lookupMs)) * 1000)}/s)`);
  t = process.hrtime.bigint();
  for (const id of ids) await vfs.getattr(id);
  const getattrMs = ms(t);
  report('after getattr of every node');
  console.log(`getattr of every node (most re-resolved): ${getattrMs} ms (${Math.round((ids.length / Number(getattrMs)) * 1000)}/s)`);
  for (const id of [...ids, ...dirIds]) vfs.forget(id, 1);
  global.gc?.();
  report('after forgetting every node');
  let changed = 0;
  let i = 0;
  for (let d = 0; d < dirs; d++) {
    const dir = await vfs.lookup(me, vfs.root, Buffer.from(`d${d}`));
    if (dir.id !== dirIds[d]) changed++;
    for (let f = 0; f < perDir && d * perDir + f < files; f++) {
      if ((await vfs.lookup(me, dir.id, Buffer.from(`file-${f}`))).id !== ids[i++]) changed++;
    }
  }
  report('after looking all up again');
  console.log(`NodeIds changed by forget + lookup: ${changed} of ${ids.length + dirIds.length}`);
  await vfs.close();
  global.gc?.();
  report('after close');
}

function ms(since: bigint): string {
  return (Number(process.hrtime.bigint() - since) / 1e6).toFixed(0);
}

main()
  .finally(() => fs.rmSync(base, { recursive: true, force: true }))
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
