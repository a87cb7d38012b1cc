// What the humfs records cost against hostfs, through the Vfs: creating
// files (data entry + record) and an `ls -l`-like pass (readdir, then a
// lookup and a getattr per entry, each reading the record). Usage:
//   node dist/tools/bench/humfs-vs-hostfs.js [files=10000] [rounds=3]
// Each round makes a fresh export under os.tmpdir() and removes it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openExport } from '../../src/index.js';

const files = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 3);
const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const B = (s: string) => Buffer.from(s);

function humfsLayout(dir: string): void {
  for (const d of ['data', 'file_metadata', 'dir_metadata']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'dir_metadata/metadata'), `493 ${me.uid} ${me.gid}\n`);
  fs.writeFileSync(path.join(dir, 'superblock'), `version 2\nmetadata shadow_fs\nused 0\ntotal ${1n << 40n}\n`);
}

async function round(mode: 'hostfs' | 'humfs'): Promise<{ create: number; ls: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-bench-'));
  if (mode === 'humfs') humfsLayout(dir);
  const vfs = await openExport({ path: dir, mode });
  try {
    const d = await vfs.mkdir(me, vfs.root, B('d'), 0o755);
    let t = process.hrtime.bigint();
    for (let i = 0; i < files; i++) {
      const { entry, handle } = await vfs.create(me, d.id, B(`f${i}`), 0o101, 0o644);
      await vfs.release(handle);
      vfs.forget(entry.id, 1);
    }
    const create = files / (Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    const h = await vfs.opendir(me, d.id);
    let seen = 0;
    for (let cookie = 0n; ; ) {
      const batch = await vfs.readdir(h, cookie, 1000);
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.name.equals(B('.')) || e.name.equals(B('..'))) continue;
        const x = await vfs.lookup(me, d.id, e.name);
        await vfs.getattr(x.id);
        vfs.forget(x.id, 1);
        seen++;
      }
      cookie = (batch[batch.length - 1] as { cookie: bigint }).cookie;
    }
    await vfs.releasedir(h);
    return { create, ls: seen / (Number(process.hrtime.bigint() - t) / 1e9) };
  } finally {
    await vfs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (let r = 0; r < rounds; r++) {
  for (const mode of ['hostfs', 'humfs'] as const) {
    const m = await round(mode);
    console.log(`${mode.padEnd(7)} create ${Math.round(m.create).toString().padStart(6)}/s   readdir+lookup+getattr ${Math.round(m.ls).toString().padStart(6)} entries/s`);
  }
}
