// The command-line path end to end: the real `humbridge serve` process and
// the `humbridge 9p` client verbs, over TCP and a unix socket, in every
// dialect, on a plain tree and on a humfs export; exit statuses; SIGTERM
// stops the server with status 0.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { humbridgeScript, startHumbridge, type RunningServer } from '../../../tools/bench/servers.js';
import { tmpExport } from '../../helpers/tmp-export.js';
import { makeExportFolder } from './export-folder.js';
import { recordPath, recordText } from './host-view.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function nine(addr: string, args: readonly string[], input?: string): Run {
  const r = spawnSync(process.execPath, [humbridgeScript(), '9p', '--addr', addr, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('9p verbs against humbridge serve over tcp, in every dialect, checked on the host', async () => {
  const tmp = tmpExport('humbridge-cli-');
  let srv: RunningServer | undefined;
  try {
    srv = await startHumbridge(tmp.dir);
    const addr = `tcp:127.0.0.1:${srv.port}`;
    fs.writeFileSync(path.join(tmp.outside, 'local.txt'), 'from the host\n');
    let r = nine(addr, ['put', path.join(tmp.outside, 'local.txt'), 'copy.txt']);
    assert.is(r.status, 0, r.stderr);
    assert.is(fs.readFileSync(path.join(tmp.dir, 'copy.txt'), 'utf8'), 'from the host\n');
    r = nine(addr, ['put', '-', 'stdin.txt'], 'piped');
    assert.is(r.status, 0, r.stderr);
    assert.is(fs.readFileSync(path.join(tmp.dir, 'stdin.txt'), 'utf8'), 'piped');
    assert.is(nine(addr, ['mkdir', 'd1', 'd2']).status, 0);
    assert.ok(fs.statSync(path.join(tmp.dir, 'd2')).isDirectory());
    for (const v of ['9p2000.L', '9p2000.u', '9p2000']) {
      r = nine(addr, ['--version', v, 'ls']);
      assert.is(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n'), ['copy.txt', 'd1', 'd2', 'stdin.txt'], v);
      r = nine(addr, ['--version', v, 'ls', '-l', '/']);
      assert.match(r.stdout, /^-rw-r--r-- .* 14 .* copy\.txt$/m, `${v}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^drwxr-xr-x .* d1$/m, `${v}: ${r.stdout}${r.stderr}`);
      r = nine(addr, ['--version', v, 'cat', 'copy.txt', 'stdin.txt']);
      assert.is(r.stdout, 'from the host\npiped', v);
      r = nine(addr, ['--version', v, 'stat', 'd1']);
      assert.match(r.stdout, /Mode: drwxr-xr-x \(0755\)/, v);
    }
    assert.is(nine(addr, ['rename', 'stdin.txt', 'd1/moved.txt']).status, 0);
    assert.ok(fs.existsSync(path.join(tmp.dir, 'd1/moved.txt')));
    assert.is(nine(addr, ['--version', '9p2000.u', 'rename', 'copy.txt', 'renamed.txt']).status, 0);
    assert.ok(fs.existsSync(path.join(tmp.dir, 'renamed.txt')));
    assert.is(nine(addr, ['rm', 'd1/moved.txt', 'd1', 'd2']).status, 0);
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'd1')));
  } finally {
    await srv?.stop();
    tmp.cleanup();
  }
});

test('serve --humfs: ls -l shows the records\' owners, modes and devices in every dialect; put, rename and rm keep the records', async () => {
  const tmp = tmpExport('humbridge-cli-');
  let srv: RunningServer | undefined;
  try {
    const data = makeExportFolder(tmp.dir, 'humfs', 1n << 30n);
    const view = { mode: 'humfs', dir: data, exportDir: tmp.dir } as const;
    fs.writeFileSync(path.join(data, 'prog'), 'hi\n');
    fs.writeFileSync(recordPath(view, 'prog', false), `${0o4755} 1234 5678\n`);
    fs.writeFileSync(path.join(data, 'null'), '');
    fs.writeFileSync(recordPath(view, 'null', false), '438 0 0 c 1 3\n');
    srv = await startHumbridge(tmp.dir, ['--humfs']);
    const addr = `tcp:127.0.0.1:${srv.port}`;
    for (const v of ['9p2000.L', '9p2000.u', '9p2000']) {
      const r = nine(addr, ['--version', v, 'ls', '-l', '/']);
      assert.is(r.status, 0, r.stderr);
      // 9P2000 has neither the setuid bit nor devices: a plain file, owners by name.
      assert.match(r.stdout, v === '9p2000' ? /^-rwxr-xr-x .* 1234 +5678 .* prog$/m : /^-rwsr-xr-x .* 1234 +5678 .* prog$/m, `${v}: ${r.stdout}`);
      if (v !== '9p2000') assert.match(r.stdout, /^crw-rw-rw- .* 1, 3 .* null$/m, `${v}: ${r.stdout}`);
    }
    const cat = nine(addr, ['cat', 'null']);
    assert.is(cat.status, 1);
    assert.match(cat.stderr, /ENXIO/);
    fs.writeFileSync(path.join(tmp.outside, 'local.txt'), 'from the host\n');
    assert.is(nine(addr, ['put', path.join(tmp.outside, 'local.txt'), 'copy.txt']).status, 0);
    assert.is(fs.readFileSync(path.join(data, 'copy.txt'), 'utf8'), 'from the host\n');
    assert.is(recordText(view, 'copy.txt'), '420 0 0\n');
    assert.is(nine(addr, ['rename', 'prog', 'moved']).status, 0);
    assert.is(recordText(view, 'moved'), `${0o4755} 1234 5678\n`);
    assert.is(nine(addr, ['rm', 'moved', 'copy.txt']).status, 0);
    for (const rel of ['prog', 'moved', 'copy.txt']) assert.not.ok(fs.existsSync(recordPath(view, rel, false)), `no record of ${rel}`);
  } finally {
    await srv?.stop();
    tmp.cleanup();
  }
});

test('exit statuses and messages: a missing path is 1 (the other paths still done), usage is 2, no server is 1', async () => {
  const tmp = tmpExport('humbridge-cli-');
  fs.writeFileSync(path.join(tmp.dir, 'here'), 'x');
  let srv: RunningServer | undefined;
  let port = 0;
  try {
    srv = await startHumbridge(tmp.dir);
    port = srv.port;
    const addr = `tcp:127.0.0.1:${port}`;
    let r = nine(addr, ['cat', 'missing', 'here']);
    assert.is(r.status, 1);
    assert.is(r.stdout, 'x');
    assert.match(r.stderr, /missing: No such file or directory \(ENOENT\)/);
    r = nine(addr, ['frobnicate']);
    assert.is(r.status, 2);
    assert.match(r.stderr, /unknown 9p verb "frobnicate"/);
    r = nine(addr, ['--version', '9p2001', 'ls']);
    assert.is(r.status, 2);
    r = nine(addr, ['rename', 'only-one']);
    assert.is(r.status, 2);
    r = nine(addr, ['--aname', 'no-such-export', 'ls']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /attach:/);
  } finally {
    await srv?.stop();
    tmp.cleanup();
  }
  const gone = nine(`tcp:127.0.0.1:${port}`, ['ls']);
  assert.is(gone.status, 1);
  assert.match(gone.stderr, /cannot connect/);
});

test('serve on a unix socket (mode 0600); SIGTERM exits 0 and removes the socket', async () => {
  const tmp = tmpExport('humbridge-cli-');
  fs.writeFileSync(path.join(tmp.dir, 'f'), 'over unix');
  const sock = path.join(tmp.outside, '9p.sock');
  const child = spawn(process.execPath, [humbridgeScript(), 'serve', tmp.dir, '--listen', `unix:${sock}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    for (let i = 0; !/ready/.test(err); i++) {
      if (child.exitCode !== null) assert.unreachable(`serve exited: ${err}`);
      if (i > 3000) assert.unreachable(`no ready line: ${err}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.is(fs.statSync(sock).mode & 0o777, 0o600);
    const r = nine(`unix:${sock}`, ['cat', 'f']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, 'over unix');
    child.kill('SIGTERM');
    assert.is(await exited, 0);
    assert.not.ok(fs.existsSync(sock), 'socket file removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    tmp.cleanup();
  }
});

test.run();
