// The layer format is overlayfs's: the kernel's overlay of base + layer
// (mount -t overlay ... userxattr) shows what `cow merge` then writes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cow, makeScenario, tempDir } from './cow-helpers.js';
import { describeTree } from '../helpers/tree-compare.js';
import { gated, needRoot } from '../helpers/gate.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function sh(program: string, ...args: string[]): void {
  const r = spawnSync(program, args, { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: ${r.stderr}`);
}

gated(test, 'the merged base equals what mount -t overlay showed of base + layer', needRoot('mount an overlay'), () => {
  const dir = tempDir('ovl');
  dirs.push(dir);
  const state = path.join(dir, 'state');
  const { base, layer } = makeScenario(dir, state);
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  let seen: Map<string, string>;
  sh('mount', '-t', 'overlay', 'overlay', '-o', `ro,userxattr,lowerdir=${base},upperdir=${layer}/upper,workdir=${layer}/work`, mnt);
  try {
    // An overlay reports a lower file's own link count: links are compared by which names share an inode.
    seen = describeTree(mnt, { nlink: false });
  } finally {
    sh('umount', '-l', mnt);
  }
  assert.ok(seen.has('opq/new1') && !seen.has('opq/old1') && !seen.has('b.txt'), 'the overlay read the whiteouts and the opaque mark');
  const r = cow(state, 'merge', layer);
  assert.is(r.status, 0, r.stderr);
  const merged = describeTree(base, { nlink: false });
  const diffs = [...new Set([...seen.keys(), ...merged.keys()])].filter((k) => seen.get(k) !== merged.get(k)).map((k) => `/${k}:\n  overlay: ${seen.get(k)}\n  merged:  ${merged.get(k)}`);
  assert.equal(diffs, []);
});

test.run();
