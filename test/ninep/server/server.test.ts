import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough, Duplex } from 'node:stream';
import { Server, ServerOptionsError } from '../../../ninep/server/index.js';
import { openExport } from '../../../src/index.js';
import { tmpExport, waitFor } from '../../helpers/tmp-export.js';
import { startHarness } from './harness.js';

test('one client sending garbage never disturbs another', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'steady');
    const good = await h.session();
    await good.walk(0, 1, 'f');
    await good.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let round = 0; round < 20; round++) {
      const bad = await h.connect();
      if (round % 2) await bad.version();
      const junk = Buffer.alloc(200 + (rnd() % 2000));
      for (let i = 0; i < junk.length; i++) junk[i] = rnd() & 0xff;
      // A plausible size for the first frame, then noise.
      junk.writeUInt32LE(50, 0);
      bad.raw(junk);
      const r = await good.ok({ type: 'Tread', fid: 1, offset: 0n, count: 100 }, 'Rread');
      assert.is(r.data.toString(), 'steady');
      bad.sock.destroy();
    }
    await waitFor(() => h.server.connections === 1);
    assert.is(h.stats().handles, 1);
  } finally {
    await h.stop();
  }
});

test('aliases name an export too; a default export must exist', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir });
  try {
    assert.throws(() => new Server({ exports: new Map([['a', vfs]]), defaultExport: 'b' }), (e: unknown) => e instanceof ServerOptionsError);
    assert.throws(() => new Server({ exports: new Map([['a', vfs]]), aliases: new Map([['x', 'nope']]) }), (e: unknown) => e instanceof ServerOptionsError);
    const s = new Server({ exports: new Map([['a', vfs]]), aliases: new Map([[tmp.dir, 'a']]) });
    assert.is(s.exportFor(tmp.dir), s.exportFor('a'));
    assert.is(s.exportFor(''), s.exportFor('a'));
    assert.is(s.exportFor('zzz'), undefined);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test('close(): answers what is in flight, closes every connection, refuses new ones', async () => {
  const h = await startHarness();
  try {
    const [a, z] = await h.lockers('f', '');
    const lk = { type: 'Tlock', fid: 1, lock_type: 1, flags: 1, start: 0n, length: 0n, proc_id: 1, client_id: 'a' } as const;
    await a.ok(lk, 'Rlock');
    const waiting = z.send({ ...lk, proc_id: 2 });
    await waitFor(() => h.exportLocks().waiting === 1);
    await h.server.close();
    // The waiting request was answered (not granted) before its connection closed.
    assert.equal(await waiting, { type: 'Rlock', status: 1 });
    await a.ended;
    await z.ended;
    assert.is(h.stats().handles, 0);
    assert.is(h.server.connections, 0);
    // Served after close: destroyed at once.
    const pair = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    const closed = new Promise<void>((resolve) => pair.once('close', () => resolve()));
    h.server.serve(pair);
    await closed;
  } finally {
    await h.stop();
  }
});

test('a client that shuts down its side after its requests still gets every reply', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir });
  const server = new Server({ exports: new Map([['', vfs]]) });
  const { listenTcp } = await import('../../../ninep/transport/index.js');
  const l = await listenTcp({ port: 0 }, (sock) => server.serve(sock));
  try {
    const { encode, dialect9P2000L, FrameReader, NOFID } = await import('../../../ninep/index.js');
    const sock = net.connect(l.port, '127.0.0.1');
    const tags: number[] = [];
    const framer = new FrameReader(1 << 20, (f) => tags.push(f.readUInt16LE(5)));
    sock.on('data', (d: Buffer) => framer.push(d));
    const ended = new Promise<void>((resolve) => sock.once('end', () => resolve()));
    sock.write(encode(dialect9P2000L, 0xffff, { type: 'Tversion', msize: 8192, version: '9P2000.L' }));
    sock.write(encode(dialect9P2000L, 1, { type: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname: '', n_uname: 0 }));
    for (let t = 2; t < 50; t++) sock.write(encode(dialect9P2000L, t, { type: 'Tgetattr', fid: 0, request_mask: 0x7ffn }));
    sock.end();
    await ended;
    assert.is(tags.length, 50);
    await waitFor(() => server.connections === 0);
    sock.destroy();
  } finally {
    await l.close();
    await server.close();
    await vfs.close();
    tmp.cleanup();
  }
});

test('serve() works over any Duplex, not only sockets', async () => {
  const tmp = tmpExport();
  const vfs = await openExport({ path: tmp.dir });
  const server = new Server({ exports: new Map([['', vfs]]) });
  try {
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    const conn = Duplex.from({ readable: toServer, writable: fromServer });
    const session = server.serve(conn);
    const { encode, dialect9P2000, decode } = await import('../../../ninep/index.js');
    toServer.write(encode(dialect9P2000, 0xffff, { type: 'Tversion', msize: 8192, version: '9P2000.L' }));
    const reply = await new Promise<Buffer>((resolve) => fromServer.once('data', resolve));
    const { msg } = decode(dialect9P2000, reply);
    assert.equal(msg, { type: 'Rversion', msize: 8192, version: '9P2000.L' });
    toServer.end();
    await session.closed;
  } finally {
    await server.close();
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
