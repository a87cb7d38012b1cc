// /proc/net/tcp{,6} parsing and the peer decision, on lines captured from
// this kernel: a listener on [::]:38525 with one IPv6 client (::1 port 55540)
// and one IPv4 client (127.0.0.1 port 58140, seen by the server as
// ::ffff:127.0.0.1), plus a TIME_WAIT line (uid 0, no inode).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addressKey,
  findClientSocket,
  isLoopbackAddress,
  parseSocketLine,
  parseSocketTable,
  procAddress,
  readSocketTables,
  type SocketLine,
} from '../../../ninep/transport/proc-net.js';
import { decidePeer } from '../../../ninep/transport/peers.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1163 1 00000000b1502f2c 100 0 0 10 0
   1: 0100007F:B659 0100007F:D81A 06 00000000:00000000 03:0000039C 00000000     0        0 0 3 00000000e297d74a
  15: 0100007F:E31C 0100007F:967D 01 00000000:00000000 00:00000000 00000000  1000        0 30287 2 00000000c720dce8 20 0 0 10 -1
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:967D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30284 1 0000000052c4e387 100 0 0 10 0
   1: 00000000000000000000000001000000:967D 00000000000000000000000001000000:D8F4 01 00000000:00000000 00:00000000 00000000     0        0 30286 1 00000000f0d3ede2 20 0 0 10 -1
   2: 0000000000000000FFFF00000100007F:967D 0000000000000000FFFF00000100007F:E31C 01 00000000:00000000 00:00000000 00000000     0        0 30288 1 00000000bff73310 20 0 0 10 -1
   3: 00000000000000000000000001000000:D8F4 00000000000000000000000001000000:967D 01 00000000:00000000 00:00000000 00000000 65534        0 30285 2 00000000c9b05b61 20 0 0 10 -1
`;

const LOOP4 = '00000000000000000000ffff7f000001';
const LOOP6 = '00000000000000000000000000000001';

test('an IPv4 line: little-endian address word, big hex port, state, uid, inode', () => {
  const l = parseSocketLine('  15: 0100007F:E31C 0100007F:967D 01 00000000:00000000 00:00000000 00000000  1000        0 30287 2 00000000c720dce8 20 0 0 10 -1');
  assert.equal(l, { local: { addr: LOOP4, port: 0xe31c }, remote: { addr: LOOP4, port: 0x967d }, state: 1, uid: 1000, inode: 30287 });
  assert.is(procAddress('0101A8C0'), '00000000000000000000ffffc0a80101'); // 192.168.1.1
});

test('an IPv6 line: four little-endian words; v4-mapped addresses compare as IPv4', () => {
  const l = parseSocketLine(TCP6.split('\n')[4] as string);
  assert.equal(l, { local: { addr: LOOP6, port: 0xd8f4 }, remote: { addr: LOOP6, port: 0x967d }, state: 1, uid: 65534, inode: 30285 });
  assert.is(parseSocketLine(TCP6.split('\n')[3] as string)?.local.addr, LOOP4);
  // fe80::1 (words 000080FE 00000000 00000000 01000000)
  assert.is(procAddress('000080FE000000000000000001000000'), 'fe800000000000000000000000000001');
});

test('headers and malformed lines are skipped', () => {
  assert.is(parseSocketLine(TCP.split('\n')[0] as string), undefined);
  assert.is(parseSocketLine(''), undefined);
  assert.is(parseSocketLine('   1: 0100007F:B659 0100007F 06 00000000:00000000 03:0000039C 00000000 0 0 0'), undefined);
  assert.is(parseSocketLine('   1: 0100007Z:B659 0100007F:D81A 06 00000000:00000000 03:0000039C 00000000 0 0 0'), undefined);
  assert.is(parseSocketLine('   1: 0100007F:B659 0100007F:D81A 06 00000000:00000000 03:0000039C 00000000 x 0 0'), undefined);
  assert.is(parseSocketTable(TCP).length, 3);
  assert.is(parseSocketTable(TCP6).length, 4);
});

test('addresses as Node prints them', () => {
  assert.is(addressKey('127.0.0.1'), LOOP4);
  assert.is(addressKey('::ffff:127.0.0.1'), LOOP4);
  assert.is(addressKey('::FFFF:7f00:1'), LOOP4);
  assert.is(addressKey('::1'), LOOP6);
  assert.is(addressKey('fe80::1%eth0'), 'fe800000000000000000000000000001');
  assert.is(addressKey('2001:db8:0:0:1:0:0:1'), '20010db8000000000001000000000001');
  assert.is(addressKey('::'), '0'.repeat(32));
  assert.is(addressKey('not-an-address'), undefined);
  assert.ok(isLoopbackAddress('127.0.0.1') && isLoopbackAddress('127.1.2.3') && isLoopbackAddress('::1') && isLoopbackAddress('::ffff:127.0.0.1'));
  assert.not.ok(isLoopbackAddress('10.0.2.2') || isLoopbackAddress('::') || isLoopbackAddress('::ffff:10.0.0.1') || isLoopbackAddress('0.0.0.0'));
});

test("the client's socket is found by both ends; the server's own socket is not taken for it", () => {
  const lines = [...parseSocketTable(TCP), ...parseSocketTable(TCP6)];
  // The IPv4 client as an IPv6 (::) listener sees it.
  const v4 = findClientSocket(lines, { address: '::ffff:127.0.0.1', port: 58140 }, { address: '::ffff:127.0.0.1', port: 38525 });
  assert.is(v4?.inode, 30287);
  assert.is(v4?.uid, 1000);
  // The same as an IPv4 listener sees it.
  assert.is(findClientSocket(lines, { address: '127.0.0.1', port: 58140 }, { address: '127.0.0.1', port: 38525 })?.inode, 30287);
  const v6 = findClientSocket(lines, { address: '::1', port: 55540 }, { address: '::1', port: 38525 });
  assert.is(v6?.inode, 30285);
  assert.is(findClientSocket(lines, { address: '::1', port: 55541 }, { address: '::1', port: 38525 }), undefined);
  assert.is(findClientSocket(lines, { address: '10.0.0.1', port: 55540 }, { address: '::1', port: 38525 }), undefined);
});

test('decision: allowed uid, other uid, no line, a time-wait line, a remote peer', async () => {
  const lines: SocketLine[] = [...parseSocketTable(TCP), ...parseSocketTable(TCP6)];
  const tables = async (): Promise<SocketLine[]> => lines;
  const server = { localAddress: '::1', localPort: 38525 };
  const own = { allowUids: [0], trustNetwork: false };
  const d = await decidePeer({ remoteAddress: '::1', remotePort: 55540, ...server }, own, tables);
  assert.equal({ accept: d.accept, uid: d.uid }, { accept: false, uid: 65534 });
  assert.match(d.reason, /uid 65534 is not allowed/);
  assert.ok((await decidePeer({ remoteAddress: '::1', remotePort: 55540, ...server }, { ...own, allowUids: [0, 65534] }, tables)).accept);
  // Not listed at all: a loopback peer is refused even when the network is trusted.
  const gone = await decidePeer({ remoteAddress: '::1', remotePort: 1, ...server }, { ...own, trustNetwork: true }, tables);
  assert.not.ok(gone.accept);
  assert.match(gone.reason, /uid is unknown/);
  // A time-wait line (uid 0, inode 0) proves nothing.
  const tw = await decidePeer({ remoteAddress: '127.0.0.1', remotePort: 0xb659, localAddress: '127.0.0.1', localPort: 0xd81a }, own, tables);
  assert.not.ok(tw.accept);
  assert.match(tw.reason, /already closed/);
  // Another host: only with a trusted network.
  const far = { remoteAddress: '192.0.2.7', remotePort: 40000, localAddress: '192.0.2.1', localPort: 5640 };
  assert.not.ok((await decidePeer(far, own, tables)).accept);
  assert.ok((await decidePeer(far, { ...own, trustNetwork: true }, tables)).accept);
  // A socket that closed before the decision has no ends.
  assert.not.ok((await decidePeer({}, own, tables)).accept);
});

test('this process finds its own loopback connection in the real tables, with its uid', async () => {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  const c = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
    const line = findClientSocket(await readSocketTables(), { address: '127.0.0.1', port: c.localPort as number }, { address: '127.0.0.1', port });
    assert.is(line?.uid, process.getuid?.());
    assert.ok((line?.inode ?? 0) > 0);
  } finally {
    c.destroy();
    srv.close();
  }
});

test.run();
