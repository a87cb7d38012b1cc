// humfs over 9P: what the records and the superblock say after every kind of
// change, checked on the host and by `humfsify --check` (the real CLI)
// after each scenario. A file named "metadata" is an ordinary file (its
// record must never be confused with its directory's record
// dir_metadata/<dir>/metadata), a directory of that name is refused;
// every byte of an open but unlinked file counts against `total`; a truncate
// far past `total` is ENOSPC; chmod and chown move ctime.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_AT_REMOVEDIR, P9_DOTL_CREATE, P9_DOTL_RDWR, P9_GETATTR_ALL, P9_SETATTR_MODE, P9_SETATTR_SIZE } from '../../../ninep/index.js';
import { walkPath, writeFile, type Client } from '../../../ninep/client/index.js';
import { serve, type Served } from './harness.js';
import { recordPath } from './host-view.js';
import { assertRecord, chown, codeOf } from './humfs-expect.js';
import { runCli, TempDirs } from '../../tools/humfsify-helpers.js';

const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

interface Problem {
  kind: string;
  path: string;
  detail: string;
}

/** `humfsify --check` problems of the export (the real CLI). */
function checkProblems(dir: string): Problem[] {
  const r = runCli(['--check', '--json'], dir);
  return (JSON.parse(r.stdout) as { problems: Problem[] }).problems;
}

/**
 * `humfsify --check` finds nothing. The server writes `used` out a moment
 * after it changes, so a problem may only be waited out while it is `used`.
 */
async function assertClean(dir: string): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    const problems = checkProblems(dir);
    if (problems.length === 0) return;
    if (Date.now() > end || problems.some((p) => p.kind !== 'wrong-used')) {
      assert.unreachable(`humfsify --check: ${JSON.stringify(problems)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withHumfs(total: bigint | undefined, fn: (s: Served) => Promise<void>): Promise<void> {
  const s = await serve(total === undefined ? { mode: 'humfs' } : { mode: 'humfs', total });
  try {
    await fn(s);
    await assertClean(s.exportDir);
  } finally {
    await s.stop();
  }
}

/** A new fid for `path` below the root. */
const at = (c: Client, root: number, p: string): Promise<number> => walkPath(c, root, p);

async function create(c: Client, root: number, dir: string, name: string, mode = 0o644): Promise<void> {
  const d = await at(c, root, dir);
  await c.lcreate(d, name, P9_DOTL_CREATE | P9_DOTL_RDWR, mode, 0);
  await c.clunk(d);
}

async function ctimeOf(c: Client, root: number, p: string): Promise<bigint> {
  const f = await at(c, root, p);
  try {
    const a = await c.getattr(f, P9_GETATTR_ALL);
    return a.ctime_sec * 1_000_000_000n + a.ctime_nsec;
  } finally {
    await c.clunk(f);
  }
}

test('humfs: a file named "metadata" keeps its directory\'s record through every operation', () =>
  withHumfs(undefined, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    await c.mkdir(root, 'dC', 0o750, 1000);
    assertRecord(s, 'dC', '488 0 1000\n');
    const dC = await at(c, root, 'dC');

    // create, unlink
    await create(c, root, 'dC', 'metadata');
    assertRecord(s, 'dC/metadata', '420 0 0\n');
    await c.unlinkat(dC, 'metadata');
    assert.ok(fs.existsSync(recordPath(s, 'dC', true)), 'the directory keeps its record');
    assertRecord(s, 'dC', '488 0 1000\n');
    const a = await c.getattr(dC, P9_GETATTR_ALL);
    assert.is(a.mode & 0o7777, 0o750);
    assert.is([a.uid, a.gid].join(':'), '0:1000');

    // rename onto the name, chmod and chown it, rename it away
    await create(c, root, 'dC', 'x', 0o600);
    await c.renameat(dC, 'x', dC, 'metadata');
    assertRecord(s, 'dC', '488 0 1000\n');
    assertRecord(s, 'dC/metadata', '384 0 0\n');
    const m = await at(c, root, 'dC/metadata');
    await c.setattr(m, { valid: P9_SETATTR_MODE, mode: 0o640 });
    await chown(c, m, 7, 8);
    await c.clunk(m);
    assertRecord(s, 'dC/metadata', '416 7 8\n');
    assertRecord(s, 'dC', '488 0 1000\n');
    await c.renameat(dC, 'metadata', dC, 'y');
    assertRecord(s, 'dC', '488 0 1000\n');
    assertRecord(s, 'dC/y', '416 7 8\n');

    // link, mknod, symlink under that name
    const y = await at(c, root, 'dC/y');
    await c.link(dC, y, 'metadata');
    await c.clunk(y);
    assertRecord(s, 'dC/metadata', '416 7 8\n');
    assert.is(fs.statSync(recordPath(s, 'dC/metadata', false)).ino, fs.statSync(recordPath(s, 'dC/y', false)).ino, 'hard links share one record');
    await c.unlinkat(dC, 'metadata');
    assertRecord(s, 'dC', '488 0 1000\n');
    await c.mknod(dC, 'metadata', S_IFCHR | 0o600, 1, 3, 0);
    assertRecord(s, 'dC/metadata', '384 0 0 c 1 3\n');
    await c.unlinkat(dC, 'metadata');
    await c.symlink(dC, 'metadata', 'y', 0);
    assertRecord(s, 'dC/metadata', '511 0 0\n');
    await c.unlinkat(dC, 'metadata');
    assertRecord(s, 'dC', '488 0 1000\n');

    // at the root: its record is dir_metadata/metadata
    await c.setattr(root, { valid: P9_SETATTR_MODE, mode: 0o711 });
    await create(c, root, '', 'metadata');
    await c.unlinkat(root, 'metadata');
    assertRecord(s, '', '457 0 0\n');
    await create(c, root, '', 'z');
    await c.renameat(root, 'z', root, 'metadata');
    await c.renameat(root, 'metadata', root, 'z');
    assertRecord(s, '', '457 0 0\n');
    await c.clunk(dC);
  }));

test('humfs: a directory named "metadata" is refused (EINVAL) by mkdir and rename, and nothing is left', () => {
  const lines: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  return (async () => {
    const s = await serve({ mode: 'humfs', server: { logger } });
    try {
      const { c, root } = await s.attached('9P2000.L');
      await c.mkdir(root, 'd', 0o755, 0);
      const d = await at(c, root, 'd');
      assert.is(await codeOf(c.mkdir(d, 'metadata', 0o755, 0)), 'EINVAL');
      assert.not.ok(fs.existsSync(path.join(s.dir, 'd', 'metadata')), 'no data/d/metadata left behind');
      assert.ok(lines.some((l) => /named "metadata"/.test(l)), `the reason is logged: ${lines.join('; ')}`);
      await c.mkdir(root, 'e', 0o700, 0);
      assert.is(await codeOf(c.renameat(root, 'e', d, 'metadata')), 'EINVAL');
      assert.ok(fs.statSync(path.join(s.dir, 'e')).isDirectory(), 'the directory stays where it was');
      assert.is(await codeOf(c.mkdir(root, 'metadata', 0o755, 0)), 'EINVAL', 'at the root too');
      await create(c, root, 'd', 'metadata');
      assert.is(await codeOf(c.mkdir(d, 'metadata', 0o755, 0)), 'EEXIST', 'a file of that name is there: EEXIST, as mkdir(2) says');
      await c.unlinkat(d, 'metadata');
      assertRecord(s, 'd', '493 0 0\n');
      assertRecord(s, '', '493 0 0\n');
      // One made on the host has no record of its own: removing it keeps the parent's.
      fs.mkdirSync(path.join(s.dir, 'd', 'metadata'));
      assert.equal(checkProblems(s.exportDir).map((p) => p.kind), ['unrepresentable'], '--check names it');
      assert.is(runCli(['--check', '--repair'], s.exportDir).status, 1, 'and cannot repair it');
      assertRecord(s, 'd', '493 0 0\n');
      await c.unlinkat(d, 'metadata', P9_DOTL_AT_REMOVEDIR);
      assertRecord(s, 'd', '493 0 0\n');
      await c.clunk(d);
      await assertClean(s.exportDir);
    } finally {
      await s.stop();
    }
  })();
});

test('humfsify converts, checks and reverts a tree with files named "metadata"', () => {
  const temps = new TempDirs();
  try {
    const dir = temps.make('metadata-names');
    const data = path.join(dir, 'data');
    fs.mkdirSync(path.join(data, 'd'), { recursive: true });
    fs.writeFileSync(path.join(data, 'metadata'), 'root file');
    fs.writeFileSync(path.join(data, 'd', 'metadata'), 'sub file');
    fs.chmodSync(path.join(data, 'd'), 0o750);
    fs.chownSync(path.join(data, 'd'), 0, 1000);
    fs.linkSync(path.join(data, 'd', 'metadata'), path.join(data, 'd', 'other'));
    let r = runCli(['0', '0', '1M'], dir);
    assert.is(r.status, 0, r.stderr);
    assert.is(fs.readFileSync(path.join(dir, 'dir_metadata', 'd', 'metadata'), 'latin1'), '488 0 1000\n');
    assert.is(fs.readFileSync(path.join(dir, 'file_metadata', 'd', 'metadata'), 'latin1'), '420 0 0\n');
    assert.equal(checkProblems(dir), []);
    r = runCli(['-r'], dir);
    assert.is(r.status, 0, r.stderr);
    const st = fs.statSync(path.join(data, 'd'));
    assert.is(st.mode & 0o7777, 0o750);
    assert.is(st.gid, 1000);
    assert.is(fs.readFileSync(path.join(data, 'metadata'), 'latin1'), 'root file');
    assert.is(fs.readFileSync(path.join(data, 'd', 'metadata'), 'latin1'), 'sub file');
  } finally {
    temps.cleanup();
  }
});

const MIB = 1n << 20n;

test('humfs: writes to an open but unlinked file count against total until it is closed', () =>
  withHumfs(MIB, async (s) => {
    const { c, root } = await s.attached('9P2000.L', { msize: 65536 });
    await create(c, root, '', 'f');
    const f = await at(c, root, 'f');
    await c.lopen(f, P9_DOTL_RDWR);
    await c.unlinkat(root, 'f');
    const chunk = Buffer.alloc(32768, 7);
    let written = 0n;
    let refused: string | undefined;
    while (written < 8n * MIB) {
      refused = await codeOf(c.write(f, written, chunk));
      if (refused !== undefined) break;
      written += BigInt(chunk.length);
    }
    assert.is(refused, 'ENOSPC', 'the nameless file cannot pass total');
    assert.is(written, MIB);
    const full = await c.statfs(root);
    assert.is(full.bfree, 0n, 'statfs counts its bytes');
    await c.clunk(f);
    const after = await c.statfs(root);
    assert.is(after.bfree, after.blocks, 'closed: its space is free again');
    await writeFile(c, root, 'g', Buffer.alloc(Number(MIB), 1));
  }));

test('humfs: a truncate far past total is ENOSPC and changes nothing; within total it works', () =>
  withHumfs(1n << 30n, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    await create(c, root, '', 'sparse');
    const f = await at(c, root, 'sparse');
    assert.is(await codeOf(c.setattr(f, { valid: P9_SETATTR_SIZE, size: 900n * 10n ** 12n })), 'ENOSPC');
    assert.is(fs.statSync(path.join(s.dir, 'sparse')).size, 0);
    await c.setattr(f, { valid: P9_SETATTR_SIZE, size: 1n << 29n });
    assert.is(fs.statSync(path.join(s.dir, 'sparse')).size, 1 << 29);
    const st = await c.statfs(root);
    assert.is(st.bfree, st.blocks / 2n, 'a sparse file costs its size');
    await c.clunk(f);
  }));

/** Waits until the host clock has passed `ns` (a fresh file's ctime is later), so a new ctime can differ. */
async function clockPast(s: Served, ns: bigint): Promise<void> {
  fs.mkdirSync(s.tmp.outside, { recursive: true });
  const probe = path.join(s.tmp.outside, 'clock-probe');
  for (;;) {
    fs.writeFileSync(probe, '');
    if (fs.statSync(probe, { bigint: true }).ctimeNs > ns) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

test('humfs: chmod and chown move ctime of files, directories, symlinks and every hard link', () =>
  withHumfs(undefined, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    await create(c, root, '', 'f');
    const f0 = await at(c, root, 'f');
    await c.link(root, f0, 'f2');
    await c.clunk(f0);
    await c.mkdir(root, 'd', 0o755, 0);
    await c.symlink(root, 'l', 'f', 0);
    for (const [name, also] of [['f', 'f2'], ['d', 'd'], ['l', 'l']] as const) {
      for (const change of ['chmod', 'chown'] as const) {
        if (name === 'l' && change === 'chmod') continue;
        const before = await ctimeOf(c, root, name);
        await clockPast(s, before);
        const fid = await at(c, root, name);
        if (change === 'chmod') await c.setattr(fid, { valid: P9_SETATTR_MODE, mode: 0o700 });
        else await chown(c, fid, 5, 6);
        await c.clunk(fid);
        const after = await ctimeOf(c, root, name);
        assert.ok(after > before, `${change} of ${name} moved ctime (${before} → ${after})`);
        assert.is(await ctimeOf(c, root, also), after, `${also} shows the same ctime`);
      }
    }
    assertRecord(s, 'f2', '448 5 6\n');
    assert.is((await c.getattr(root, P9_GETATTR_ALL)).mode & S_IFREG, 0, 'root is no file');
  }));

test.run();
