// An unopened fid follows its name across host edits (handlers/follow-name.ts):
// the Linux client under cache=none keeps using the fid of a dentry in use,
// so a getattr or a clone walk must answer for what the name holds now.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { LINUX_ERRNO as E } from '../../../../src/errno.js';
import { startHarness, type WireConn } from '../harness.js';

const b = (s: string): Buffer => Buffer.from(s);

async function size(c: WireConn, fid: number): Promise<bigint> {
  return (await c.ok({ type: 'Tgetattr', fid, request_mask: 0x7ffn }, 'Rgetattr')).size;
}

/** Clones `fid`, opens the clone for reading and reads it whole. */
async function readThrough(c: WireConn, fid: number, clone: number): Promise<string> {
  await c.walk(fid, clone);
  await c.ok({ type: 'Tlopen', fid: clone, flags: 0 }, 'Rlopen');
  const r = await c.ok({ type: 'Tread', fid: clone, offset: 0n, count: 4096 }, 'Rread');
  await c.ok({ type: 'Tclunk', fid: clone }, 'Rclunk');
  return Buffer.from(r.data).toString();
}

test('a file saved on the host by rename over it: an unopened fid sees the new file, an open one the old', async () => {
  const h = await startHarness();
  try {
    const f = path.join(h.tmp.dir, 'f');
    fs.writeFileSync(f, 'old');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await c.walk(0, 2, 'f');
    await c.ok({ type: 'Tlopen', fid: 2, flags: 0 }, 'Rlopen');
    assert.is(await size(c, 1), 3n);
    fs.writeFileSync(`${f}.swp`, 'saved!');
    fs.renameSync(`${f}.swp`, f);
    assert.is(await size(c, 1), 6n);
    assert.is(await readThrough(c, 1, 3), 'saved!');
    assert.is(await size(c, 2), 3n, 'an open file stays the file it was');
    const r = await c.ok({ type: 'Tread', fid: 2, offset: 0n, count: 100 }, 'Rread');
    assert.is(Buffer.from(r.data).toString(), 'old');
  } finally {
    await h.stop();
  }
});

/** Asks `probe` until it gives `want` or 5 s passed (the host watcher works in the background); its last answer. */
async function settle<T>(probe: () => Promise<T>, want: T): Promise<T> {
  const end = Date.now() + 5000;
  for (;;) {
    const got = await probe();
    if (got === want || Date.now() > end) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('with the host watched: a save by rename over and a delete are still followed once the watcher has seen them', async () => {
  const h = await startHarness({ exportOptions: { watch: true } });
  try {
    const f = path.join(h.tmp.dir, 'f');
    const g = path.join(h.tmp.dir, 'g');
    fs.writeFileSync(f, 'old');
    fs.writeFileSync(g, 'x');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await c.walk(0, 2, 'g');
    assert.is(await size(c, 1), 3n);
    fs.writeFileSync(`${f}.swp`, 'saved!');
    fs.renameSync(`${f}.swp`, f);
    fs.unlinkSync(g);
    // Let the watcher see them first (it detaches the old nodes); their last names must still be looked up again.
    await new Promise((r) => setTimeout(r, 500));
    assert.is(await settle(() => size(c, 1), 6n), 6n);
    assert.is(await readThrough(c, 1, 3), 'saved!');
    const gone = () => c.err({ type: 'Tgetattr', fid: 2, request_mask: 0x7ffn }).catch(() => -1);
    assert.is(await settle(gone, E.ENOENT), E.ENOENT);
  } finally {
    await h.stop();
  }
});

test('a file deleted on the host: getattr and clone walk of an unopened fid are ENOENT', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'g'), 'x');
    const c = await h.session();
    await c.walk(0, 1, 'g');
    fs.unlinkSync(path.join(h.tmp.dir, 'g'));
    assert.is(await c.err({ type: 'Tgetattr', fid: 1, request_mask: 0x7ffn }), E.ENOENT);
    assert.is(await c.err({ type: 'Twalk', fid: 1, newfid: 2, wname: [] }), E.ENOENT);
  } finally {
    await h.stop();
  }
});

test('setattr of an unopened fid acts on the file the name holds now; 9P2000.u stat follows too', async () => {
  const h = await startHarness();
  try {
    const f = path.join(h.tmp.dir, 'f');
    fs.writeFileSync(f, 'old');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    fs.writeFileSync(`${f}.swp`, 'saved!');
    fs.renameSync(`${f}.swp`, f);
    const base = { type: 'Tsetattr', fid: 1, valid: 0x1, mode: 0o100600, uid: 0, gid: 0, size: 0n, atime_sec: 0n, atime_nsec: 0n, mtime_sec: 0n, mtime_nsec: 0n } as const;
    await c.ok(base, 'Rsetattr');
    assert.is(fs.statSync(f).mode & 0o777, 0o600);
    fs.unlinkSync(f);
    assert.is(await c.err(base), E.ENOENT);
    fs.writeFileSync(path.join(h.tmp.dir, 'u'), 'old');
    const u = await h.session('9P2000.u');
    await u.walk(0, 1, 'u');
    fs.writeFileSync(path.join(h.tmp.dir, 'u.swp'), 'saved!');
    fs.renameSync(path.join(h.tmp.dir, 'u.swp'), path.join(h.tmp.dir, 'u'));
    assert.is((await u.ok({ type: 'Tstat', fid: 1 }, 'Rstat')).stat.length, 6n);
  } finally {
    await h.stop();
  }
});

test('changes made through the server keep the fid on its file: own unlink, own rename', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'u'), 'unlinked');
    fs.writeFileSync(path.join(h.tmp.dir, 'r'), 'renamed');
    const c = await h.session();
    await c.walk(0, 1, 'u');
    await c.walk(0, 2, 'r');
    await c.ok({ type: 'Tunlinkat', dirfd: 0, name: b('u'), flags: 0 }, 'Runlinkat');
    assert.is(await size(c, 1), 8n, 'the guest removed it itself: still its file');
    await c.ok({ type: 'Trenameat', olddirfid: 0, oldname: b('r'), newdirfid: 0, newname: b('s') }, 'Rrenameat');
    assert.is(await size(c, 2), 7n);
    assert.is(await readThrough(c, 2, 3), 'renamed');
  } finally {
    await h.stop();
  }
});

test.run();
