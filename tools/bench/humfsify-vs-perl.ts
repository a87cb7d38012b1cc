// Times humbridge's humfsify against the original Perl one (Debian
// uml-utilities, /usr/bin/humfsify) on the same tree, and checks that both
// wrote the same metadata and superblock.
//
//   node dist/tools/bench/humfsify-vs-perl.js [--entries N] [--dir DIR] [--keep] [--json] [--ours-only]
//
// Builds an "ordinary" tree of N entries (default 100,000: directories,
// files with varied owners and modes, symlinks, hard links, device nodes,
// FIFOs) under the system temp dir, copies it with `cp -a`, runs
// `humfsify nobody nogroup 4G` with each (ours with --keep-devices, as the
// original leaves devices in place), compares the two layouts byte for
// byte, and prints both times and the ratio. Needs root (chown, mknod).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PERL = '/usr/bin/humfsify';
const ours = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../humfsify.js');

interface Args {
  entries: number;
  keep: boolean;
  json: boolean;
  /** Time only ours (for quick iterations; no ratio). */
  oursOnly: boolean;
  /** Where the trees go (default: the system temp dir). */
  dir: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { entries: 100_000, keep: false, json: false, oursOnly: false, dir: os.tmpdir() };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--entries') a.entries = Number(argv[++i]);
    else if (s === '--keep') a.keep = true;
    else if (s === '--json') a.json = true;
    else if (s === '--ours-only') a.oursOnly = true;
    else if (s === '--dir') a.dir = argv[++i] ?? '';
    else throw new Error(`unknown argument ${s} (--entries N, --dir DIR, --keep, --json, --ours-only)`);
  }
  if (!Number.isInteger(a.entries) || a.entries < 10) throw new Error('--entries needs a number >= 10');
  return a;
}

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

function run(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
}

/** An ordinary tree (what the original handles: plain names, no special bits, small device numbers). */
function buildTree(data: string, n: number): void {
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
function layoutDigest(dir: string): string {
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

function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(PERL) && !a.oursOnly) throw new Error(`${PERL} is missing (Debian package uml-utilities)`);
  if (process.getuid?.() !== 0) throw new Error('run as root (the trees hold files of other owners and device nodes)');
  const base = fs.mkdtempSync(path.join(a.dir, 'humfsify-bench-'));
  try {
    const perlDir = path.join(base, 'perl');
    const oursDir = path.join(base, 'ours');
    const build = timed(() => buildTree(path.join(perlDir, 'data'), a.entries));
    fs.mkdirSync(oursDir);
    run('cp', ['-a', path.join(perlDir, 'data'), oursDir]);
    // Drop caches would need privileges over the whole machine; instead warm both copies alike.
    run('du', ['-sk', 'data'], perlDir);
    run('du', ['-sk', 'data'], oursDir);
    const perlSecs = a.oursOnly ? NaN : timed(() => run(PERL, ['nobody', 'nogroup', '4G'], perlDir));
    const oursSecs = timed(() => run(process.execPath, [ours, '--keep-devices', 'nobody', 'nogroup', '4G'], oursDir));
    const same = a.oursOnly || layoutDigest(perlDir) === layoutDigest(oursDir);
    const result = {
      entries: a.entries,
      buildSecs: round(build),
      perlSecs: round(perlSecs),
      oursSecs: round(oursSecs),
      ratio: round(perlSecs / oursSecs),
      perlEntriesPerSec: Math.round(a.entries / perlSecs),
      oursEntriesPerSec: Math.round(a.entries / oursSecs),
      identicalLayout: same,
      cpus: os.cpus().length,
      node: process.version,
    };
    if (a.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `humfsify on ${a.entries} entries (${result.cpus} CPUs, node ${result.node}):\n` +
          `  Perl original: ${result.perlSecs} s (${result.perlEntriesPerSec} entries/s)\n` +
          `  humbridge:     ${result.oursSecs} s (${result.oursEntriesPerSec} entries/s)\n` +
          `  ratio:         ${result.ratio}x faster\n` +
          `  layouts:       ${same ? 'byte-identical' : 'DIFFERENT'}\n` +
          (a.keep ? `  trees kept in ${base}\n` : ''),
      );
    }
    if (!same) process.exitCode = 1;
  } finally {
    if (!a.keep) fs.rmSync(base, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main();
