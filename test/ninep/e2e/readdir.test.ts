// Directory listings of a 10,000-entry directory: every name exactly once,
// resumption from any entry's offset, and replies cut exactly at `count`
// (no partial entry, and no room left for the next one). In humfs mode the
// directory holds 2,000 entries, each with its record: what differs from
// hostfs is the record read per entry, and making 10,000 records (and
// removing them) would triple the time for no more coverage.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { direntSize, P9_DOTL_DIRECTORY, P9_DOTL_RDONLY, OREAD, unpackDirents, unpackStats, type Dirent } from '../../../ninep/index.js';
import { NinepError, readdirAll, walkPath, type Client } from '../../../ninep/client/index.js';
import { testModes, type Served } from './harness.js';
import { recordPath, setHostMeta } from './host-view.js';

/** How many entries big/ holds in the export's mode. */
const sizeIn = (s: Served): number => (s.mode === 'humfs' ? 2_000 : 10_000);

/** big/ with its empty files; in humfs mode each with its record, as humfsify leaves a tree. */
function fill(s: Served): string[] {
  fs.mkdirSync(path.join(s.dir, 'big'));
  if (s.mode === 'humfs') setHostMeta(s, 'big', { perm: 0o755 });
  const names = Array.from({ length: sizeIn(s) }, (_, i) => `file-${i.toString(36)}-${'x'.repeat(i % 40)}`);
  for (const n of names) {
    // open + close: a third of the time writeFileSync takes for an empty file.
    fs.closeSync(fs.openSync(path.join(s.dir, 'big', n), 'w'));
    if (s.mode === 'humfs') fs.writeFileSync(recordPath(s, `big/${n}`, false), '420 0 0\n');
  }
  return names.sort();
}

/** Every Rreaddir of a listing with this count. */
async function listing(c: Client, dir: number, count: number, from = 0n): Promise<Dirent[][]> {
  const replies: Dirent[][] = [];
  let offset = from;
  for (;;) {
    const data = await c.readdir(dir, offset, count);
    assert.ok(data.length <= count, `reply of ${data.length} bytes for count ${count}`);
    const ents = unpackDirents(data);
    if (ents.length === 0) return replies;
    replies.push(ents);
    offset = (ents[ents.length - 1] as Dirent).offset;
  }
}

testModes(test, '9P2000.L: a big directory, each entry once, cut exactly at count, resumable from any offset', {}, async (s) => {
  const names = fill(s);
  const { c, root } = await s.attached();
  const dir = await walkPath(c, root, 'big');
  await c.lopen(dir, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
  for (const count of [100, 4096, c.msize - 24]) {
    const replies = await listing(c, dir, count);
    const all = replies.flat();
    const got = all.map((e) => e.name.toString()).filter((n) => n !== '.' && n !== '..');
    assert.is(got.length, names.length, `count ${count}`);
    assert.equal([...got].sort(), names, `count ${count}: every name once`);
    for (let i = 0; i + 1 < replies.length; i++) {
      const used = (replies[i] as Dirent[]).reduce((n, e) => n + direntSize(e), 0);
      const next = (replies[i + 1] as Dirent[])[0] as Dirent;
      assert.ok(used + direntSize(next) > count, `count ${count}: reply ${i} left room for the next entry (${used} used)`);
    }
  }
  // Resume from the offset of entry k: the rest is exactly what followed k.
  const full = (await listing(c, dir, 8192)).flat();
  for (const k of [0, 1, full.length >> 1, full.length - 2]) {
    const rest = (await listing(c, dir, 8192, (full[k] as Dirent).offset)).flat();
    assert.equal(
      rest.map((e) => e.name.toString()),
      full.slice(k + 1).map((e) => e.name.toString()),
      `resume after entry ${k}`,
    );
  }
  const end = await c.readdir(dir, (full[full.length - 1] as Dirent).offset, 8192);
  assert.is(end.length, 0, 'the last offset gives an empty reply');
});

testModes(test, '9P2000.L: a listing through two fids at once, and readdirAll', {}, async (s) => {
  const names = fill(s);
  const { c, root } = await s.attached();
  const dir = await walkPath(c, root, 'big');
  const [a, b] = await Promise.all([readdirAll(c, dir), readdirAll(c, dir)]);
  for (const list of [a, b]) {
    assert.equal(list.map((e) => e.name.toString()).filter((n) => !n.startsWith('.')).sort(), names.filter((n) => !n.startsWith('.')));
  }
});

testModes(test, '9P2000.L: a count too small for the next entry is an error, never an empty (end-of-directory) reply', {}, async (s) => {
  fs.mkdirSync(path.join(s.dir, 'd'));
  fs.writeFileSync(path.join(s.dir, 'd', 'n'.repeat(200)), '');
  const { c, root } = await s.attached();
  const dir = await walkPath(c, root, 'd');
  await c.lopen(dir, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
  let offset = 0n;
  const seen: string[] = [];
  for (;;) {
    const r = await c.readdir(dir, offset, 60).then(
      (data) => unpackDirents(data),
      (e: unknown) => e,
    );
    if (!Array.isArray(r)) {
      assert.instance(r, NinepError);
      assert.is((r as NinepError).code, 'EINVAL');
      break;
    }
    assert.ok(r.length > 0, 'an empty reply would claim the listing is over');
    for (const e of r) seen.push(e.name.toString());
    offset = (r[r.length - 1] as Dirent).offset;
  }
  assert.not.ok(seen.includes('n'.repeat(200)));
  const all = await c.readdir(dir, offset, 4096);
  assert.equal(unpackDirents(all).map((e) => e.name.toString()).filter((n) => !n.startsWith('.')), ['n'.repeat(200)], 'a big enough count gets it');
});

for (const v of ['9P2000.u', '9P2000'] as const) {
  testModes(test, `${v}: directory reads return whole stat entries within count, offsets continue`, {}, async (s) => {
    const names = fill(s);
    const { c, root } = await s.attached(v);
    const dir = await walkPath(c, root, 'big');
    await c.open(dir, OREAD);
    const got: string[] = [];
    let offset = 0n;
    // 20, 20 and 10 reads stay inside the smaller humfs directory too.
    for (const [count, reads] of [[200, 20], [999, 20], [8192, 10]] as const) {
      for (let i = 0; i < reads; i++) {
        const data = await c.read(dir, offset, count);
        assert.ok(data.length > 0 && data.length <= count);
        for (const st of unpackStats(data, v === '9P2000.u')) got.push(st.name.toString());
        offset += BigInt(data.length);
      }
    }
    for (;;) {
      const data = await c.read(dir, offset, c.maxIo);
      if (data.length === 0) break;
      for (const st of unpackStats(data, v === '9P2000.u')) got.push(st.name.toString());
      offset += BigInt(data.length);
    }
    assert.equal(got.sort(), names);
  });
}

test.run();
