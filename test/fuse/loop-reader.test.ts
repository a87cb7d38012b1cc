// How requests are read: on the event loop through the addon (the default
// where it is built), or by blocking reads on the thread pool
// (loopReader: false, or no addon). Both answer a real mount, and the
// loop reader ends the session when the mount goes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { openExport, nullLogger } from '../../src/index.js';
import { mountFuse, type FuseMount } from '../../fuse/mount.js';
import { loadNative } from '../../native/index.js';
import { gated, firstMissing, needRoot, needFile } from '../helpers/gate.js';
import { tmpExport } from '../helpers/tmp-export.js';
import { run, unmountAll } from './helpers/mount.js';

const test = suite('fuse loop reader');
const root = firstMissing(needRoot('mount FUSE'), needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'));
const addon = loadNative().native?.startReader ? undefined : `the FUSE addon with startReader (${loadNative().reason ?? 'rebuild it: node scripts/build-native.mjs'})`;

/** `cat` of `file` from a child started in / (never this process: it serves the mount). */
const cat = async (file: string): Promise<string> => (await run('cat', [file], '/')).stdout.toString();

async function withMount(loopReader: boolean | undefined, fn: (m: FuseMount, mnt: string) => Promise<void>): Promise<void> {
  const tmp = tmpExport('humbridge-fuse-loop-');
  const mnt = path.join(tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  fs.writeFileSync(path.join(tmp.dir, 'f'), 'answered');
  const vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  let m: FuseMount | undefined;
  try {
    m = await mountFuse(vfs, mnt, { log: nullLogger, passthrough: false, loopReader });
    await fn(m, mnt);
  } finally {
    try {
      await unmountAll(m, mnt);
    } finally {
      await vfs.close();
      tmp.cleanup();
    }
  }
}

gated(test, 'by default requests are read on the event loop, and an unmount ends the session', firstMissing(root, addon), async () => {
  await withMount(undefined, async (m, mnt) => {
    assert.is(m.session.readMode, 'loop');
    assert.is(await cat(path.join(mnt, 'f')), 'answered');
    await m.unmount();
    assert.ok(m.session.isEnded);
  });
});

gated(test, 'loopReader false reads on the thread pool and still answers', root, async () => {
  await withMount(false, async (m, mnt) => {
    assert.is(m.session.readMode, 'pool');
    assert.is(await cat(path.join(mnt, 'f')), 'answered');
  });
});

test.run();
