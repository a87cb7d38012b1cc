// `npm run bench`: runs the benchmarks one after another, each as its own
// process (so one's memory and open files do not colour the next), and
// exits non-zero if any failed.
//
//   node dist/tools/bench/index.js            all of them
//   node dist/tools/bench/index.js NAME...    only these (see --list)
//   node dist/tools/bench/index.js --list
//
// Arguments after `--` go to every benchmark run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Bench {
  name: string;
  /** Compiled script next to this file. */
  script: string;
  about: string;
}

const BENCHES: readonly Bench[] = [
  { name: 'ninep-vs-diod', script: 'ninep-vs-diod.js', about: '9P server vs diod: diodcat of 1 GiB, diodls -l of 10,000 entries' },
  { name: 'ninep-small', script: 'ninep-small.js', about: '9P server vs diod: diodcat of 5,000 files of 4 KiB, four diodls -l at once' },
  { name: 'nodes-100k', script: 'nodes-100k.js', about: 'descriptors, memory and time for 100,000 live VFS nodes' },
  { name: 'dirs-locks', script: 'dirs-locks.js', about: 'one client listing a 50,000-entry directory through 300 handles, and 20,000 locks: server memory, CPU, another client\'s wait' },
  { name: 'humfs-vs-hostfs', script: 'humfs-vs-hostfs.js', about: 'humfs metadata layout against plain hostfs' },
  { name: 'humfsify-vs-perl', script: 'humfsify-vs-perl.js', about: 'humfsify against the Debian Perl original' },
  { name: 'fuse', script: 'fuse.js', about: 'FUSE mount vs native and bindfs: dd read (cold, warm) and write, create/stat/ls -l/unlink of 10,000 files' },
  { name: 'ninep-limits', script: 'ninep-limits.js', about: "what one 9P client can make the server hold: xattr, read-ahead, open-file and half-frame floods" },
];

const here = path.dirname(fileURLToPath(import.meta.url));

function run(b: Bench, extra: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, b.script), ...extra], { stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const names = dash < 0 ? argv : argv.slice(0, dash);
  const extra = dash < 0 ? [] : argv.slice(dash + 1);
  if (names.includes('--list')) {
    for (const b of BENCHES) process.stdout.write(`${b.name.padEnd(18)} ${b.about}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (try --list)\n`);
    return 2;
  }
  const chosen = names.length > 0 ? BENCHES.filter((b) => names.includes(b.name)) : BENCHES;
  let failed = 0;
  for (const b of chosen) {
    if (!fs.existsSync(path.join(here, b.script))) {
      process.stdout.write(`\n== ${b.name}: not built (${b.script} missing), skipped\n`);
      continue;
    }
    process.stdout.write(`\n== ${b.name}: ${b.about}\n`);
    const status = await run(b, extra);
    if (status !== 0) {
      failed++;
      process.stdout.write(`== ${b.name} failed (exit ${status})\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
