// Who may connect to `humbridge serve`, and identity squashing, through the
// real CLI process: tcp peers checked by uid (a child process of uid 65534
// against the serving root), the unix socket's mode, the non-loopback
// guard, and --squash none|root|all seen as owners on the host.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tmpExport, waitFor } from '../helpers/tmp-export.js';
import { WireConn } from '../ninep/server/harness.js';
import { gated, needRoot } from '../helpers/gate.js';
import { asUserEnv } from '../helpers/as-user.js';
import { serveFails, startServe, stopServe, type Running } from './serve-process.js';

const NOBODY = 65534;

const noOtherUid = needRoot(`start a child as uid ${NOBODY}`);
const noChown = needRoot('serve files owned by other ids');

// The child's code: node: modules only, so it reads no file of the checkout.
// It sends a 9P2000 Tversion to HB_TARGET (a port on 127.0.0.1 or a socket
// path) and prints what happened first: "reply <type>", "closed", or
// "error <code>".
const CHILD = `
import net from 'node:net';
const target = process.env.HB_TARGET;
const s = /^\\d+$/.test(target) ? net.connect(Number(target), '127.0.0.1') : net.connect(target);
const done = (what) => { process.stdout.write(what + '\\n'); s.destroy(); process.exit(0); };
s.on('connect', () => {
  const v = Buffer.from('9P2000');
  const b = Buffer.alloc(13 + v.length);
  b.writeUInt32LE(b.length, 0); b[4] = 100; b.writeUInt16LE(0xffff, 5); b.writeUInt32LE(8192, 7); b.writeUInt16LE(v.length, 11); v.copy(b, 13);
  s.write(b);
});
s.on('data', (d) => done('reply ' + d[4]));
s.on('error', (e) => done('error ' + e.code));
s.on('close', () => done('closed'));
`;

/** Runs CHILD as uid/gid 65534 against `target`; its one line of outcome. */
function tryAsNobody(target: number | string): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: '/',
    uid: NOBODY,
    gid: NOBODY,
    // Node hands NODE_V8_COVERAGE (c8) down to every child unless the env
    // names it: asUserEnv points it at a folder this user may write.
    env: asUserEnv({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HB_TARGET: String(target) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('close', () => resolve(out.trim())));
}

const RVERSION = 'reply 101';
/** Closed without a reply: a plain close, or a reset (the server closed with our Tversion unread). */
const CLOSED = /^(closed|error ECONNRESET)$/;

function portOf(text: string): number {
  const port = Number(/ready: .* on tcp [^ ]*:(\d+)/.exec(text)?.[1]);
  assert.ok(port > 0, text);
  return port;
}

async function withServe(args: string[], fn: (r: Running, ready: string) => Promise<void>): Promise<void> {
  const r = startServe(args);
  try {
    await fn(r, await r.ready);
  } finally {
    await stopServe(r);
  }
}

gated(test, 'tcp: a local process of another uid is refused and logged; the serving uid gets through; --trace logs the accept', noOtherUid, async () => {
  const tmp = tmpExport();
  try {
    await withServe([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--trace'], async (r, ready) => {
      const port = portOf(ready);
      const out = await tryAsNobody(port);
      assert.match(out, CLOSED, `no Rversion for uid 65534 (the child said: ${out})`);
      await waitFor(() => /refused tcp connection from 127\.0\.0\.1:\d+: uid 65534 is not allowed/.test(r.stderr()));
      const c = await WireConn.open(port);
      assert.is(await c.version('9P2000.L', 8192), 8192);
      await c.attach(0);
      await waitFor(() => new RegExp(`accepted tcp connection from 127\\.0\\.0\\.1:${c.sock.localPort}: uid ${process.getuid?.()} is allowed`).test(r.stderr()));
      await c.close();
    });
  } finally {
    tmp.cleanup();
  }
});

gated(test, 'tcp: --allow-uid widens the set', noOtherUid, async () => {
  const tmp = tmpExport();
  try {
    await withServe([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--allow-uid', '4000', '--allow-uid', String(NOBODY)], async (r, ready) => {
      assert.is(await tryAsNobody(portOf(ready)), RVERSION, 'uid 65534 is allowed');
      // The serving uid is still allowed.
      const c = await WireConn.open(portOf(ready));
      assert.is(await c.version('9P2000.L', 8192), 8192);
      await c.close();
      assert.not.match(r.stderr(), /refused/);
    });
  } finally {
    tmp.cleanup();
  }
});

gated(test, 'unix: a process of another uid cannot connect (socket mode 0600); --allow-uid there is a usage error', noOtherUid, async () => {
  const tmp = tmpExport();
  // A folder anyone may enter, so that only the socket's own mode can refuse.
  const open = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-sock-'));
  fs.chmodSync(open, 0o755);
  const sock = path.join(open, '9p.sock');
  try {
    await withServe([tmp.dir, '--listen', `unix:${sock}`], async () => {
      assert.is(fs.statSync(sock).mode & 0o777, 0o600);
      assert.is(await tryAsNobody(sock), 'error EACCES');
      // Its owner connects.
      const own = net.connect(sock);
      await new Promise<void>((resolve, reject) => own.once('connect', resolve).once('error', reject));
      own.destroy();
    });
    const r = await serveFails([tmp.dir, '--listen', `unix:${sock}`, '--allow-uid', String(NOBODY)]);
    assert.is(r.code, 2);
    assert.match(r.stderr, /--allow-uid applies to tcp only: a unix socket \(mode 0600\) admits its owner and root/);
  } finally {
    tmp.cleanup();
    fs.rmSync(open, { recursive: true, force: true });
  }
});

test('a non-loopback address needs --trust-network; with it the ready line warns, and loopback peers are still checked', async () => {
  const tmp = tmpExport();
  try {
    const refused = await serveFails([tmp.dir, '--listen', 'tcp:0.0.0.0:0']);
    assert.is(refused.code, 2);
    assert.match(refused.stderr, /--listen tcp:0\.0\.0\.0: not a loopback address\. .*act as any user.* pass --trust-network/);
    await withServe([tmp.dir, '--listen', 'tcp:0.0.0.0:0', '--trust-network'], async (_r, ready) => {
      const line = ready.split('\n').find((l) => l.startsWith('humbridge: ready:')) ?? '';
      assert.match(line, /on tcp 0\.0\.0\.0:\d+ .*WARNING: --trust-network: anyone who can reach 0\.0\.0\.0:\d+ can act as any user, root included/);
      const port = portOf(ready);
      const c = await WireConn.open(port);
      assert.is(await c.version('9P2000.L', 8192), 8192);
      await c.close();
      if (noOtherUid === undefined) assert.match(await tryAsNobody(port), CLOSED);
    });
  } finally {
    tmp.cleanup();
  }
});

/** Attaches as `uid`, makes a directory (naming gid `uid`) and a file; their owners on the host. */
async function makeAs(port: number, dir: string, uid: number): Promise<{ dir: [number, number]; file: [number, number] }> {
  const c = await WireConn.open(port);
  try {
    await c.version();
    await c.attach(0, { uname: '', n_uname: uid });
    await c.ok({ type: 'Tmkdir', dfid: 0, name: Buffer.from(`d${uid}`), mode: 0o755, gid: uid }, 'Rmkdir');
    await c.walk(0, 1);
    await c.ok({ type: 'Tlcreate', fid: 1, name: Buffer.from(`f${uid}`), flags: 0o101, mode: 0o644, gid: uid }, 'Rlcreate');
  } finally {
    await c.close();
  }
  const own = (p: string): [number, number] => {
    const st = fs.lstatSync(path.join(dir, p));
    return [st.uid, st.gid];
  };
  return { dir: own(`d${uid}`), file: own(`f${uid}`) };
}

gated(test, '--squash root maps uid 0 and gid 0 to the anonymous ids; others keep theirs', noChown, async () => {
  const tmp = tmpExport();
  try {
    await withServe([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--squash', 'root'], async (_r, ready) => {
      const port = portOf(ready);
      assert.equal(await makeAs(port, tmp.dir, 0), { dir: [NOBODY, NOBODY], file: [NOBODY, NOBODY] });
      assert.equal(await makeAs(port, tmp.dir, 1000), { dir: [1000, 1000], file: [1000, 1000] });
    });
  } finally {
    tmp.cleanup();
  }
});

gated(test, '--squash all maps every id, to --anon-uid/--anon-gid when given', noChown, async () => {
  const tmp = tmpExport();
  try {
    await withServe([tmp.dir, '--listen', 'tcp:127.0.0.1:0', '--squash', 'all', '--anon-uid', '4321', '--anon-gid', '4322'], async (_r, ready) => {
      const port = portOf(ready);
      assert.equal(await makeAs(port, tmp.dir, 1000), { dir: [4321, 4322], file: [4321, 4322] });
      assert.equal(await makeAs(port, tmp.dir, 0), { dir: [4321, 4322], file: [4321, 4322] });
    });
  } finally {
    tmp.cleanup();
  }
});

gated(test, '--squash none (the default) keeps the ids the client names; a bad --squash is a usage error', noChown, async () => {
  const tmp = tmpExport();
  try {
    await withServe([tmp.dir, '--listen', 'tcp:127.0.0.1:0'], async (_r, ready) => {
      const port = portOf(ready);
      assert.equal(await makeAs(port, tmp.dir, 0), { dir: [0, 0], file: [0, 0] });
      assert.equal(await makeAs(port, tmp.dir, 1000), { dir: [1000, 1000], file: [1000, 1000] });
    });
    for (const args of [['--squash', 'some'], ['--anon-uid', '4294967295']]) {
      const r = await serveFails([tmp.dir, '--listen', 'tcp:127.0.0.1:0', ...args]);
      assert.is(r.code, 2, args.join(' '));
      assert.match(r.stderr, /humbridge: .*(squash|anonUid)/);
    }
  } finally {
    tmp.cleanup();
  }
});

test.run();
