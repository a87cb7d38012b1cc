// One client opening a 20,000-entry directory through many fids and
// listing it from offset 0 again and again: the server keeps one listing
// for the directory (counted by the core), a second client is answered
// meanwhile, changes made on the host and through 9P show in the next
// listing, and everything is released when the fids are clunked.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_CREATE, P9_DOTL_DIRECTORY, P9_DOTL_RDONLY, P9_DOTL_RDWR, unpackDirents, type Dirent } from '../../../ninep/index.js';
import { walkPath, type Client } from '../../../ninep/client/index.js';
import type { CoreVfs } from '../../../src/index.js';
import { heldDescriptors, waitFor } from '../../helpers/tmp-export.js';
import { testModes } from './harness.js';

const N = 20_000;
const FIDS = 100;
const GETATTR_ALL = 0x3fffn;

/** Every name of a listing from offset 0. */
async function names(c: Client, fid: number): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0n; ; ) {
    const ents = unpackDirents(await c.readdir(fid, offset, 65536));
    if (ents.length === 0) return out;
    out.push(...ents.map((e) => e.name.toString()));
    offset = (ents[ents.length - 1] as Dirent).offset;
  }
}

testModes(
  test,
  `${FIDS} fids on a ${N}-entry directory share one listing; another client is answered meanwhile; changes are seen; all released`,
  {},
  async (s) => {
    fs.mkdirSync(path.join(s.dir, 'big'));
    for (let i = 0; i < N; i++) fs.closeSync(fs.openSync(path.join(s.dir, 'big', `entry-${i}`), 'w'));
    const core = s.vfs as CoreVfs;
    const one = await s.attached();
    const other = await s.attached();
    await other.c.getattr(other.root, GETATTR_ALL);
    const baseline = heldDescriptors();

    const fids: number[] = [];
    for (let i = 0; i < FIDS; i++) {
      const fid = await walkPath(one.c, one.root, 'big');
      await one.c.lopen(fid, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
      assert.ok(unpackDirents(await one.c.readdir(fid, 0n, 8192)).length > 2);
      fids.push(fid);
    }
    assert.equal(core.listingStats, { dirs: 1, listings: 1, names: N, builds: 1 }, 'one listing, built once');

    // 200 offset-0 listings at once: the other client's getattrs are
    // answered while they are in flight, first from the shared listing,
    // then after a change on the host, when one new build serves them all.
    const hammer = async (what: string): Promise<void> => {
      let hammering = true;
      const all = Promise.all(Array.from({ length: 200 }, (_, i) => one.c.readdir(fids[i % FIDS] as number, 0n, 65536))).finally(
        () => (hammering = false),
      );
      let answered = 0;
      let answeredDuring = 0;
      while (hammering || answered === 0) {
        await other.c.getattr(other.root, GETATTR_ALL);
        answered++;
        if (hammering) answeredDuring++;
      }
      await all;
      assert.ok(answeredDuring > 0, `${what}: the other client was answered while the listings ran`);
    };
    await hammer('shared listing');
    assert.is(core.listingStats.builds, 1, 'no rebuild for an unchanged directory');
    fs.writeFileSync(path.join(s.dir, 'big', 'host-made'), '');
    await hammer('after a host change');
    assert.is(core.listingStats.builds, 2, 'the 200 listings shared one new build');
    assert.ok((await names(one.c, fids[7] as number)).includes('host-made'), 'made on the host');

    // A change through 9P (another client), seen by the next listing.
    const d = await walkPath(other.c, other.root, 'big');
    await other.c.lcreate(d, 'made-over-9p', P9_DOTL_RDWR | P9_DOTL_CREATE, 0o644);
    await other.c.clunk(d);
    const after = await names(one.c, fids[42] as number);
    assert.ok(after.includes('made-over-9p'), 'made through the Vfs');
    assert.is(after.length, 2 + N + 2);
    assert.is(core.listingStats.listings, 1);

    for (const fid of fids) await one.c.clunk(fid);
    await waitFor(() => core.stats.handles === 0);
    assert.equal({ ...core.listingStats, builds: 0 }, { dirs: 0, listings: 0, names: 0, builds: 0 }, 'the listing is freed');
    await waitFor(() => heldDescriptors() <= baseline);
  },
  ['hostfs'],
);

test.run();
