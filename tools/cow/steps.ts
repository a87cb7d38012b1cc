// One merge step, done so that doing it again after a partial run (a crash)
// ends in the same state. Every change to the target is a rename(2) into
// place from a scratch folder inside it (same filesystem): a reader, or a
// crash, sees a path either before or after its step, never half a file.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readXattrs } from './xattrs.js';
import { applyAttrs } from './attrs.js';
import { CowError } from './errors.js';
import type { Step } from './journal.js';

/** The scratch folder's name in the target's root. */
export const SCRATCH = '.humbridge-cow-merge';

export interface StepContext {
  /** The base as it was when the plan was made (the --into copy's source). */
  base: string;
  target: string;
  upper: string;
  /** Remakes the layer's upper tree, empty, on the merged base (in-place merges). */
  resetLayer(): void;
  /** Points the layer's manifest at the merged base (in-place merges). */
  updateManifest(): void;
}

function at(root: string, p: string): Buffer {
  return p.length === 0 ? Buffer.from(root) : Buffer.concat([Buffer.from(`${root}/`), Buffer.from(p, 'latin1')]);
}

function exists(p: Buffer | string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false }) !== undefined;
}

function run(program: string, args: string[], cwd?: string): void {
  const r = spawnSync(program, args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  if (r.error !== undefined) throw new CowError(`cannot run ${program}: ${r.error.message}`);
  if (r.status !== 0) throw new CowError(`${program} ${args.join(' ')} failed: ${r.stderr.trim() || `exit status ${r.status}`}`);
}

/** The folder holding `p` (a step path) in `root`. */
function parentIn(root: string, p: string): Buffer {
  return at(root, p.slice(0, Math.max(0, p.lastIndexOf('/'))));
}

function fsyncFile(p: Buffer): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

// A unix socket node made by a child that binds it, moves it aside so that
// closing does not unlink it, and moves it back (names relative: sun_path is short).
const MAKE_SOCKET = `const s=require('net').createServer();const fs=require('fs');const n=process.argv[1];
s.listen(n,()=>{fs.renameSync(n,n+'s');s.close(()=>fs.renameSync(n+'s',n));});`;

/**
 * A sparse file's copy stays sparse: blocks of zeros become holes (as
 * `cp --sparse=always`); the kernel's copy paths would write the zeros.
 */
function copySparse(from: Buffer, to: Buffer, size: bigint): void {
  const src = fs.openSync(from, 'r');
  try {
    const dst = fs.openSync(to, 'wx', 0o600);
    try {
      const buf = Buffer.alloc(1 << 16);
      let pos = 0;
      for (;;) {
        const n = fs.readSync(src, buf, 0, buf.length, pos);
        if (n === 0) break;
        if (buf.subarray(0, n).some((b) => b !== 0)) fs.writeSync(dst, buf, 0, n, pos);
        pos += n;
      }
      fs.ftruncateSync(dst, Number(size));
      fs.fsyncSync(dst);
    } finally {
      fs.closeSync(dst);
    }
  } finally {
    fs.closeSync(src);
  }
}

/** A new node at `tmp` like the layer's entry at `from` (contents, not attributes). */
function makeLike(from: Buffer, st: fs.BigIntStats, tmp: Buffer, scratch: string): void {
  if (st.isFile() && st.blocks * 512n < st.size) {
    copySparse(from, tmp, st.size);
  } else if (st.isFile()) {
    fs.copyFileSync(from, tmp, fs.constants.COPYFILE_FICLONE);
    fsyncFile(tmp);
  } else if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(from, { encoding: 'buffer' }), tmp);
  } else if (st.isSocket()) {
    run(process.execPath, ['-e', MAKE_SOCKET, path.basename(tmp.toString('latin1'))], scratch);
  } else {
    const rdev = Number(st.rdev);
    const kind = st.isFIFO() ? ['p'] : [st.isCharacterDevice() ? 'c' : 'b', String(Math.floor(rdev / 256) & 0xfff), String((rdev & 0xff) | ((rdev >> 12) & 0xfff00))];
    run('mknod', [tmp.toString(), ...kind]);
  }
}

/**
 * Runs step `i`; a step that changed a folder's entries fsyncs that folder,
 * so "done" in the progress log never gets ahead of the disk.
 */
export function runStep(s: Step, i: number, c: StepContext): void {
  doStep(s, i, c);
  if (s.op === 'remove' || s.op === 'mkdir' || s.op === 'copy' || s.op === 'link') fsyncFile(parentIn(c.target, s.p));
}

function doStep(s: Step, i: number, c: StepContext): void {
  const scratch = path.join(c.target, SCRATCH);
  const tmp = Buffer.from(path.join(scratch, `s${i}`));
  switch (s.op) {
    case 'clone': {
      if (exists(c.target)) return;
      const partial = `${c.target}.humbridge-partial`;
      fs.rmSync(partial, { recursive: true, force: true });
      run('cp', ['-a', '--', c.base, partial]);
      fs.renameSync(partial, c.target);
      return;
    }
    case 'scratch':
      fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
      return;
    case 'remove': {
      const p = at(c.target, s.p);
      if (exists(p)) fs.renameSync(p, tmp);
      fs.rmSync(tmp, { recursive: true, force: true });
      return;
    }
    case 'mkdir': {
      const p = at(c.target, s.p);
      if (!fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory()) fs.mkdirSync(p, 0o700);
      return;
    }
    case 'copy': {
      const from = at(c.upper, s.p);
      const st = fs.lstatSync(from, { bigint: true });
      fs.rmSync(tmp, { force: true });
      makeLike(from, st, tmp, scratch);
      applyAttrs(tmp, st, readXattrs(from, st));
      fs.renameSync(tmp, at(c.target, s.p));
      return;
    }
    case 'link': {
      fs.rmSync(tmp, { force: true });
      fs.linkSync(at(c.target, s.to), tmp);
      fs.renameSync(tmp, at(c.target, s.p));
      // rename(2) between two names of one inode does nothing: drop the extra name.
      fs.rmSync(tmp, { force: true });
      return;
    }
    case 'attrs': {
      const from = at(c.upper, s.p);
      const st = fs.lstatSync(from, { bigint: true });
      applyAttrs(at(c.target, s.p), st, readXattrs(from, st));
      return;
    }
    case 'unscratch':
      fs.rmSync(scratch, { recursive: true, force: true });
      return;
    case 'layer':
      c.resetLayer();
      return;
    case 'manifest':
      c.updateManifest();
      return;
  }
}
