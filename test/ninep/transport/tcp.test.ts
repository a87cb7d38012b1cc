import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { listenTcp, TcpListenError, DEFAULT_TCP_HOST, DEFAULT_TCP_PORT, type PeerDecision } from '../../../ninep/transport/index.js';

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

test('tcp: a local process whose uid is not allowed is closed before it is handed over; an allowed one is told so', async () => {
  const decisions: PeerDecision[] = [];
  const got: net.Socket[] = [];
  const own = process.getuid?.() as number;
  // Nobody allowed: not even this process.
  const l = await listenTcp({ port: 0, peers: { allowUids: [] }, onPeer: (d) => decisions.push(d) }, (s) => got.push(s));
  try {
    const c = await connect(l.port);
    const localPort = c.localPort;
    await new Promise<void>((resolve) => c.once('close', () => resolve()).resume());
    assert.is(got.length, 0);
    assert.is(decisions.length, 1);
    assert.equal({ accept: decisions[0]?.accept, uid: decisions[0]?.uid, port: decisions[0]?.port }, { accept: false, uid: own, port: localPort });
    assert.match(decisions[0]?.reason ?? '', `uid ${own} is not allowed`);
  } finally {
    await l.close();
  }
  const m = await listenTcp({ port: 0, onPeer: (d) => decisions.push(d) }, (s) => (got.push(s), s.end('hi')));
  try {
    const c = await connect(m.port);
    await new Promise<void>((resolve) => c.once('close', () => resolve()).resume());
    assert.is(got.length, 1);
    assert.equal({ accept: decisions[1]?.accept, uid: decisions[1]?.uid }, { accept: true, uid: own });
  } finally {
    await m.close();
  }
});

test('tcp: IPv6 loopback, and an IPv4 client of a dual-stack (::) listener, are found and uid-checked', async () => {
  const own = process.getuid?.() as number;
  for (const [host, trustNetwork, via] of [['::1', false, '::1'], ['::', true, '127.0.0.1']] as const) {
    const decisions: PeerDecision[] = [];
    const l = await listenTcp({ host, port: 0, peers: { trustNetwork }, onPeer: (d) => decisions.push(d) }, (s) => s.end('hi'));
    try {
      const c = net.connect(l.port, via);
      await new Promise<void>((resolve) => c.once('close', () => resolve()).resume());
      assert.equal({ accept: decisions[0]?.accept, uid: decisions[0]?.uid }, { accept: true, uid: own }, `${host} via ${via}: ${decisions[0]?.reason}`);
    } finally {
      await l.close();
    }
  }
});

test('tcp: a non-loopback address needs trustNetwork', async () => {
  const e = await listenTcp({ host: '0.0.0.0', port: 0 }, () => {}).then(
    () => undefined,
    (err: Error) => err,
  );
  assert.instance(e, TcpListenError);
  assert.match((e as Error).message, /not a loopback address/);
  const l = await listenTcp({ host: '0.0.0.0', port: 0, peers: { trustNetwork: true } }, (s) => s.destroy());
  await l.close();
  const bad = await listenTcp({ port: 0, peers: { allowUids: [-1] } }, () => {}).then(
    () => undefined,
    (err: Error) => err,
  );
  assert.instance(bad, TcpListenError);
});

test.run();
