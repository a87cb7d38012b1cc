// Confinement: nothing a client does, and nothing a racing host process
// does to names inside the export, makes the server read, create or change
// anything outside the export. Symlinks are served as symlinks and never
// followed by the server.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openExport } from '../../src/index.js';
import { O_CREAT, O_RDONLY, O_RDWR, S_IFLNK, S_IFMT, DT_LNK } from '../../src/types.js';
import type { Vfs } from '../../src/vfs.js';
import { VfsError } from '../../src/errors.js';
import { B, ME, readAll, rejects, writeFile, listNames } from '../conformance/vfs.js';
import { tmpExport, waitFor, type TmpExport } from '../helpers/tmp-export.js';

const CANARY = 'CANARY-must-never-be-served';

/** An outside tree that mirrors names a client would use inside. */
function plantOutside(tmp: TmpExport): void {
  fs.writeFileSync(path.join(tmp.outside, 'canary'), CANARY);
  fs.writeFileSync(path.join(tmp.outside, 'inside.txt'), CANARY);
  fs.mkdirSync(path.join(tmp.outside, 'sub'));
  fs.writeFileSync(path.join(tmp.outside, 'sub', 'canary'), CANARY);
}

/** Every entry below `dir`: name, type, mode, owner, size, mtime, content. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    for (const name of fs.readdirSync(p)) {
      const full = path.join(p, name);
      const st = fs.lstatSync(full, { bigint: true });
      const content = st.isFile() ? fs.readFileSync(full, 'hex') : st.isSymbolicLink() ? fs.readlinkSync(full) : '';
      out.push([path.relative(dir, full), st.mode, st.uid, st.gid, st.size, st.mtimeNs, st.ctimeNs, st.nlink, content].join(' '));
      if (st.isDirectory()) visit(full);
    }
  };
  visit(dir);
  return out.sort();
}

async function withExport(fn: (vfs: Vfs, tmp: TmpExport) => Promise<void>, maxCachedFds = 1024): Promise<void> {
  const tmp = tmpExport('humbridge-confine-');
  let vfs: Vfs | null = null;
  try {
    plantOutside(tmp);
    vfs = await openExport({ path: tmp.dir, maxCachedFds });
    await fn(vfs, tmp);
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
}

test('".." at the root stays at the root', async () => {
  await withExport(async (vfs) => {
    assert.is((await vfs.parent(ME, vfs.root)).id, vfs.root);
    await rejects(vfs.lookup(ME, vfs.root, B('..')), 'EINVAL');
    const d = await vfs.mkdir(ME, vfs.root, B('d'), 0o755);
    const up = await vfs.parent(ME, d.id);
    assert.is((await vfs.parent(ME, up.id)).id, vfs.root);
  });
});

test('symlinks out of the export are served as symlinks and never followed', async () => {
  await withExport(async (vfs, tmp) => {
    const before = snapshot(tmp.outside);
    fs.symlinkSync(tmp.outside, path.join(tmp.dir, 'abs'));
    fs.symlinkSync('/', path.join(tmp.dir, 'slash'));
    fs.symlinkSync('../outside', path.join(tmp.dir, 'dotdot'));
    fs.mkdirSync(path.join(tmp.dir, 'in'));
    fs.symlinkSync('../../outside/canary', path.join(tmp.dir, 'in', 'up2'));
    fs.symlinkSync(path.join(tmp.outside, 'canary'), path.join(tmp.dir, 'filelink'));
    for (const name of ['abs', 'slash', 'dotdot', 'filelink']) {
      const e = await vfs.lookup(ME, vfs.root, B(name));
      assert.is(e.attr.mode & S_IFMT, S_IFLNK, `${name} is a symlink node`);
      await rejects(vfs.opendir(ME, e.id), 'ENOTDIR', `opendir ${name}`);
      await rejects(vfs.open(ME, e.id, O_RDONLY), 'ELOOP', `open ${name}`);
      await rejects(vfs.lookup(ME, e.id, B('canary')), 'ENOTDIR', `walk through ${name}`);
      await rejects(vfs.create(ME, e.id, B('new'), O_CREAT | O_RDWR, 0o644), 'ENOTDIR', `create in ${name}`);
      await rejects(vfs.mkdir(ME, e.id, B('new'), 0o755), 'ENOTDIR', `mkdir in ${name}`);
      await rejects(vfs.parent(ME, e.id), 'ENOTDIR', `parent of ${name}`);
      await rejects(vfs.setattr(ME, e.id, { size: 0n }), 'EINVAL', `truncate ${name}`);
      await rejects(vfs.setattr(ME, e.id, { mode: 0o777 }), 'ENOTSUP', `chmod ${name}`);
      await vfs.setattr(ME, e.id, { mtime: 1_000_000_000n });
      await vfs.listxattr(ME, e.id);
      await rejects(vfs.setxattr(ME, e.id, 'user.x', B('1'), 0), 'EPERM', `setxattr ${name}`);
    }
    const up2 = await vfs.lookup(ME, (await vfs.lookup(ME, vfs.root, B('in'))).id, B('up2'));
    assert.is((await vfs.readlink(up2.id)).toString(), '../../outside/canary');
    await rejects(vfs.open(ME, up2.id, O_RDONLY), 'ELOOP');
    // Creating over a symlink name never writes through it.
    await rejects(vfs.create(ME, vfs.root, B('filelink'), O_CREAT | O_RDWR, 0o644), 'ELOOP', 'create over a symlink');
    await rejects(vfs.mkdir(ME, vfs.root, B('abs'), 0o755), 'EEXIST');
    await rejects(vfs.mknod(ME, vfs.root, B('filelink'), 0o010644, 0n), 'EEXIST');
    await vfs.rename(ME, vfs.root, B('abs'), vfs.root, B('abs2'), 0);
    await vfs.unlink(ME, vfs.root, B('abs2'));
    const h = await vfs.opendir(ME, vfs.root);
    const listed = await vfs.readdir(h, 0n, 100);
    await vfs.releasedir(h);
    assert.is(listed.find((e) => e.name.toString() === 'slash')?.type, DT_LNK);
    assert.equal(snapshot(tmp.outside), before, 'outside untouched');
    assert.ok(fs.existsSync(tmp.outside), 'unlinking a symlink left its target');
  });
});

/**
 * A separate process swapping export/d between a directory and a symlink to
 * outside until the stop file appears (or its parent is gone: it never
 * outlives a crashed test).
 */
function startAttacker(dir: string, outside: string, stopFile: string): ChildProcess {
  const script = `
    const fs = require('fs'), path = require('path');
    const [dir, outside, stop] = process.argv.slice(1);
    const d = path.join(dir, 'd'), real = path.join(dir, 'd.real'), link = path.join(dir, 'd.link');
    const parent = process.ppid;
    fs.symlinkSync(outside, link);
    for (let i = 0; ; i++) {
      if ((i & 255) === 0 && (fs.existsSync(stop) || process.ppid !== parent)) break;
      try { fs.renameSync(d, real); } catch {}
      try { fs.renameSync(link, d); } catch {}
      try { fs.renameSync(d, link); } catch {}
      try { fs.renameSync(real, d); } catch {}
    }
    try { fs.renameSync(real, d); } catch {}
  `;
  return spawn(process.execPath, ['-e', script, dir, outside, stopFile], { stdio: 'ignore' });
}

/**
 * How much racing the test does, counted, not timed: at least LOOKUPS
 * lookups of the flipping name, at least FOUND of them answered (each
 * followed by every operation of the list), and each side of the race seen
 * SIDE times. Most lookups land while the name is missing, so the loop runs
 * on until the counts are met; MAX_LOOKUPS only stops a race that can no
 * longer make progress (and fails the test).
 */
const LOOKUPS = 3000;
const FOUND = 200;
const SIDE = 50;
const MAX_LOOKUPS = 2_000_000;

test('race: a directory swapped with a symlink to outside never leads the server out', async () => {
  await withExport(async (vfs, tmp) => {
    fs.mkdirSync(path.join(tmp.dir, 'd'));
    fs.writeFileSync(path.join(tmp.dir, 'd', 'inside.txt'), 'inside');
    fs.mkdirSync(path.join(tmp.dir, 'd', 'sub'));
    const before = snapshot(tmp.outside);
    const stopFile = path.join(path.dirname(tmp.dir), 'stop');
    const attacker = startAttacker(tmp.dir, tmp.outside, stopFile);
    let attackerGone = false;
    const exited = new Promise<void>((resolve) =>
      attacker.once('exit', () => {
        attackerGone = true;
        resolve();
      }),
    );
    let sawDir = 0;
    let sawLink = 0;
    let ops = 0;
    let lookups = 0;
    /** Failed lookups of the flipping name, by errno code. */
    const failed = new Map<string, number>();
    const done = (): boolean => lookups >= LOOKUPS && sawDir + sawLink >= FOUND && sawDir >= SIDE && sawLink >= SIDE;
    try {
      // A node taken before the race: evicted and re-resolved by name while
      // the name flips, it must only ever reach the real directory.
      const held = await vfs.lookup(ME, vfs.root, B('d'));
      await waitFor(() => fs.existsSync(path.join(tmp.dir, 'd.link')) || fs.existsSync(path.join(tmp.dir, 'd.real')));
      for (let i = 0; !done(); i++) {
        if (attackerGone) assert.unreachable(`the attacker exited mid-race after ${lookups} lookups`);
        if (lookups >= MAX_LOOKUPS) break;
        let d;
        lookups++;
        try {
          d = await vfs.lookup(ME, vfs.root, B('d'));
        } catch (e) {
          assert.instance(e, VfsError);
          const code = (e as VfsError).code;
          failed.set(code, (failed.get(code) ?? 0) + 1);
          continue;
        }
        if ((d.attr.mode & S_IFMT) === S_IFLNK) sawLink++;
        else sawDir++;
        const tries: Array<() => Promise<unknown>> = [
          async () => {
            const names = (await listNames(vfs, d.id)).map(String);
            assert.not.ok(names.includes('canary'), 'listed the outside directory');
          },
          async () => {
            const f = await vfs.lookup(ME, d.id, B('inside.txt'));
            const content = (await readAll(vfs, f.id)).toString();
            assert.is.not(content, CANARY, 'read the canary');
            vfs.forget(f.id, 1);
          },
          async () => {
            const c = await vfs.lookup(ME, d.id, B('canary'));
            vfs.forget(c.id, 1);
            assert.unreachable('found the canary');
          },
          async () => {
            const made = await writeFile(vfs, d.id, `made-${i}`, 'x');
            vfs.forget(made.id, 1);
          },
          async () => {
            const m = await vfs.mkdir(ME, d.id, B(`dir-${i}`), 0o755);
            vfs.forget(m.id, 1);
          },
          () => vfs.rename(ME, d.id, B('inside.txt'), d.id, B('inside.txt'), 0),
          () => vfs.setattr(ME, d.id, { mtime: 'now' }),
          () => vfs.setxattr(ME, d.id, 'user.race', B('1'), 0),
          () => vfs.getattr(d.id),
          async () => {
            const names = (await listNames(vfs, held.id)).map(String);
            assert.ok(names.includes('inside.txt') || names.length === 0, 'the held node lists the real directory');
            assert.not.ok(names.includes('canary'), 'the held node listed the outside');
          },
          async () => {
            const made = await writeFile(vfs, held.id, `held-${i}`, 'x');
            vfs.forget(made.id, 1);
          },
          async () => {
            const s = await vfs.lookup(ME, d.id, B('sub'));
            const t = await vfs.create(ME, s.id, B(`deep-${i}`), O_CREAT | O_RDWR, 0o644);
            await vfs.release(t.handle);
            vfs.forget(t.entry.id, 1);
            vfs.forget(s.id, 1);
          },
        ];
        for (const op of tries) {
          ops++;
          try {
            await op();
          } catch (e) {
            // Refusals are expected while the name is a symlink or missing;
            // a failed assertion is not.
            if (!(e instanceof VfsError)) throw e;
          }
        }
        vfs.forget(d.id, 1);
      }
    } finally {
      fs.writeFileSync(stopFile, '');
      await exited;
    }
    const failures = [...failed.values()].reduce((a, b) => a + b, 0);
    const counts = `${lookups} lookups: directory ${sawDir}, symlink ${sawLink}, failed ${JSON.stringify(Object.fromEntries(failed))}`;
    if (process.env.CONFINE_DEBUG) console.log({ ops, counts });
    assert.ok(done(), `the race did not reach its counts within ${MAX_LOOKUPS} lookups (${counts})`);
    assert.is(sawDir + sawLink + failures, lookups, `every lookup answered or failed (${counts})`);
    assert.equal([...failed.keys()].filter((c) => c !== 'ENOENT'), [], `a lookup fails only while the name is missing (${counts})`);
    assert.equal(fs.readdirSync(tmp.outside).sort(), ['canary', 'inside.txt', 'sub']);
    assert.equal(snapshot(tmp.outside), before, 'nothing outside was created or changed');
  }, 16);
});

test.run();
