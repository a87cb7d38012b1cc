// Shared by the cow tests: a base tree and a layer made by hand in the
// overlayfs upper format (whiteouts are `mknod X c 0 0`, opaque directories
// carry user.overlay.opaque=y), the same changes made directly on a copy of
// the base (what a guest sees), and the real CLI in a child process.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setAttributeSync } from 'fs-xattr';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist/tools/humbridge.js');
export const HUMFSIFY = path.join(ROOT, 'dist/tools/humfsify.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `humbridge ...` in a child, with its own registry folder. */
export function cow(state: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, 'cow', ...args], {
    encoding: 'utf8',
    cwd: '/',
    timeout: 60_000,
    env: { ...process.env, XDG_STATE_HOME: state },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `humbridge cow ...` started in the background (to be killed part way). */
export function cowChild(state: string, env: Record<string, string>, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, 'cow', ...args], { cwd: '/', stdio: 'ignore', env: { ...process.env, XDG_STATE_HOME: state, ...env } });
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hb-cow-${tag}-`));
}

/** A fixed time per path (and kind), with a microsecond fraction, so two builds agree. */
export function stampOf(rel: string, kind: 'base' | 'layer'): number {
  const h = createHash('sha256').update(`${kind}:${rel}`).digest().readUInt32BE(0);
  return 1_600_000_000 + (h % 10_000_000) + ((h % 999_983) + 0.5) / 1e6;
}

export function stamp(root: string, rel: string, t: number): void {
  fs.lutimesSync(rel === '' ? root : path.join(root, rel), t, t);
}

/** `to` gets the times of `from`, to the microsecond (all Node can set). */
export function sameTimes(from: string, to: string): void {
  const st = fs.lstatSync(from, { bigint: true });
  const secs = (ns: bigint) => (Number(ns / 1000n) + 0.5) / 1e6;
  fs.lutimesSync(to, secs(st.atimeNs), secs(st.mtimeNs));
}

function allPaths(root: string, rel = ''): string[] {
  const p = rel === '' ? root : path.join(root, rel);
  const out = [rel];
  if (fs.lstatSync(p).isDirectory()) for (const n of fs.readdirSync(p).sort()) out.push(...allPaths(root, rel === '' ? n : `${rel}/${n}`));
  return out;
}

function mknod(p: string, ...spec: string[]): void {
  const r = spawnSync('mknod', [p, ...spec], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mknod ${p}: ${r.stderr}`);
}

export function whiteout(p: string): void {
  mknod(p, 'c', '0', '0');
}

export function makeOpaque(p: string): void {
  setAttributeSync(p, 'user.overlay.opaque', 'y');
}

function bigContent(): Buffer {
  const b = Buffer.alloc(256 * 1024);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7919) & 0xff;
  return b;
}

/** A base tree with a bit of everything; every entry's times fixed. */
export function makeBase(base: string): void {
  const w = (rel: string, text: string | Buffer) => fs.writeFileSync(path.join(base, rel), text);
  const d = (rel: string, mode = 0o755) => {
    fs.mkdirSync(path.join(base, rel), { recursive: true });
    fs.chmodSync(path.join(base, rel), mode);
  };
  fs.mkdirSync(base, { recursive: true });
  w('a.txt', 'alpha');
  w('b.txt', 'bravo');
  d('sub', 0o750);
  setAttributeSync(path.join(base, 'sub'), 'user.dirnote', 'base');
  w('sub/mode.txt', 'mode');
  w('sub/keep.txt', 'keep');
  w('sub/hl-a', 'base link');
  fs.linkSync(path.join(base, 'sub/hl-a'), path.join(base, 'sub/hl-b'));
  d('olddir/x');
  w('olddir/x/y.txt', 'y');
  d('opq');
  w('opq/old1', 'o1');
  w('opq/old2', 'o2');
  d('dir2file');
  w('dir2file/z', 'z');
  w('file2dir', 'f2d');
  w('x.txt', 'x');
  setAttributeSync(path.join(base, 'x.txt'), 'user.t', 'one');
  fs.symlinkSync('a.txt', path.join(base, 'link'));
  mknod(path.join(base, 'fifo'), 'p');
  w('big.bin', bigContent());
  d('empty');
  for (const rel of allPaths(base)) stamp(base, rel, stampOf(rel, 'base'));
}

/** The changes, made by hand as a layer's upper tree on `base`. */
export function fillUpper(upper: string, base: string): void {
  const u = (rel: string) => path.join(upper, rel);
  const copyAttrs = (rel: string) => {
    fs.chmodSync(u(rel), fs.lstatSync(path.join(base, rel)).mode & 0o7777);
    sameTimes(path.join(base, rel), u(rel));
  };
  fs.writeFileSync(u('a.txt'), 'ALPHA, changed');
  whiteout(u('b.txt'));
  fs.mkdirSync(u('sub'));
  copyAttrs('sub');
  setAttributeSync(u('sub'), 'user.dirnote', 'base');
  fs.copyFileSync(path.join(base, 'sub/mode.txt'), u('sub/mode.txt'));
  copyAttrs('sub/mode.txt');
  fs.chmodSync(u('sub/mode.txt'), 0o600);
  fs.writeFileSync(u('sub/new.txt'), 'new');
  whiteout(u('olddir'));
  fs.mkdirSync(u('opq'));
  makeOpaque(u('opq'));
  fs.writeFileSync(u('opq/new1'), 'n1');
  fs.writeFileSync(u('dir2file'), 'was a directory');
  fs.mkdirSync(u('file2dir'));
  fs.writeFileSync(u('file2dir/child'), 'c');
  fs.copyFileSync(path.join(base, 'x.txt'), u('x.txt'));
  copyAttrs('x.txt');
  setAttributeSync(u('x.txt'), 'user.t', 'two');
  fs.symlinkSync('sub/keep.txt', u('link'));
  fs.writeFileSync(u('hl1'), 'linked');
  fs.mkdirSync(u('newdir/deep'), { recursive: true });
  fs.linkSync(u('hl1'), u('newdir/hl2'));
  fs.writeFileSync(u('newdir/deep/f'), 'deep');
  const big = bigContent();
  big[100_000] = 0;
  fs.writeFileSync(u('big.bin'), big);
  mknod(u('newfifo'), 'p');
  mknod(u('newdev'), 'c', '1', '3');
  stampLayer(upper, ['sub/mode.txt', 'x.txt']);
}

/** Fixes the times of every entry of the upper tree (whiteouts aside), but those in `keep`. */
function stampLayer(upper: string, keep: readonly string[]): void {
  for (const rel of allPaths(upper)) {
    const st = fs.lstatSync(rel === '' ? upper : path.join(upper, rel));
    if ((st.isCharacterDevice() && st.rdev === 0) || keep.includes(rel)) continue;
    stamp(upper, rel, stampOf(rel, 'layer'));
  }
}

/** The same changes made directly on `view` (a copy of the base): what a guest sees. */
export function applyToView(view: string, upper: string): void {
  const v = (rel: string) => path.join(view, rel);
  fs.writeFileSync(v('a.txt'), 'ALPHA, changed');
  fs.rmSync(v('b.txt'));
  fs.chmodSync(v('sub/mode.txt'), 0o600);
  fs.writeFileSync(v('sub/new.txt'), 'new');
  fs.rmSync(v('olddir'), { recursive: true });
  for (const n of fs.readdirSync(v('opq'))) fs.rmSync(v(`opq/${n}`), { recursive: true });
  fs.writeFileSync(v('opq/new1'), 'n1');
  fs.rmSync(v('dir2file'), { recursive: true });
  fs.writeFileSync(v('dir2file'), 'was a directory');
  fs.rmSync(v('file2dir'));
  fs.mkdirSync(v('file2dir'));
  fs.writeFileSync(v('file2dir/child'), 'c');
  setAttributeSync(v('x.txt'), 'user.t', 'two');
  fs.rmSync(v('link'));
  fs.symlinkSync('sub/keep.txt', v('link'));
  fs.writeFileSync(v('hl1'), 'linked');
  fs.mkdirSync(v('newdir/deep'), { recursive: true });
  fs.linkSync(v('hl1'), v('newdir/hl2'));
  fs.writeFileSync(v('newdir/deep/f'), 'deep');
  const fd = fs.openSync(v('big.bin'), 'r+');
  fs.writeSync(fd, Buffer.from([0]), 0, 1, 100_000);
  fs.closeSync(fd);
  mknod(v('newfifo'), 'p');
  mknod(v('newdev'), 'c', '1', '3');
  // The times the layer's entries carry (the layer keeps the directories' own).
  for (const rel of allPaths(upper)) {
    // A server's temporary name is not in the view.
    if (path.basename(rel).startsWith('.humbridge-cow-')) continue;
    const from = rel === '' ? upper : path.join(upper, rel);
    const st = fs.lstatSync(from);
    if (!(st.isCharacterDevice() && st.rdev === 0)) sameTimes(from, rel === '' ? view : v(rel));
  }
}

/** A base and a layer on it with the changes above, in `dir`. */
export function makeScenario(dir: string, state: string): { base: string; layer: string } {
  const base = path.join(dir, 'base');
  const layer = path.join(dir, 'layer');
  makeBase(base);
  const r = cow(state, 'new', '--base', base, layer);
  if (r.status !== 0) throw new Error(`cow new: ${r.stderr}`);
  fillUpper(path.join(layer, 'upper'), base);
  // The root's times: made by cow new, moved by the entries added since.
  stamp(path.join(layer, 'upper'), '', stampOf('', 'layer'));
  return { base, layer };
}

export function copyTree(from: string, to: string): void {
  const r = spawnSync('cp', ['-a', '--', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp -a: ${r.stderr}`);
}
