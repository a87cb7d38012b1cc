import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { listenUnix, UnixPathError } from '../../../ninep/transport/index.js';
import { tmpExport } from '../../helpers/tmp-export.js';

test('unix: the socket is mode 0600, carries connections, and is removed on close', async () => {
  const tmp = tmpExport();
  const sock = path.join(tmp.dir, 's.sock');
  const old = process.umask(0o022);
  try {
    const l = await listenUnix(sock, (s) => s.end('ok'));
    assert.is(process.umask(), 0o022, 'the umask is restored');
    assert.ok(fs.lstatSync(sock).isSocket());
    assert.is(fs.lstatSync(sock).mode & 0o777, 0o600);
    assert.is(l.description, `unix ${sock}`);
    const text = await new Promise<string>((resolve) => {
      const c = net.connect(sock);
      let t = '';
      c.on('data', (d) => (t += d.toString()));
      c.on('end', () => resolve(t));
    });
    assert.is(text, 'ok');
    await l.close();
    assert.not.ok(fs.existsSync(sock));
  } finally {
    process.umask(old);
    tmp.cleanup();
  }
});

test('unix: refuses a non-socket path and a live socket; replaces a stale one', async () => {
  const tmp = tmpExport();
  try {
    const file = path.join(tmp.dir, 'plain');
    fs.writeFileSync(file, 'keep me');
    const e1 = await listenUnix(file, () => {}).then(() => undefined, (e: unknown) => e);
    assert.ok(e1 instanceof UnixPathError);
    assert.is(fs.readFileSync(file, 'utf8'), 'keep me');
    const sock = path.join(tmp.dir, 'live.sock');
    const live = await listenUnix(sock, (s) => s.destroy());
    const e2 = await listenUnix(sock, () => {}).then(() => undefined, (e: unknown) => e);
    assert.ok(e2 instanceof UnixPathError);
    // A socket file nobody listens on (a crashed server): replaced.
    const stalePath = path.join(tmp.dir, 'stale.sock');
    // A server killed outright leaves its socket file behind.
    try {
      execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    } catch {
      // killed, as intended
    }
    assert.ok(fs.existsSync(stalePath));
    const again = await listenUnix(stalePath, (s) => s.destroy());
    await again.close();
    await live.close();
  } finally {
    tmp.cleanup();
  }
});

test.run();
