import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fdConnection, parseFdPair } from '../../../ninep/transport/index.js';
import { tmpExport, waitFor } from '../../helpers/tmp-export.js';

test('parseFdPair: stdio and fd:R,W', () => {
  assert.equal(parseFdPair('stdio'), { read: 0, write: 1 });
  assert.equal(parseFdPair('fd:3,4'), { read: 3, write: 4 });
  assert.throws(() => parseFdPair('fd:3'), RangeError);
});

/**
 * Two FIFOs in a temporary folder, opened as a connection would hold them
 * (connIn, connOut) and as the test drives them (feed writes into connIn,
 * drain reads what connOut sent). O_NONBLOCK read opens of a FIFO do not wait
 * for a writer; the test keeps its own ends.
 */
async function withFifos(fn: (p: { connIn: number; feed: number; drain: number; connOut: number }) => Promise<void>): Promise<void> {
  const tmp = tmpExport();
  try {
    const inPath = path.join(tmp.dir, 'in');
    const outPath = path.join(tmp.dir, 'out');
    execFileSync('mkfifo', [inPath, outPath]);
    const connIn = fs.openSync(inPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const feed = fs.openSync(inPath, fs.constants.O_WRONLY);
    const drain = fs.openSync(outPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const connOut = fs.openSync(outPath, fs.constants.O_WRONLY);
    try {
      await fn({ connIn, feed, drain, connOut });
    } finally {
      fs.closeSync(drain);
    }
  } finally {
    tmp.cleanup();
  }
}

test('fdConnection over two FIFOs (pipes): bytes both ways, end of input ends the stream', () =>
  withFifos(async ({ connIn, feed, drain, connOut }) => {
    const conn = fdConnection({ read: connIn, write: connOut });
    const got: Buffer[] = [];
    conn.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise<void>((resolve) => conn.once('end', () => resolve()));
    fs.writeSync(feed, 'ping');
    fs.closeSync(feed);
    await ended;
    assert.is(Buffer.concat(got).toString(), 'ping');
    await new Promise<void>((resolve) => conn.end('pong', () => resolve()));
    const buf = Buffer.alloc(16);
    const n = fs.readSync(drain, buf);
    assert.is(buf.subarray(0, n).toString(), 'pong');
    conn.destroy();
  }));

test('fdConnection with onread: bytes arrive as views of one reused buffer, then end', () =>
  withFifos(async ({ connIn, feed, connOut }) => {
    const copies: Buffer[] = [];
    const backing = new Set<ArrayBufferLike>();
    const conn = fdConnection({ read: connIn, write: connOut }, { onread: (c) => (copies.push(Buffer.from(c)), backing.add(c.buffer)), readBufferSize: 4096 });
    conn.on('data', () => assert.unreachable('no data events with onread'));
    const ended = new Promise<void>((resolve) => conn.once('end', () => resolve()));
    for (let i = 0; i < 5; i++) {
      fs.writeSync(feed, Buffer.alloc(3000, 65 + i));
      await waitFor(() => copies.reduce((n, c) => n + c.length, 0) >= 3000 * (i + 1));
    }
    fs.closeSync(feed);
    await ended;
    const all = Buffer.concat(copies);
    assert.is(all.length, 15000);
    assert.is(all[14999], 69);
    assert.is(backing.size, 1, 'one buffer reused for every read');
    conn.destroy();
  }));

test('fdConnection over regular files falls back to fs streams', async () => {
  const tmp = tmpExport();
  try {
    fs.writeFileSync(path.join(tmp.dir, 'r'), 'from file');
    const r = fs.openSync(path.join(tmp.dir, 'r'), 'r');
    const w = fs.openSync(path.join(tmp.dir, 'w'), 'w');
    const conn = fdConnection({ read: r, write: w });
    const got: Buffer[] = [];
    conn.on('data', (d: Buffer) => got.push(d));
    await new Promise<void>((resolve) => conn.once('end', () => resolve()));
    await new Promise<void>((resolve) => conn.end('to file', () => resolve()));
    assert.is(Buffer.concat(got).toString(), 'from file');
    assert.is(fs.readFileSync(path.join(tmp.dir, 'w'), 'utf8'), 'to file');
    conn.destroy();
  } finally {
    tmp.cleanup();
  }
});

test.run();
