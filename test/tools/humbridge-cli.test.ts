// The `humbridge` command as a user runs it: a real child process.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/tools/humbridge.js');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string; raw: Buffer } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'buffer', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

let dir = '';
test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-cli-'));
  fs.writeFileSync(path.join(dir, 'b file'), 'hello');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'inner'), 'x'.repeat(1234));
  fs.symlinkSync('/etc/passwd', path.join(dir, 'a-link'));
  fs.writeFileSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff, 0x0a])]), '');
  fs.chmodSync(path.join(dir, 'sub'), 0o2755);
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--help and --version exit 0 and say what they should', () => {
  const help = run('--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, /Usage:/);
  assert.match(help.stdout, /--readonly/);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const v = run('--version');
  assert.is(v.status, 0);
  assert.is(v.stdout.trim(), `humbridge ${pkg.version}`);
});

test('bad usage gives a clear message and exit status 2', () => {
  for (const [args, re] of [
    [['--bogus'], /unknown option --bogus/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /no command given/],
    [['ls'], /ls needs an EXPORT/],
    [['ls', '/nonexistent/humbridge'], /no such directory/],
    [['ls', dir, '--max-cached-fds', 'lots'], /not a whole number/],
    [['ls', dir, '--max-cached-fds', '3'], /maxCachedFds/],
    [['ls', dir, '--max-remembered-nodes', 'many'], /not a whole number/],
    [['ls', dir, '--default-owner', 'root'], /UID:GID/],
  ] as const) {
    const r = run(...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.not.match(r.stderr, /at .*\.js:\d+/, 'no stack trace for a usage error');
  }
});

test('ls lists what the VFS serves, with raw names, modes and link targets', () => {
  const r = run('ls', dir);
  assert.is(r.status, 0, r.stderr);
  const lines = r.raw.toString('latin1').trimEnd().split('\n');
  // 4 entries; the name with a newline in it spans two lines.
  assert.is(lines.length, 5);
  assert.match(lines[0] ?? '', /^lrwxrwxrwx .* a-link -> \/etc\/passwd$/);
  assert.match(lines[1] ?? '', /^-rw-r--r-- .* 5 .* b file$/);
  // A non-UTF-8 name with a newline in it comes out byte for byte.
  assert.ok(r.raw.includes(Buffer.from([0x20, 0x66, 0xff, 0x0a])));
  assert.match(r.stdout, /drwxr-sr-x .* sub\n/);
});

test('ls of a path inside, and .. never leaves the export', () => {
  const inner = run('ls', dir, 'sub');
  assert.is(inner.status, 0, inner.stderr);
  assert.match(inner.stdout, /1234 .* inner\n/);
  const up = run('ls', dir, '../../..');
  assert.is(up.status, 0, up.stderr);
  assert.match(up.stdout, / b file\n/);
  const file = run('ls', dir, 'sub/inner');
  assert.match(file.stdout, /^-rw-r--r-- .* inner\n$/);
});

test('ls of a missing path inside the export fails with ENOENT', () => {
  const r = run('ls', dir, 'nope');
  assert.is(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
});

test('a symlink is listed, never followed out of the export', () => {
  const r = run('ls', dir, 'a-link');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^l.* a-link -> \/etc\/passwd\n$/);
});

test.run();
