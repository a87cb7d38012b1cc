// Shared directory listings: the structure alone (with a stamp and a
// listing the test controls), the sliced cookie build, and the real Vfs on
// a temp tree with many handles on one directory.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { DirListings } from '../../src/dir-listings.js';
import { assignCookies, buildCookieListSliced, resumeIndex } from '../../src/readdir-cookies.js';
import { CoreVfs, openExport, type DirEntry } from '../../src/index.js';
import { below, prng } from '../helpers/prng.js';
import { tmpExport } from '../helpers/tmp-export.js';

const B = (s: string): Buffer => Buffer.from(s);
const ME = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, groups: [] };

/** A directory the test controls: its names, its stamp, and how often it was listed. */
function fakeDir(names: string[]): { names: string[]; stamp: string; lists: number; list: () => Promise<Buffer[]> } {
  const d = {
    names,
    stamp: 's1',
    lists: 0,
    list: async (): Promise<Buffer[]> => {
      d.lists++;
      return d.names.map(B);
    },
  };
  return d;
}

test('handles of one directory share one listing, built once, also when asked at once', async () => {
  const l = new DirListings();
  const d = fakeDir(['a', 'b', 'c']);
  for (let i = 0; i < 5; i++) l.open(7);
  const lists = await Promise.all(Array.from({ length: 5 }, () => l.get(7, true, () => d.stamp, d.list)));
  assert.is(d.lists, 1, 'five listings at once, one build');
  for (const x of lists) assert.is(x, lists[0], 'the same listing object');
  await l.get(7, true, () => d.stamp, d.list);
  assert.is(d.lists, 1, 'unchanged: served from the shared listing');
  assert.equal(l.stats, { dirs: 1, listings: 1, names: 3, builds: 1 });
  for (let i = 0; i < 5; i++) l.close(7);
  assert.equal(l.stats, { dirs: 0, listings: 0, names: 0, builds: 1 }, 'the last handle frees it');
});

test('a change through the Vfs is seen by the next fresh listing, even when the stamp stays', async () => {
  const l = new DirListings();
  const d = fakeDir(['a']);
  l.open(1);
  await l.get(1, true, () => d.stamp, d.list);
  d.names = ['a', 'b'];
  l.changed(1);
  const resumed = await l.get(1, false, () => d.stamp, d.list);
  assert.is(resumed.length, 1, 'a resumed listing goes on with what it had');
  const fresh = await l.get(1, true, () => d.stamp, d.list);
  assert.equal(fresh.names.map(String).sort(), ['a', 'b']);
  assert.is(d.lists, 2);
  l.close(1);
});

test('a change on the host (a new stamp) is seen by the next fresh listing', async () => {
  const l = new DirListings();
  const d = fakeDir(['a']);
  l.open(1);
  await l.get(1, true, () => d.stamp, d.list);
  d.names = ['a', 'z'];
  d.stamp = 's2';
  assert.equal((await l.get(1, true, () => d.stamp, d.list)).names.map(String).sort(), ['a', 'z']);
  assert.is(d.lists, 2);
  l.close(1);
});

test('a change during a build: that build serves its callers, the next fresh listing builds again', async () => {
  const l = new DirListings();
  const d = fakeDir(['a']);
  l.open(1);
  let release = (): void => {};
  const gate = new Promise<void>((r) => (release = r));
  const slow = async (): Promise<Buffer[]> => {
    const names = d.names.map(B);
    d.lists++;
    await gate;
    return names;
  };
  const first = l.get(1, true, () => d.stamp, slow);
  await new Promise((r) => setImmediate(r));
  d.names = ['a', 'b'];
  l.changed(1);
  release();
  assert.is((await first).length, 1);
  assert.is((await l.get(1, true, () => d.stamp, d.list)).length, 2);
  assert.is(d.lists, 2);
  l.close(1);
});

test('a directory that keeps changing on the host: one build at a time, and the waiters share the next', async () => {
  const l = new DirListings();
  const d = fakeDir(['a']);
  l.open(1);
  let running = 0;
  let most = 0;
  const slow = async (): Promise<Buffer[]> => {
    running++;
    most = Math.max(most, running);
    d.lists++;
    await new Promise((r) => setImmediate(r));
    running--;
    return d.names.map(B);
  };
  // Every stamp read sees a new state, as if the host changed the directory each time.
  let n = 0;
  const got = await Promise.all(Array.from({ length: 20 }, () => l.get(1, true, () => `s${n++}`, slow)));
  assert.is(got.length, 20);
  assert.is(most, 1, 'never two builds of one directory at once');
  assert.is(d.lists, 2, 'the first build, then one the other 19 waited for and share');
  l.close(1);
});

test('the sliced build pauses between slices and gives exactly the cookies of the one-go build', async () => {
  const rand = prng(3);
  const names = Array.from({ length: 20_000 }, (_, i) => B(`n-${i}-${below(rand, 1000)}`));
  let pauses = 0;
  const list = await buildCookieListSliced(names, async () => {
    pauses++;
  });
  assert.ok(pauses >= 10, `${pauses} pauses for 20,000 names`);
  const plain = assignCookies(names);
  assert.is(list.length, plain.length);
  for (let k = 0; k < plain.length; k++) {
    const p = plain[k] as { name: Buffer; cookie: bigint };
    assert.ok(list.names[k]?.equals(p.name) && list.cookieAt(k) === p.cookie, `entry ${k}`);
  }
  for (let i = 0; i < 200; i++) {
    const c = (plain[below(rand, plain.length)] as { cookie: bigint }).cookie + BigInt(below(rand, 3)) - 1n;
    assert.is(list.resumeIndex(c), resumeIndex(plain, c));
  }
  assert.is(list.resumeIndex(0n), 0);
  assert.is(list.resumeIndex((1n << 63n) - 1n), plain.length);
});

test('the real Vfs: 40 handles on a 5,000-entry directory hold one listing; host and Vfs changes seen; all freed', async () => {
  const tmp = tmpExport('humbridge-listings-');
  const vfs = (await openExport({ path: tmp.dir })) as CoreVfs;
  try {
    fs.mkdirSync(path.join(tmp.dir, 'big'));
    for (let i = 0; i < 5_000; i++) fs.closeSync(fs.openSync(path.join(tmp.dir, 'big', `f${i}`), 'w'));
    const dir = await vfs.lookup(ME, vfs.root, B('big'));
    const handles: number[] = [];
    for (let i = 0; i < 40; i++) {
      const h = await vfs.opendir(ME, dir.id);
      await vfs.readdir(h, 0n, 50);
      handles.push(h);
    }
    assert.equal(vfs.listingStats, { dirs: 1, listings: 1, names: 5_000, builds: 1 });
    // One readdir of 5,000 entries from the built listing lets other work
    // run between slices of lstats (count the event-loop turns it allowed).
    let turns = 0;
    let reading = true;
    const tick = (): void => {
      turns++;
      if (reading) setImmediate(tick);
    };
    setImmediate(tick);
    const big = await vfs.readdir(handles[0] as number, 0n, 5_002);
    reading = false;
    assert.is(big.length, 5_002);
    assert.ok(turns >= 10, `${turns} turns of the event loop during a 5,000-entry readdir`);
    const all = async (h: number): Promise<string[]> => {
      const out: string[] = [];
      for (let c = 0n; ; ) {
        const b = await vfs.readdir(h, c, 1000);
        if (b.length === 0) return out;
        out.push(...b.map((e) => e.name.toString()));
        c = (b[b.length - 1] as DirEntry).cookie;
      }
    };
    fs.writeFileSync(path.join(tmp.dir, 'big', 'host-made'), '');
    assert.ok((await all(handles[3] as number)).includes('host-made'), 'made on the host');
    const made = await vfs.create(ME, dir.id, B('vfs-made'), 0o2 /* O_RDWR */, 0o644);
    await vfs.release(made.handle);
    vfs.forget(made.entry.id, 1);
    const names = await all(handles[9] as number);
    assert.ok(names.includes('vfs-made'), 'made through the Vfs');
    assert.is(names.length, 2 + 5_002);
    assert.is(vfs.listingStats.listings, 1);
    for (const h of handles) await vfs.releasedir(h);
    vfs.forget(dir.id, 1);
    assert.equal({ ...vfs.listingStats, builds: 0 }, { dirs: 0, listings: 0, names: 0, builds: 0 });
    assert.is(vfs.stats.handles, 0);
  } finally {
    await vfs.close();
    tmp.cleanup();
  }
});

test.run();
