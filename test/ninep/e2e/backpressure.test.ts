// A client that sends many big reads and stops reading its replies must not
// make the server buffer them all: the server stops reading requests while
// its socket's write queue is above the high-water mark, and catches up when
// the client reads again.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { dialect9P2000L, encode, NOTAG, P9_DOTL_RDONLY } from '../../../ninep/index.js';
import { testModes } from './harness.js';

const MSIZE = 1 << 20;
const HIGH_WATER = 2 << 20;
const REQUESTS = 200; // 200 MiB of replies if nothing held the server back
/** Requests the server runs at once: each finished one frees a slot, so only the mark stops the queue growing. */
const IN_FLIGHT = 16;

testModes(test, 'replies to a client that does not read stay bounded; all arrive once it reads', { server: { writeHighWater: HIGH_WATER, maxMsize: MSIZE, maxInFlight: IN_FLIGHT } }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'big'), Buffer.alloc(MSIZE, 0x5a));
  const raw = await s.raw();
  raw.send(encode(dialect9P2000L, NOTAG, { type: 'Tversion', msize: MSIZE, version: '9P2000.L' }));
  await raw.next();
  raw.send(encode(dialect9P2000L, 1, { type: 'Tattach', fid: 1, afid: 0xffffffff, uname: 'root', aname: '', n_uname: 0 }));
  await raw.next();
  raw.send(encode(dialect9P2000L, 1, { type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('big')] }));
  await raw.next();
  raw.send(encode(dialect9P2000L, 1, { type: 'Tlopen', fid: 2, flags: P9_DOTL_RDONLY }));
  await raw.next();
  raw.sock.pause();
  const frames = Array.from({ length: REQUESTS }, (_, i) =>
    encode(dialect9P2000L, i + 10, { type: 'Tread', fid: 2, offset: 0n, count: MSIZE - 24 }),
  );
  raw.send(Buffer.concat(frames));
  const [server] = s.serverSockets();
  assert.ok(server, 'the server side of the connection');
  // Wait until the server has filled its queue to the mark, then give it
  // many turns of the event loop to (wrongly) go on.
  const start = Date.now();
  while (server.writableLength < HIGH_WATER) {
    if (Date.now() - start > 20_000) assert.unreachable(`queue never reached the mark (${server.writableLength})`);
    await new Promise((r) => setTimeout(r, 1));
  }
  let peak = 0;
  for (let i = 0; i < 300; i++) {
    peak = Math.max(peak, server.writableLength);
    await new Promise((r) => setImmediate(r));
  }
  // At the mark, the reads already running may still each add a reply of
  // at most msize; nothing near the 200 MiB asked for.
  assert.ok(peak <= HIGH_WATER + (IN_FLIGHT + 1) * MSIZE, `server queued ${peak} bytes`);
  raw.sock.resume();
  let got = 0;
  while (got < REQUESTS) {
    const f = await raw.next();
    assert.is(f[4], 117, 'Rread');
    assert.is(f.readUInt32LE(7), MSIZE - 24);
    got++;
  }
});

test.run();
