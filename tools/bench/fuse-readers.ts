// How many FUSE requests a root mount answers per second with N readers of
// /dev/fuse, sharing one descriptor or each on a clone (FUSE_DEV_IOC_CLONE),
// under a given UV_THREADPOOL_SIZE (set it in the environment: the pool
// size is fixed when the pool starts). Load: 4 child processes, each
// `cat`-ing its own 300 small files 3 times, passthrough off so every read
// is a request. Prints one JSON line. Run as root:
//   UV_THREADPOOL_SIZE=8 node dist/tools/bench/fuse-readers.js 4 clone
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { openExport, nullLogger } from '../../src/index.js';
import { mountFuse } from '../../fuse/mount.js';

const readers = Number(process.argv[2] ?? 2);
const clone = process.argv[3] === 'clone';
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-bench-readers-'));
const dir = path.join(base, 'export');
const mnt = path.join(base, 'mnt');
fs.mkdirSync(mnt);
for (let c = 0; c < 4; c++) {
  fs.mkdirSync(path.join(dir, `d${c}`), { recursive: true });
  for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(dir, `d${c}`, `f${i}`), Buffer.alloc(8192, i));
}
const vfs = await openExport({ path: dir, mode: 'hostfs' });
const m = await mountFuse(vfs, mnt, { log: nullLogger, readers, cloneReaders: clone, passthrough: false });
try {
  const run = (c: number): Promise<void> =>
    new Promise((resolve, reject) => {
      // Opens without FOPEN_KEEP_CACHE drop the file's page cache: every pass asks the server again.
      const script = `cd "$0" && for r in 1 2 3 4 5 6 7 8 9 10; do cat f* > /dev/null; stat f* > /dev/null; done`;
      const child = spawn('sh', ['-c', script, path.join(mnt, `d${c}`)], { cwd: '/', stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`load ${c} exit ${code}`))));
    });
  const before = [...m.session.counts.values()].reduce((a, b) => a + b, 0);
  const t0 = process.hrtime.bigint();
  await Promise.all([0, 1, 2, 3].map(run));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const requests = [...m.session.counts.values()].reduce((a, b) => a + b, 0) - before;
  console.log(JSON.stringify({ readers, clone, pool: Number(process.env['UV_THREADPOOL_SIZE'] ?? 4), requests, seconds: Number(s.toFixed(2)), perSecond: Math.round(requests / s) }));
} finally {
  await m.unmount();
  await vfs.close();
  fs.rmSync(base, { recursive: true, force: true });
}
