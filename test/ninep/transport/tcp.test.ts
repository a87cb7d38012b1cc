import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { listenTcp, DEFAULT_TCP_HOST, DEFAULT_TCP_PORT } from '../../../ninep/transport/index.js';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('tcp: loopback by default, hands over each connection, close stops accepting', async () => {
  assert.is(DEFAULT_TCP_HOST, '127.0.0.1');
  assert.is(DEFAULT_TCP_PORT, 5640);
  const got: net.Socket[] = [];
  const l = await listenTcp({ port: 0 }, (s) => {
    got.push(s);
    s.end('hi');
  });
  try {
    assert.is(l.host, '127.0.0.1');
    assert.match(l.description, /^tcp 127\.0\.0\.1:\d+$/);
    const c = await connect(l.port);
    const data = await new Promise<string>((resolve) => {
      let text = '';
      c.on('data', (d) => (text += d.toString()));
      c.on('end', () => resolve(text));
    });
    assert.is(data, 'hi');
    assert.is(got.length, 1);
  } finally {
    await l.close();
  }
  const refused = await connect(l.port).then(
    (s) => (s.destroy(), false),
    () => true,
  );
  assert.ok(refused);
});

test('tcp: connections are half-open: the server may still write after the client shuts down its side', async () => {
  const l = await listenTcp({ port: 0 }, (s) => {
    s.on('end', () => s.end('after your end'));
    s.resume();
  });
  try {
    const c = await connect(l.port);
    const text = new Promise<string>((resolve) => {
      let t = '';
      c.on('data', (d) => (t += d.toString()));
      c.on('end', () => resolve(t));
    });
    c.end();
    assert.is(await text, 'after your end');
  } finally {
    await l.close();
  }
});

test('tcp: a port in use is an error, not a crash', async () => {
  const l = await listenTcp({ port: 0 }, (s) => s.destroy());
  try {
    const e = await listenTcp({ port: l.port }, () => {}).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => err.code,
    );
    assert.is(e, 'EADDRINUSE');
  } finally {
    await l.close();
  }
});

test.run();
