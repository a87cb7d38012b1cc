// `node dist/tools/bench/index.js` as a real process: a quick run of one
// small case writes BENCHMARKS.md (with its table row) and the SVG into
// --out; --list and a wrong name answer without measuring.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gated, needProgram } from '../helpers/gate.js';

const bench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/bench/index.js');

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bench, ...args], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('--list names every section and case; an unknown name exits 2 and writes nothing', async () => {
  const list = await runBench(['--list']);
  assert.is(list.code, 0);
  for (const name of ['ninep:', 'ninep-ls', 'guest-tree', 'fuse-read-1m-1j', 'fuse-git', 'humfsify-5k', 'memory-fids']) assert.ok(list.stdout.includes(name), name);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bench-cli-'));
  try {
    const bad = await runBench(['no-such-case', '--out', out]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /unknown section or case no-such-case/);
    assert.equal(fs.readdirSync(out), []);
    const few = await runBench(['--rounds', '3', 'ninep-ls', '--out', out]);
    assert.is(few.code, 2);
    assert.match(few.stderr, /at least 5/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

gated(test, 'a --quick run of diodls -l writes BENCHMARKS.md with its row and the SVG into --out', needProgram('diod', 'diod'), async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bench-cli-'));
  try {
    const r = await runBench(['--quick', 'ninep-ls', '--out', out]);
    assert.is(r.code, 0, r.stderr);
    const md = fs.readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8');
    assert.match(md, /## 9P: humbridge against diod/);
    assert.match(md, /\| `diodls -l` of 10,000 entries \| diod \| \d[\d.]* \| humbridge \| \d[\d.]* \| entries\/s \| \d[\d.]* \| >= 1\.0x \| (met|\*\*not met\*\*) \|/);
    assert.match(md, /- CPU: .*cores/);
    assert.not.match(md, /ninep-read/, 'only the named case ran');
    const svg = fs.readFileSync(path.join(out, 'benchmarks.svg'), 'utf8');
    assert.match(svg, /^<svg /);
    assert.ok(svg.includes('(humbridge vs diod)'));
    assert.not.match(r.stdout, /\r/, 'no progress line when stdout is not a terminal');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test.run();
