// How requests are read: on the event loop through the addon (the default
// where it is built), or by blocking reads on the thread pool
// (loopReader: false, or no addon). Both answer a real mount, and the
// loop reader ends the session when the mount goes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import type { FuseMount } from '../../fuse/mount.js';
import { loadNative } from '../../native/index.js';
import { gated, firstMissing } from '../helpers/gate.js';
import { fuseMissing, run, withMount } from './helpers/mount.js';

const test = suite('fuse loop reader');
const root = fuseMissing;
const addon = loadNative().native?.startReader ? undefined : `the FUSE addon with startReader (${loadNative().reason ?? 'rebuild it: node scripts/build-native.mjs'})`;

/** `cat` of `file` from a child started in / (never this process: it serves the mount). */
const cat = async (file: string): Promise<string> => (await run('cat', [file], '/')).stdout.toString();

function withLoopReader(loopReader: boolean | undefined, fn: (m: FuseMount, mnt: string) => Promise<void>): Promise<void> {
  return withMount(
    'hostfs',
    (data) => fs.writeFileSync(path.join(data, 'f'), 'answered'),
    (t) => fn(t.mount, t.mnt),
    { prefix: 'humbridge-fuse-loop-', mount: { passthrough: false, loopReader } },
  );
}

gated(test, 'by default requests are read on the event loop, and an unmount ends the session', firstMissing(root, addon), async () => {
  await withLoopReader(undefined, async (m, mnt) => {
    assert.is(m.session.readMode, 'loop');
    assert.is(await cat(path.join(mnt, 'f')), 'answered');
    await m.unmount();
    assert.ok(m.session.isEnded);
  });
});

gated(test, 'loopReader false reads on the thread pool and still answers', root, async () => {
  await withLoopReader(false, async (m, mnt) => {
    assert.is(m.session.readMode, 'pool');
    assert.is(await cat(path.join(mnt, 'f')), 'answered');
  });
});

test.run();
