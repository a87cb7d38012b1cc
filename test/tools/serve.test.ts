// `humbridge serve` as a real process: ready line, 9P over its listener,
// SIGTERM → exit 0 with nothing left behind.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, dialect9P2000, encode, FrameReader, NOFID, type AnyMessage } from '../../ninep/index.js';
import { LINUX_ERRNO as E } from '../../src/errno.js';
import { tmpExport, waitFor } from '../helpers/tmp-export.js';
import { WireConn } from '../ninep/server/harness.js';
import { gated, needRoot } from '../helpers/gate.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/humbridge.js');

interface Running {
  child: ChildProcess;
  stderr: () => string;
  ready: Promise<string>;
  exited: Promise<number | null>;
}

function start(args: string[], stdio: 'pipe' | 'ignore' = 'ignore'): Running {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: [stdio, stdio, 'pipe'] });
  let err = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const line = err.split('\n').find((l) => l.startsWith('humbridge: ready:'));
      if (line !== undefined && err.includes('guest mount:')) resolve(err);
    });
    child.once('exit', () => reject(new Error(`exited before ready:\n${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, ready, exited };
}

async function stop(r: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill(signal);
  return r.exited;
}

test('tcp: ready line with the guest mount command; 9P works; SIGTERM exits 0', async () => {
  const tmp = tmpExport();
  fs.writeFileSync(path.join(tmp.dir, 'hello'), 'world');
  const r = start([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--msize', '65536']);
  try {
    const text = await r.ready;
    const port = Number(/on tcp 127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    assert.ok(port > 0);
    assert.match(text, new RegExp(`mount -t 9p -o trans=tcp,port=${port},version=9p2000.L,msize=65536 10\\.0\\.2\\.2 /mnt`));
    const c = await WireConn.open(port);
    assert.is(await c.version('9P2000.L', 1 << 20), 65536);
    await c.attach(0);
    await c.walk(0, 1, 'hello');
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    assert.is((await c.ok({ type: 'Tread', fid: 1, offset: 0n, count: 100 }, 'Rread')).data.toString(), 'world');
    // diod's tools send the export's path as aname.
    await c.attach(2, { aname: tmp.dir });
    assert.is(await stop(r), 0);
    await c.ended;
  } finally {
    await stop(r);
    tmp.cleanup();
  }
});

test('unix socket, --export NAME=DIR and --readonly', async () => {
  const tmp = tmpExport();
  const other = tmpExport();
  fs.writeFileSync(path.join(other.dir, 'x'), 'other');
  const sock = path.join(tmp.outside, 'hb.sock');
  const r = start([tmp.dir, '--listen', `unix:${sock}`, '--export', `second=${other.dir}`, '--readonly']);
  try {
    const text = await r.ready;
    assert.match(text, /on unix /);
    assert.is(fs.statSync(sock).mode & 0o777, 0o600);
    const w = await unixConn(sock);
    await w.version();
    await w.attach(0, { aname: 'second' });
    await w.walk(0, 1, 'x');
    await w.attach(2);
    assert.is(await w.err({ type: 'Tmkdir', dfid: 2, name: Buffer.from('d'), mode: 0o755, gid: 0 }), E.EROFS);
    assert.is(await stop(r), 0);
    assert.not.ok(fs.existsSync(sock), 'the socket file is removed');
  } finally {
    await stop(r);
    tmp.cleanup();
    other.cleanup();
  }
});

/** A WireConn over a unix socket (the harness opens TCP). */
async function unixConn(sockPath: string): Promise<WireConn> {
  const server = net.createServer((local) => {
    const remote = net.connect(sockPath);
    local.pipe(remote).pipe(local);
    local.on('close', () => remote.destroy());
    remote.on('close', () => local.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const c = await WireConn.open((server.address() as net.AddressInfo).port);
  c.sock.once('close', () => server.close());
  return c;
}

test('stdio: one connection on stdin/stdout; the process exits 0 when it closes', async () => {
  const tmp = tmpExport();
  const r = start([tmp.dir, '--listen', 'stdio'], 'pipe');
  try {
    await r.ready;
    const replies: Buffer[] = [];
    const framer = new FrameReader(1 << 20, (f) => replies.push(Buffer.from(f)));
    r.child.stdout?.on('data', (d: Buffer) => framer.push(d));
    r.child.stdin?.write(encode(dialect9P2000, 0xffff, { type: 'Tversion', msize: 8192, version: '9P2000' }));
    r.child.stdin?.write(encode(dialect9P2000, 1, { type: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname: '' }));
    const deadline = Date.now() + 10_000;
    while (replies.length < 2 && Date.now() < deadline) await new Promise((res) => setImmediate(res));
    assert.equal(decode(dialect9P2000, replies[0] as Buffer).msg, { type: 'Rversion', msize: 8192, version: '9P2000' });
    assert.is(decode(dialect9P2000, replies[1] as Buffer).msg.type, 'Rattach');
    r.child.stdin?.end();
    assert.is(await r.exited, 0);
  } finally {
    await stop(r);
    tmp.cleanup();
  }
});

test('usage errors exit 2 with a message; a missing directory too', async () => {
  for (const args of [['--listen', 'carrier-pigeon'], ['--access', 'everyone'], ['--access', 'client', '--check-permissions'], ['--export', 'noequals'], ['--max-locks', '0']]) {
    const tmp = tmpExport();
    const child = spawn(process.execPath, [CLI, 'serve', tmp.dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    tmp.cleanup();
    assert.is(code, 2, args.join(' '));
    assert.match(err, /humbridge: /);
  }
  const child = spawn(process.execPath, [CLI, 'serve', '/nonexistent/dir'], { stdio: ['ignore', 'ignore', 'pipe'] });
  assert.is(await new Promise((resolve) => child.once('exit', resolve)), 2);
});

test('limit flags reach the server: --max-open-files, --max-connections; a total that does not fit is a usage error', async () => {
  const tmp = tmpExport();
  fs.writeFileSync(path.join(tmp.dir, 'a'), 'a');
  const r = start([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--max-open-files', '1', '--max-connections', '1'], 'ignore');
  try {
    const port = Number(/on tcp 127\.0\.0\.1:(\d+)/.exec(await r.ready)?.[1]);
    const c = await WireConn.open(port);
    await c.version();
    await c.attach(0);
    await c.walk(0, 1, 'a');
    await c.walk(0, 2, 'a');
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    assert.is(await c.err({ type: 'Tlopen', fid: 2, flags: 0 }), E.EMFILE);
    const second = await WireConn.open(port);
    await second.ended;
    await waitFor(() => /refusing connection/.test(r.stderr()));
    assert.is(await stop(r), 0);
  } finally {
    await stop(r);
  }
  const child = spawn(process.execPath, [CLI, 'serve', tmp.dir, '--max-open-files-total', '100000000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  assert.is(await new Promise((resolve) => child.once('exit', resolve)), 2);
  assert.match(err, /--max-open-files-total 100000000 is more than the \d+ that fit/);
  tmp.cleanup();
});

test('--access user: the server checks permissions as the attached user', async () => {
  const tmp = tmpExport();
  fs.chmodSync(tmp.dir, 0o755);
  fs.writeFileSync(path.join(tmp.dir, 'secret'), 's');
  fs.chmodSync(path.join(tmp.dir, 'secret'), 0o600);
  const r = start([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--access', 'user']);
  try {
    const ready = await r.ready;
    assert.match(ready, /access=user/);
    const port = Number(/on tcp 127\.0\.0\.1:(\d+)/.exec(ready)?.[1]);
    const c = await WireConn.open(port);
    await c.version();
    await c.attach(0, { uname: '', n_uname: 1000 });
    await c.walk(0, 1, 'secret');
    assert.is(await c.err({ type: 'Tlopen', fid: 1, flags: 0 }), E.EACCES);
    assert.is(await c.err({ type: 'Tmkdir', dfid: 0, name: Buffer.from('d'), mode: 0o755, gid: 1000 }), E.EACCES);
    await c.attach(2, { uname: 'root', n_uname: 0 });
    await c.walk(2, 3, 'secret');
    await c.ok({ type: 'Tlopen', fid: 3, flags: 0 }, 'Rlopen');
    assert.is(await stop(r, 'SIGINT'), 0);
  } finally {
    await stop(r);
    tmp.cleanup();
  }
});

const noRoot = needRoot('serve devices and root-owned setuid files from hostfs');

gated(test, 'hostfs is nosuid,nodev unless --allow-setuid / --allow-devices; the refusal is logged', noRoot, async () => {
  const tmp = tmpExport();
  const mk = (name: string, mode: number, minor = 0): AnyMessage => ({ type: 'Tmknod', dfid: 0, name: Buffer.from(name), mode, major: 7, minor, gid: 0 });
  const runs: Running[] = [];
  try {
    const plain = start([tmp.dir, '--listen', 'tcp:127.0.0.1:0']);
    runs.push(plain);
    const c = await WireConn.open(Number(/on tcp 127\.0\.0\.1:(\d+)/.exec(await plain.ready)?.[1]));
    await c.version();
    await c.attach(0, { uname: 'root', n_uname: 0 });
    assert.is(await c.err(mk('loop', 0o060666)), E.EPERM);
    assert.is(await c.err(mk('suid', 0o104755)), E.EPERM);
    assert.equal(fs.readdirSync(tmp.dir), []);
    assert.is(await stop(plain), 0);
    assert.match(plain.stderr(), /warn: mknod refused: device node on a nodev export/);
    assert.match(plain.stderr(), /warn: mknod refused: setuid\/setgid file on a nosuid export/);
    const allowing = start([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--allow-setuid', '--allow-devices']);
    runs.push(allowing);
    const d = await WireConn.open(Number(/on tcp 127\.0\.0\.1:(\d+)/.exec(await allowing.ready)?.[1]));
    await d.version();
    await d.attach(0, { uname: 'root', n_uname: 0 });
    await d.ok(mk('loop', 0o060666), 'Rmknod');
    await d.ok(mk('suid', 0o104755), 'Rmknod');
    assert.ok(fs.lstatSync(path.join(tmp.dir, 'loop')).isBlockDevice());
    assert.is(fs.statSync(path.join(tmp.dir, 'suid')).mode & 0o7777, 0o4755);
    assert.is(await stop(allowing), 0);
  } finally {
    for (const r of runs) await stop(r);
    tmp.cleanup();
  }
});

test.run();
