import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { ClientError, connectAddress, parseAddress } from '../../../ninep/client/index.js';

test('parses tcp, bare host:port, [v6] and unix addresses', () => {
  assert.equal(parseAddress('tcp:127.0.0.1:5640'), { kind: 'tcp', host: '127.0.0.1', port: 5640 });
  assert.equal(parseAddress('localhost:564'), { kind: 'tcp', host: 'localhost', port: 564 });
  assert.equal(parseAddress('tcp:[::1]:5640'), { kind: 'tcp', host: '::1', port: 5640 });
  assert.equal(parseAddress('unix:/run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
});

test('rejects addresses without a port or path', () => {
  for (const bad of ['tcp:host', 'unix:', 'tcp:h:0', 'tcp:h:70000', '']) {
    assert.throws(() => parseAddress(bad), (e: unknown) => e instanceof ClientError && e.reason === 'usage', bad);
  }
});

test('connecting to a closed port fails with ClientError closed', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const e = (await connectAddress({ kind: 'tcp', host: '127.0.0.1', port }).catch((x: unknown) => x)) as ClientError;
  assert.instance(e, ClientError);
  assert.is(e.reason, 'closed');
});

test.run();
