#!/usr/bin/env node
// Runs the uvu suite under c8 (coverage summary and thresholds from .c8rc.json)
// and ends with one plain line "N passed, N failed, N skipped" that any CI log
// reader understands. `--no-coverage` skips c8; `--guest` runs the guest suite.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const guest = args.includes('--guest');
const dir = guest ? 'dist/test/guest' : 'dist/test';
const pattern = guest ? '\\.guest\\.js$' : '\\.test\\.js$';
const uvu = [bin('uvu'), dir, pattern];
const cmd = args.includes('--no-coverage') || guest ? uvu : [bin('c8'), ...uvu];

const child = spawn(cmd[0], cmd.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  out += chunk.toString('utf8');
  if (out.length > 1 << 20) out = out.slice(-(1 << 16));
});
child.on('close', (code, signal) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => {
    const m = [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].pop();
    return m ? Number(m[1]) : 0;
  };
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  const failed = Math.max(0, total - passed - skipped) + (code !== 0 && total === passed + skipped ? 1 : 0);
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  process.exit(signal ? 1 : code ?? 1);
});
