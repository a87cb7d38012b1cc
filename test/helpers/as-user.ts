// Runs a node script of this checkout as another user (the tests run as
// root and drop to, say, 65534). The checkout may live where that user
// cannot enter (a clone in /root, mode 0700), so the child runs from a
// world-readable copy of what it needs: dist/, package.json (which makes
// dist ES modules), the native addon, and the packages it imports (the runtime dependencies
// and uvu, with theirs). The copy is made once per process in a fresh temp
// folder and removed when the process exits.
//
// Under c8 the child writes its coverage into a world-writable folder of
// the copy (it may not write into c8's, which belongs to root); at exit the
// files are handed to c8 with the copy's file URLs turned back into the
// checkout's, so c8 maps them onto the real dist/ and its source maps.

import { spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needRoot, type Missing } from './gate.js';

export interface User {
  uid: number;
  gid: number;
}

/** nobody:nogroup on Debian. */
export const NOBODY: User = { uid: 65534, gid: 65534 };

/** The checkout (this file runs as dist/test/helpers/as-user.js). */
const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Why this process cannot start children as another user, or undefined. */
export function asUserMissing(): Missing {
  return needRoot('start a child process as another user');
}

let copyRoot: string | undefined;

/** `rel` (a path in the checkout, e.g. 'dist/tools/humfsify.js') inside the readable copy, made on first use. */
export function readablePath(rel: string): string {
  copyRoot ??= makeCopy();
  return path.join(copyRoot, rel);
}

/** `base` for a child of another user: its coverage goes to the copy's folder (none outside c8). */
export function asUserEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env['NODE_V8_COVERAGE'];
  if (process.env['NODE_V8_COVERAGE'] !== undefined) env['NODE_V8_COVERAGE'] = readablePath('coverage');
  return env;
}

/** Spawns `node <copy>/<rel> ...args` as `user` (cwd '/' unless given). */
export function spawnNodeAs(user: User, rel: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [readablePath(rel), ...args], { cwd: '/', ...options, env: asUserEnv(options.env), uid: user.uid, gid: user.gid });
}

/** spawnSync of `node <copy>/<rel> ...args` as `user` (cwd '/' unless given), output as text. */
export function spawnNodeAsSync(user: User, rel: string, args: readonly string[], options: SpawnSyncOptions = {}) {
  return spawnSync(process.execPath, [readablePath(rel), ...args], {
    cwd: '/',
    ...options,
    encoding: 'utf8',
    env: asUserEnv(options.env),
    uid: user.uid,
    gid: user.gid,
  });
}

export interface SuiteRun {
  code: number | null;
  /** stdout and stderr, colour codes removed. */
  out: string;
  total: number;
  passed: number;
  skipped: number;
}

/**
 * Runs the uvu test file `rel` (e.g. 'dist/test/src/core.test.js') as
 * `user` and reads uvu's summary. HUMBRIDGE_REQUIRE_ALL is not passed on:
 * cases that need root are meant to skip in such a run.
 */
export async function runTestFileAs(user: User, rel: string): Promise<SuiteRun> {
  const env = { ...process.env };
  delete env['HUMBRIDGE_REQUIRE_ALL'];
  const child = spawnNodeAs(user, rel, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label: string): number => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? -1);
  return { code, out: plain, total: num('Total'), passed: num('Passed'), skipped: num('Skipped') };
}

function makeCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-as-user-'));
  process.on('exit', () => {
    try {
      handOverCoverage(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  fs.cpSync(path.join(checkout, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(checkout, 'package.json'), path.join(dir, 'package.json'));
  // The native addon, where dist/native/index.js looks for it (when it was built).
  const addon = path.join('native', 'build', 'Release', 'humbridge_native.node');
  if (fs.existsSync(path.join(checkout, addon))) {
    fs.mkdirSync(path.join(dir, path.dirname(addon)), { recursive: true });
    fs.copyFileSync(path.join(checkout, addon), path.join(dir, addon));
  }
  for (const name of packageClosure()) {
    fs.cpSync(path.join(checkout, 'node_modules', name), path.join(dir, 'node_modules', name), { recursive: true, dereference: true });
  }
  fs.mkdirSync(path.join(dir, 'coverage'));
  openUp(dir);
  fs.chmodSync(path.join(dir, 'coverage'), 0o1777);
  return dir;
}

/** The runtime dependencies and uvu, with everything they depend on. */
function packageClosure(): Set<string> {
  const deps = (pkgDir: string): string[] => {
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
  };
  const seen = new Set<string>();
  const todo = ['uvu', ...deps(checkout)];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    const dir = path.join(checkout, 'node_modules', name);
    if (seen.has(name) || !fs.existsSync(dir)) continue;
    seen.add(name);
    todo.push(...deps(dir));
  }
  return seen;
}

/** Everything readable (and searchable) by all, whatever the umask of the checkout was. */
function openUp(p: string): void {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    fs.chmodSync(p, 0o755);
    for (const name of fs.readdirSync(p)) openUp(path.join(p, name));
  } else {
    fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/** Moves the children's coverage files into c8's folder, pointing at the checkout instead of the copy. */
function handOverCoverage(dir: string): void {
  const target = process.env['NODE_V8_COVERAGE'];
  if (target === undefined) return;
  const from = pathToFileURL(dir).href + '/';
  const to = pathToFileURL(checkout).href + '/';
  const folder = path.join(dir, 'coverage');
  for (const name of fs.readdirSync(folder)) {
    const text = fs.readFileSync(path.join(folder, name), 'utf8');
    fs.writeFileSync(path.join(target, `as-user-${name}`), text.split(from).join(to));
  }
}
