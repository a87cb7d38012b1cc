// The tree the humfsify case converts, and a digest of what a conversion
// wrote, to check that humbridge's humfsify and the Perl original (Debian
// uml-utilities) leave the same layout.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same tree. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function run(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
}

/** An ordinary tree (what the original handles: plain names, no special bits, small device numbers). */
export function buildTree(data: string, n: number): void {
  const r = rng(42);
  const owners: Array<[number, number]> = [[0, 0], [1000, 1000], [65534, 65534], [33, 33], [0, 42]];
  const fileModes = [0o644, 0o600, 0o640, 0o755, 0o444, 0o664];
  const dirs = [data];
  const files: string[] = [];
  const devices: Array<[string, string, number, number, number]> = [];
  fs.mkdirSync(data, { recursive: true });
  for (let i = 1; i < n; i++) {
    // About 20 entries per directory, spread over the tree.
    const parent = dirs[Math.floor(r() * dirs.length)] as string;
    const p = path.join(parent, `e${i}`);
    const [uid, gid] = owners[Math.floor(r() * owners.length)] as [number, number];
    const k = r();
    if (k < 0.05) {
      fs.mkdirSync(p, { mode: 0o755 });
      dirs.push(p);
    } else if (k < 0.85) {
      fs.writeFileSync(p, 'x'.repeat(Math.floor(r() * 200)), { mode: fileModes[Math.floor(r() * fileModes.length)] as number });
      files.push(p);
    } else if (k < 0.93) {
      fs.symlinkSync(`../target${i % 7}`, p);
    } else if (k < 0.97 && files.length > 0) {
      fs.linkSync(files[Math.floor(r() * files.length)] as string, p);
      continue;
    } else if (k < 0.99) {
      devices.push([p, r() < 0.5 ? 'c' : 'b', Math.floor(r() * 255), Math.floor(r() * 255), 0o660]);
      continue;
    } else {
      devices.push([p, 'p', 0, 0, 0o644]);
      continue;
    }
    fs.lchownSync(p, uid, gid);
  }
  // mknod(1) takes many names of one kind only one at a time: one call each, few of them.
  for (const [p, type, ma, mi, mode] of devices) {
    run('mknod', type === 'p' ? [p, 'p'] : [p, type, String(ma), String(mi)]);
    fs.chmodSync(p, mode);
  }
}

/** A digest of a layout: every metadata path, kind, owner, link count and contents; and the superblock. */
export function layoutDigest(dir: string): string {
  const h = crypto.createHash('sha256');
  const visit = (rel: string): void => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    h.update(`${rel}\0${st.isDirectory() ? 'd' : 'f'}\0${st.uid}:${st.gid}\0${st.isDirectory() ? 0 : st.nlink}\0`);
    if (st.isDirectory()) for (const name of fs.readdirSync(abs).sort()) visit(path.join(rel, name));
    else h.update(fs.readFileSync(abs));
  };
  visit('file_metadata');
  visit('dir_metadata');
  h.update(fs.readFileSync(path.join(dir, 'superblock')));
  return h.digest('hex');
}

