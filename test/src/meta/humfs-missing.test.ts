// humfs: data/ entries without a record (added on the host side) under each
// missingMetadata policy, each logged once; unparsable records.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openExport } from '../../../src/index.js';
import type { Logger } from '../../../src/log.js';
import { S_IFDIR, S_IFREG, type Attr } from '../../../src/types.js';
import type { ExportOptions } from '../../../src/options.js';
import type { Vfs } from '../../../src/vfs.js';
import { B, listNames, ME, rejects } from '../../conformance/vfs.js';
import { tmpExport, waitFor } from '../../helpers/tmp-export.js';
import { makeLayout, openHumfsExport, readMeta } from './humfs-helpers.js';

interface Captured {
  logger: Logger;
  warns: string[];
  errors: string[];
}

function capture(): Captured {
  const c: Captured = {
    warns: [],
    errors: [],
    logger: { debug: () => {}, info: () => {}, warn: (m) => c.warns.push(m), error: (m) => c.errors.push(m) },
  };
  return c;
}

/** An export with a host-made file and directory (no records), and one file with a record. */
async function withHostFiles(opts: Partial<ExportOptions>, fn: (vfs: Vfs, dir: string) => Promise<void>, rootRecord = true): Promise<void> {
  const tmp = tmpExport('humfs-missing-');
  let vfs: Vfs | null = null;
  try {
    makeLayout(tmp.dir);
    if (!rootRecord) fs.rmSync(path.join(tmp.dir, 'dir_metadata/metadata'));
    const data = path.join(tmp.dir, 'data');
    fs.writeFileSync(path.join(data, 'hostfile'), 'from the host');
    fs.chmodSync(path.join(data, 'hostfile'), 0o640);
    fs.mkdirSync(path.join(data, 'hostdir'));
    fs.chmodSync(path.join(data, 'hostdir'), 0o750);
    if (process.getuid?.() === 0) {
      fs.chownSync(path.join(data, 'hostfile'), 321, 654);
      fs.chownSync(path.join(data, 'hostdir'), 321, 654);
    }
    fs.writeFileSync(path.join(data, 'known'), '');
    fs.writeFileSync(path.join(tmp.dir, 'file_metadata/known'), '384 5 6\n');
    vfs = await openHumfsExport(tmp.dir, opts);
    await fn(vfs, tmp.dir);
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
}

async function attrOf(vfs: Vfs, name: string): Promise<Attr> {
  return (await vfs.lookup(ME, vfs.root, B(name))).attr;
}

test('host (default): the host\'s owner and mode, logged once per file', async () => {
  const log = capture();
  await withHostFiles({ logger: log.logger }, async (vfs, dir) => {
    const st = fs.statSync(path.join(dir, 'data/hostfile'));
    for (let i = 0; i < 3; i++) {
      const a = await attrOf(vfs, 'hostfile');
      assert.is(a.mode, S_IFREG | 0o640);
      assert.is(a.uid, st.uid);
      assert.is(a.gid, st.gid);
      await vfs.getattr((await vfs.lookup(ME, vfs.root, B('hostdir'))).id);
      await listNames(vfs, vfs.root);
    }
    assert.is((await attrOf(vfs, 'hostdir')).mode, S_IFDIR | 0o750);
    assert.is((await attrOf(vfs, 'known')).uid, 5, 'a record still wins');
    // Logged a moment after being seen (see missing.ts).
    await waitFor(() => log.warns.length >= 2);
    await attrOf(vfs, 'hostfile');
    assert.is(log.warns.length, 2, log.warns.join('\n'));
    assert.ok(log.warns.some((w) => w.includes('data/hostfile')));
    assert.ok(log.warns.some((w) => w.includes('data/hostdir')));
    assert.is(readMeta(dir, 'file_metadata/hostfile'), null, 'serving writes nothing');
  });
});

test('a change to an entry without a record writes its first record', async () => {
  await withHostFiles({}, async (vfs, dir) => {
    const f = await vfs.lookup(ME, vfs.root, B('hostfile'));
    const st = fs.statSync(path.join(dir, 'data/hostfile'));
    await vfs.setattr(ME, f.id, { mode: 0o4640 });
    assert.is(readMeta(dir, 'file_metadata/hostfile'), `${0o4640} ${st.uid} ${st.gid}\n`);
    const d = await vfs.lookup(ME, vfs.root, B('hostdir'));
    await vfs.setattr(ME, d.id, { uid: 42 });
    assert.is(readMeta(dir, 'dir_metadata/hostdir/metadata'), `${0o750} 42 ${st.gid}\n`);
  });
});

test('default: fixed owner and modes from the options', async () => {
  const log = capture();
  const opts = { missingMetadata: 'default', defaultUid: 7, defaultGid: 8, defaultFileMode: 0o600, defaultDirMode: 0o711, logger: log.logger } as const;
  await withHostFiles(opts, async (vfs) => {
    const f = await attrOf(vfs, 'hostfile');
    assert.equal([f.mode, f.uid, f.gid], [S_IFREG | 0o600, 7, 8]);
    const d = await attrOf(vfs, 'hostdir');
    assert.equal([d.mode, d.uid, d.gid], [S_IFDIR | 0o711, 7, 8]);
    await waitFor(() => log.warns.length >= 2);
    await attrOf(vfs, 'hostfile');
    assert.is(log.warns.length, 2);
  });
});

test('hide: ENOENT and absent from readdir; the root is served with the defaults', async () => {
  const log = capture();
  const opts = { missingMetadata: 'hide', defaultUid: 3, defaultDirMode: 0o700, logger: log.logger } as const;
  await withHostFiles(
    opts,
    async (vfs) => {
      await rejects(vfs.lookup(ME, vfs.root, B('hostfile')), 'ENOENT', 'hidden file');
      await rejects(vfs.lookup(ME, vfs.root, B('hostdir')), 'ENOENT', 'hidden dir');
      assert.equal((await listNames(vfs, vfs.root)).map(String), ['known']);
      const root = await vfs.getattr(vfs.root);
      assert.equal([root.mode, root.uid], [S_IFDIR | 0o700, 3]);
      await listNames(vfs, vfs.root);
      await waitFor(() => log.warns.length >= 3);
      await listNames(vfs, vfs.root);
      assert.is(log.warns.length, 3, 'two hidden entries and the root, once each');
    },
    false,
  );
});

test('an unparsable record is logged as an error once and treated as missing', async () => {
  const log = capture();
  await withHostFiles({ logger: log.logger }, async (vfs, dir) => {
    fs.writeFileSync(path.join(dir, 'file_metadata/known'), 'rwxr-xr-x root root\n');
    const st = fs.statSync(path.join(dir, 'data/known'));
    const a = await attrOf(vfs, 'known');
    await attrOf(vfs, 'known');
    assert.is(a.uid, st.uid);
    assert.is(log.errors.length, 1);
    assert.match(log.errors[0] ?? '', /data\/known.*mode "rwxr-xr-x" is not a decimal number/);
  });
});

test('entries made through the Vfs are never seen without their record, even mid-flight', async () => {
  const log = capture();
  await withHostFiles({ logger: log.logger }, async (vfs) => {
    await attrOf(vfs, 'hostfile');
    await attrOf(vfs, 'hostdir');
    await waitFor(() => log.warns.length >= 2);
    const before = log.warns.length;
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      ops.push(vfs.mknod(ME, vfs.root, B(`n${i}`), 0o010644, 0n));
      ops.push(vfs.mkdir(ME, vfs.root, B(`d${i}`), 0o755));
      ops.push(vfs.symlink(ME, vfs.root, B(`l${i}`), B('x')));
      ops.push(listNames(vfs, vfs.root));
    }
    await Promise.all(ops);
    await vfs.close(); // logs whatever is still pending
    assert.is(log.warns.length, before, log.warns.slice(before).join('\n'));
  });
});

test('opening a folder that is not a humfs export fails with a clear reason', async () => {
  const tmp = tmpExport('humfs-bad-');
  try {
    fs.mkdirSync(path.join(tmp.dir, 'data'));
    await openExport({ path: tmp.dir, mode: 'humfs' }).then(
      () => assert.unreachable('no superblock'),
      (e: Error) => assert.match(e.message, /no superblock/),
    );
    fs.writeFileSync(path.join(tmp.dir, 'superblock'), 'version 2\nmetadata shadow_fs\nused 0\ntotal 1\n');
    await openExport({ path: tmp.dir, mode: 'humfs' }).then(
      () => assert.unreachable('no metadata folders'),
      (e: Error) => assert.match(e.message, /no file_metadata\/ folder/),
    );
    fs.writeFileSync(path.join(tmp.dir, 'superblock'), 'version 3\nmetadata shadow_fs\nused 0\ntotal 1\n');
    await openExport({ path: tmp.dir, mode: 'humfs' }).then(
      () => assert.unreachable('bad version'),
      (e: Error) => assert.match(e.message, /version 3 is not supported/),
    );
  } finally {
    tmp.cleanup();
  }
});

test.run();
