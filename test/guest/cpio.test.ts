import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { concatInitramfs, cpioArchive } from './cpio.js';

const entries = [
  { kind: 'dir', name: 'run', mode: 0o700 },
  { kind: 'file', name: 'run/a.txt', data: 'hello' },
  { kind: 'file', name: '/run/bin', data: Buffer.from([0, 1, 2, 255, 0]), mode: 0o755 },
  { kind: 'symlink', name: 'run/link', target: 'a.txt' },
] as const;

test('every record starts on a 4-byte boundary and the archive ends with the trailer', () => {
  const a = cpioArchive(entries);
  assert.is(a.length % 4, 0);
  let at = 0;
  const names: string[] = [];
  while (at < a.length) {
    assert.is(a.toString('ascii', at, at + 6), '070701', `magic at ${at}`);
    const field = (i: number) => parseInt(a.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
    const size = field(6);
    const namesize = field(11);
    const name = a.toString('utf8', at + 110, at + 110 + namesize - 1);
    names.push(name);
    at += Math.ceil((110 + namesize) / 4) * 4;
    at += Math.ceil(size / 4) * 4;
    if (name === 'TRAILER!!!') break;
  }
  assert.equal(names, ['run', 'run/a.txt', 'run/bin', 'run/link', 'TRAILER!!!']);
  assert.is(at, a.length);
});

test('the system cpio unpacks what we write', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hb-cpio-'));
  try {
    execFileSync('cpio', ['-i', '-d', '--quiet'], { cwd: dir, input: cpioArchive(entries) });
    assert.is(readFileSync(path.join(dir, 'run/a.txt'), 'utf8'), 'hello');
    assert.equal([...readFileSync(path.join(dir, 'run/bin'))], [0, 1, 2, 255, 0]);
    assert.is(statSync(path.join(dir, 'run/bin')).mode & 0o777, 0o755);
    assert.is(readlinkSync(path.join(dir, 'run/link')), 'a.txt');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concatenated segments each start 4-aligned', () => {
  const one = Buffer.from('abcde');
  const two = cpioArchive([{ kind: 'file', name: 'x', data: 'y' }]);
  const all = concatInitramfs([one, two]);
  assert.is(all.indexOf('070701'), 8);
  assert.ok(all.subarray(5, 8).equals(Buffer.alloc(3)), 'zero padding between segments');
});

test.run();
