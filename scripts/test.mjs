#!/usr/bin/env node
// Runs the test suites and ends with one plain line "N passed, N failed, N skipped"
// that any CI log reader understands.
//
//   node scripts/test.mjs              unit + integration suite, then the guest suite, under c8
//   node scripts/test.mjs --unit       only dist/test/**/*.test.js
//   node scripts/test.mjs --guest      only dist/test/guest/**/*.guest.js (QEMU guests)
//   --no-coverage                      without c8
//
// c8 wraps the whole run (it also collects coverage from the humbridge
// processes the tests start), prints its summary and enforces .c8rc.json's
// thresholds; the inner run leaves its tallies in a file so the plain line
// comes last.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);

const SUITES = {
  unit: ['dist/test', '\\.test\\.js$'],
  guest: ['dist/test/guest', '\\.guest\\.js$'],
};

function run(cmd, argv, capture) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString('utf8');
      if (out.length > 1 << 20) out = out.slice(-(1 << 16));
    });
    child.on('close', (code, signal) => resolve({ code: signal ? 1 : (code ?? 1), out }));
  });
}

function tally(out, code) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => {
    const m = [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].pop();
    return m ? Number(m[1]) : 0;
  };
  // uvu's Total counts the cases that ran; the skipped ones are only under Skipped.
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  // A crash before uvu's summary (or after it) still counts as a failure.
  const failed = Math.max(0, total - passed) || (code !== 0 ? 1 : 0);
  return { passed, failed, skipped };
}

async function inner(suites, resultFile) {
  const sum = { passed: 0, failed: 0, skipped: 0 };
  let status = 0;
  for (const name of suites) {
    const [dir, pattern] = SUITES[name];
    process.stdout.write(`\n=== ${name} suite (${dir}) ===\n`);
    const { code, out } = await run(bin('uvu'), [dir, pattern], true);
    const t = tally(out, code);
    for (const k of Object.keys(sum)) sum[k] += t[k];
    if (code !== 0) status = 1;
  }
  fs.writeFileSync(resultFile, JSON.stringify(sum));
  return status;
}

const suites = args.includes('--unit') ? ['unit'] : args.includes('--guest') ? ['guest'] : ['unit', 'guest'];
const innerIdx = args.indexOf('--inner');
if (innerIdx >= 0) {
  process.exit(await inner(suites, args[innerIdx + 1]));
}

const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hb-test-')), 'tally.json');
const innerArgs = [fileURLToPath(import.meta.url), ...args.filter((a) => a !== '--no-coverage'), '--inner', resultFile];
const { code } = args.includes('--no-coverage')
  ? await run(process.execPath, innerArgs, false)
  : await run(bin('c8'), [process.execPath, ...innerArgs], false);
let sum = { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
try {
  sum = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  // c8's threshold check can fail a run whose tests all passed.
  if (code !== 0 && sum.failed === 0) {
    process.stdout.write('\ncoverage below the thresholds in .c8rc.json\n');
    sum.failed = 1;
  }
} catch {
  // The inner run died before writing its tally: counted as one failure above.
}
fs.rmSync(path.dirname(resultFile), { recursive: true, force: true });
process.stdout.write(`\n${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped\n`);
process.exit(code);
