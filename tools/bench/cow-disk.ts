// Disk used by copy-on-write layers: one base, ten layers, each changing a
// few files the way a guest does (a copy-up is a whole-file copy, then the
// change), adding one small file and deleting one (a whiteout). Prints du of
// the base and of each layer. Usage:
//   node dist/tools/bench/cow-disk.js [files=1000] [layers=10] [changed=3]
// Works under os.tmpdir() and removes what it made.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const files = Number(process.argv[2] ?? 1000);
const layers = Number(process.argv[3] ?? 10);
const changed = Number(process.argv[4] ?? 3);
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../humbridge.js');

/** A size between 1 KiB and 1 MiB, fixed per file number (about 200 KiB on average). */
function sizeOf(i: number): number {
  const x = Math.imul(i + 1, 2654435761) >>> 0;
  return 1024 + (x % (400 * 1024));
}

function duKiB(p: string): number {
  return Number(execFileSync('du', ['-sk', p], { encoding: 'utf8' }).split('\t')[0]);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cow-disk-'));
try {
  const base = path.join(dir, 'base');
  for (let i = 0; i < files; i++) {
    const sub = path.join(base, `d${i % 20}`);
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `f${i}`), Buffer.alloc(sizeOf(i), i & 0xff));
  }
  const env = { ...process.env, XDG_STATE_HOME: path.join(dir, 'state') };
  const rows: string[] = [];
  let total = 0;
  for (let l = 0; l < layers; l++) {
    const layer = path.join(dir, `layer${l}`);
    execFileSync(process.execPath, [CLI, 'cow', 'new', '--base', base, layer], { env, stdio: 'ignore' });
    const upper = path.join(layer, 'upper');
    let copied = 0;
    for (let c = 0; c < changed; c++) {
      const i = (l * 37 + c * 101) % files;
      const rel = `d${i % 20}/f${i}`;
      fs.mkdirSync(path.join(upper, `d${i % 20}`), { recursive: true });
      fs.copyFileSync(path.join(base, rel), path.join(upper, rel));
      fs.appendFileSync(path.join(upper, rel), `changed by guest ${l}\n`);
      copied += sizeOf(i);
    }
    fs.writeFileSync(path.join(upper, `new-in-${l}`), Buffer.alloc(4096, 1));
    const gone = (l * 53 + 7) % files;
    fs.mkdirSync(path.join(upper, `d${gone % 20}`), { recursive: true });
    execFileSync('mknod', [path.join(upper, `d${gone % 20}/f${gone}`), 'c', '0', '0']);
    const kib = duKiB(layer);
    total += kib;
    rows.push(`| layer ${l} | ${kib} | ${Math.round(copied / 1024)} |`);
  }
  const baseKiB = duKiB(base);
  process.stdout.write(`cow-disk: ${files} files in the base, ${layers} layers, each ${changed} files changed, 1 added (4 KiB), 1 deleted\n\n`);
  process.stdout.write('| tree | du KiB | KiB of the changed files |\n|---|---|---|\n');
  process.stdout.write(`| base | ${baseKiB} | |\n${rows.join('\n')}\n`);
  process.stdout.write(`| all ${layers} layers | ${total} | |\n\n`);
  process.stdout.write(`ten full copies would take ${layers * baseKiB} KiB; base + layers take ${baseKiB + total} KiB\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
