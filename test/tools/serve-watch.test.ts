// Host edits behind `humbridge serve` (a real process, a real unix socket,
// a 9P2000.L client with the server's caches warm): seen through new walks,
// reads, listings and open fids; in humfs mode the records follow, so
// `humfsify --check` stays clean. And --watch=off really turns the watcher
// off (the server then holds no inotify watch).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, connectAddress, openFid, readdirAll, readFile, statPath, walkPath } from '../../ninep/client/index.js';
import { inotifyWatches } from '../helpers/inotify.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { makeLayout } from '../src/meta/humfs-helpers.js';
import { cliPath as humfsifyCli } from './humfsify-helpers.js';
import { startServe, stopServe, type Running } from './serve-process.js';

/** Never seen within this long is a failure (no assertion on how fast). */
const DEADLINE_MS = 10_000;
const CHUNK = 64 * 1024;

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await get().catch((e: unknown) => e as T);
    if (ok(v)) return v;
    if (Date.now() > end) assert.unreachable(`${what}: never seen; last ${String(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Served {
  tmp: TmpExport;
  data: string;
  r: Running;
  c: Client;
  root: number;
}

async function withServed(humfs: boolean, extra: string[], fill: (data: string) => void, fn: (s: Served) => Promise<void>): Promise<void> {
  const tmp = tmpExport('humbridge-serve-watch-');
  const sock = path.join(tmp.outside, '9p.sock');
  const data = humfs ? path.join(tmp.dir, 'data') : tmp.dir;
  if (humfs) makeLayout(tmp.dir);
  fill(data);
  if (humfs) {
    // Records for what fill() made, as a conversion would.
    const check = spawnSync(process.execPath, [humfsifyCli, '--check', '--repair'], { cwd: tmp.dir, encoding: 'utf8' });
    assert.ok(check.status === 0 || check.status === 1, check.stderr);
  }
  const r = startServe([tmp.dir, '--listen', `unix:${sock}`, ...(humfs ? ['--humfs'] : []), ...extra]);
  let c: Client | undefined;
  try {
    await r.ready;
    c = await Client.connect(await connectAddress({ kind: 'unix', path: sock }), { msize: 256 * 1024 });
    const { fid } = await c.attach({ uname: 'root', n_uname: 0 });
    await fn({ tmp, data, r, c, root: fid });
  } finally {
    await c?.close().catch(() => undefined);
    await stopServe(r);
    tmp.cleanup();
  }
}

const names = async (s: Served, dir: string): Promise<string> => {
  const fid = await walkPath(s.c, s.root, dir);
  try {
    return (await readdirAll(s.c, fid)).map((e) => e.name.toString()).filter((n) => n !== '.' && n !== '..').sort().join(',');
  } finally {
    await s.c.clunk(fid);
  }
};

test('serve: host edits reach a 9P client with warm caches: contents, sizes, modes, listings, read-aheads; an open fid keeps the replaced file', async () => {
  const big = crypto.randomBytes(4 * CHUNK);
  await withServed(false, [], (d) => {
    fs.writeFileSync(path.join(d, 'big'), big);
    fs.writeFileSync(path.join(d, 'saved'), 'saved old\n');
    fs.writeFileSync(path.join(d, 'doomed'), 'x');
    fs.mkdirSync(path.join(d, 'sub'));
    fs.writeFileSync(path.join(d, 'sub', 'f'), 'f old\n');
  }, async (s) => {
    assert.ok(inotifyWatches(s.r.child.pid as number) >= 1, 'watching by default');
    // Warm: listings, reads, stats; `saved` held open.
    assert.is(await names(s, '/'), 'big,doomed,saved,sub');
    assert.is(await names(s, 'sub'), 'f');
    assert.is((await readFile(s.c, s.root, 'sub/f')).toString(), 'f old\n');
    const held = await walkPath(s.c, s.root, 'saved');
    await openFid(s.c, held, 'read');
    assert.is((await s.c.read(held, 0n, 100)).toString(), 'saved old\n');
    // Two sequential full reads: the server reads the third chunk ahead.
    const bigFid = await walkPath(s.c, s.root, 'big');
    await openFid(s.c, bigFid, 'read');
    await s.c.read(bigFid, 0n, CHUNK);
    await s.c.read(bigFid, BigInt(CHUNK), CHUNK);
    await new Promise((r) => setTimeout(r, 300));

    // The host rewrites the chunk read ahead, in place.
    const fresh = Buffer.alloc(CHUNK, 0x5a);
    const fd = fs.openSync(path.join(s.data, 'big'), 'r+');
    fs.writeSync(fd, fresh, 0, CHUNK, 2 * CHUNK);
    fs.closeSync(fd);
    fs.appendFileSync(path.join(s.data, 'sub', 'f'), 'more\n');
    fs.writeFileSync(path.join(s.data, '.saved.tmp'), 'saved new\n');
    fs.renameSync(path.join(s.data, '.saved.tmp'), path.join(s.data, 'saved'));
    fs.unlinkSync(path.join(s.data, 'doomed'));
    fs.writeFileSync(path.join(s.data, 'born'), 'born\n');
    fs.chmodSync(path.join(s.data, 'sub', 'f'), 0o600);
    fs.mkdirSync(path.join(s.data, 'made'));
    // The watcher's batch comes within milliseconds; this wait is generous, not measured.
    await new Promise((r) => setTimeout(r, 1000));

    assert.ok((await s.c.read(bigFid, BigInt(2 * CHUNK), CHUNK)).equals(fresh), 'the read-ahead of the rewritten chunk was dropped');
    await until(() => names(s, '/'), (v) => v === 'big,born,made,saved,sub', 'listing after delete, create, mkdir');
    await until(async () => (await readFile(s.c, s.root, 'sub/f')).toString(), (v) => v === 'f old\nmore\n', 'appended contents');
    const st = await statPath(s.c, s.root, 'sub/f');
    assert.is(st.size, 11n);
    assert.is(st.mode & 0o777, 0o600);
    assert.is((await readFile(s.c, s.root, 'saved')).toString(), 'saved new\n');
    assert.is((await s.c.read(held, 0n, 100)).toString(), 'saved old\n', 'the open fid reads the file it opened');
    await s.c.clunk(held);
    await s.c.clunk(bigFid);
  });
});

test('serve --humfs: a host-added file gets a record, a host-deleted one loses it; humfsify --check stays clean', async () => {
  await withServed(true, ['--missing-metadata', 'default', '--default-owner', '1234:5678'], (d) => {
    fs.writeFileSync(path.join(d, 'kept'), 'k');
    fs.writeFileSync(path.join(d, 'doomed'), 'x');
    fs.mkdirSync(path.join(d, 'dir'));
    fs.writeFileSync(path.join(d, 'dir', 'inner'), 'i');
  }, async (s) => {
    assert.is(await names(s, '/'), 'dir,doomed,kept');
    assert.is(await names(s, 'dir'), 'inner');
    fs.writeFileSync(path.join(s.data, 'born'), 'born\n');
    fs.mkdirSync(path.join(s.data, 'tree'));
    fs.writeFileSync(path.join(s.data, 'tree', 'leaf'), 'leaf');
    fs.unlinkSync(path.join(s.data, 'doomed'));
    fs.rmSync(path.join(s.data, 'dir'), { recursive: true });
    const meta = (rel: string): string | null => {
      try {
        return fs.readFileSync(path.join(s.tmp.dir, rel), 'latin1');
      } catch {
        return null;
      }
    };
    await until(async () => meta('file_metadata/born'), (v) => v === '420 1234 5678\n', 'record of the host-added file');
    await until(async () => meta('file_metadata/tree/leaf'), (v) => v === '420 1234 5678\n', 'record inside a host-added directory');
    await until(async () => meta('file_metadata/doomed') === null && meta('dir_metadata/dir/metadata') === null, (v) => v, 'records of host-deleted entries removed');
    const st = await statPath(s.c, s.root, 'born');
    assert.is(`${st.uid}:${st.gid}`, '1234:5678');
    assert.is(await names(s, '/'), 'born,kept,tree');
    // `used` is measured again after host edits and written out soon: poll until the check is clean.
    await until(
      async () => spawnSync(process.execPath, [humfsifyCli, '--check'], { cwd: s.tmp.dir, encoding: 'utf8' }),
      (r) => r.status === 0,
      'humfsify --check clean',
    );
  });
});

test('serve --watch=off holds no inotify watch', async () => {
  await withServed(false, ['--watch=off'], (d) => fs.writeFileSync(path.join(d, 'f'), 'f'), async (s) => {
    assert.is(await names(s, '/'), 'f');
    assert.is(inotifyWatches(s.r.child.pid as number), 0);
  });
});

test.run();
