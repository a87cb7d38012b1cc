// How a handle's descriptor is closed at release: one nothing was written
// through (a read-only open, an empty file a create made) at once on the
// calling thread; one written through on the thread pool (a close may write
// back). Told apart by filling the pool: a close that needs it waits.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openExport } from '../../../src/index.js';
import { O_CREAT, O_EXCL, O_RDWR, O_TRUNC, O_WRONLY } from '../../../src/types.js';
import { B, ME } from '../../conformance/vfs.js';
import { tmpExport } from '../../helpers/tmp-export.js';

/** Keeps every thread-pool thread busy for a while: `free` settles when the first is free again, `done` when all are. */
function fillPool(): { free: Promise<void>; done: Promise<void> } {
  const threads = Number(process.env['UV_THREADPOOL_SIZE']) || 4;
  const jobs = Array.from({ length: threads }, () => new Promise<void>((resolve) => crypto.pbkdf2('p', 's', 3_000_000, 32, 'sha256', () => resolve())));
  return { free: Promise.race(jobs), done: Promise.all(jobs).then(() => undefined) };
}

/** Which settles first: the release, or the first pool thread to be free again (a close on the pool runs after it). */
async function first(release: Promise<void>): Promise<'release' | 'pool'> {
  const pool = fillPool();
  const r = await Promise.race([release.then(() => 'release' as const), pool.free.then(() => 'pool' as const)]);
  await Promise.all([release, pool.done]);
  return r;
}

test('a handle nothing was written through is closed without the thread pool; a written one through it', async () => {
  const tmp = tmpExport('humbridge-release-');
  const vfs = await openExport({ path: tmp.dir });
  try {
    const made = await vfs.create(ME, vfs.root, B('empty'), O_CREAT | O_EXCL | O_WRONLY, 0o644);
    assert.is(await first(vfs.release(made.handle)), 'release', 'an empty file a create made');

    const w = await vfs.create(ME, vfs.root, B('written'), O_CREAT | O_EXCL | O_WRONLY, 0o644);
    await vfs.write(w.handle, 0n, B('data'));
    assert.is(await first(vfs.release(w.handle)), 'pool', 'a file written through the handle');
    assert.is(fs.readFileSync(path.join(tmp.dir, 'written'), 'utf8'), 'data');

    const t = await vfs.open(ME, made.entry.id, O_RDWR | O_TRUNC);
    assert.is(await first(vfs.release(t)), 'pool', 'an O_TRUNC open');

    const s = await vfs.open(ME, made.entry.id, O_RDWR);
    await vfs.setattr(ME, made.entry.id, { size: 10n }, s);
    assert.is(await first(vfs.release(s)), 'pool', 'a truncate through the handle');
    assert.is(fs.statSync(path.join(tmp.dir, 'empty')).size, 10);

    vfs.forget(made.entry.id, 1);
    vfs.forget(w.entry.id, 1);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
