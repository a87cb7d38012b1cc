// FOPEN_KEEP_CACHE per open (fuse/keep-cache.ts): a file read twice is read
// from the server once while it is unchanged; a change on the host (new
// mtime) is seen at the next open; keepCache: false reads it every time.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import type { FuseMount } from '../../fuse/mount.js';
import { gated } from '../helpers/gate.js';
import { fuseMissing, run, withMount } from './helpers/mount.js';

const test = suite('fuse keep cache');
const missing = fuseMissing;

/** `cat` of `file` from a child started in / (never this process: it serves the mount). */
const cat = async (file: string): Promise<string> => (await run('cat', [file], '/')).stdout.toString();

function withKeepCache(keepCache: boolean | undefined, fn: (m: FuseMount, file: string, host: string) => Promise<void>): Promise<void> {
  return withMount(
    'hostfs',
    (data) => fs.writeFileSync(path.join(data, 'f'), 'first version'),
    (t) => fn(t.mount, path.join(t.mnt, 'f'), path.join(t.data, 'f')),
    { prefix: 'humbridge-fuse-keep-', mount: { passthrough: false, keepCache } },
  );
}

const reads = (m: FuseMount): number => m.session.counts.get('READ') ?? 0;

gated(test, 'an unchanged file is read from the server once; a host edit is seen at the next open', missing, async () => {
  await withKeepCache(undefined, async (m, file, host) => {
    assert.is(await cat(file), 'first version');
    const once = reads(m);
    assert.ok(once > 0);
    assert.is(await cat(file), 'first version');
    assert.is(reads(m), once, 'the second open kept the cached pages');
    // Same size, new bytes and a new mtime, behind the server's back.
    fs.writeFileSync(host, 'other version');
    const later = new Date(Date.now() + 10_000);
    fs.utimesSync(host, later, later);
    assert.is(await cat(file), 'other version');
    assert.ok(reads(m) > once);
  });
});

gated(test, 'keepCache false reads the file from the server at every open', missing, async () => {
  await withKeepCache(false, async (m, file) => {
    assert.is(await cat(file), 'first version');
    const once = reads(m);
    assert.is(await cat(file), 'first version');
    assert.ok(reads(m) > once);
  });
});

test.run();
