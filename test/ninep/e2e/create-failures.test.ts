// Creates that fail part way, and a server killed part way, against a real
// `humbridge serve` child: with its descriptors used up (prlimit), and on a
// small tmpfs out of inodes, every create (file, mkdir, mknod, symlink,
// link) either works whole or leaves data/ and the records as they were;
// after kill -9 right after writes, a restarted server counts them against
// total. `humfsify --check` is clean after each scenario.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { P9_DOTL_CREATE, P9_DOTL_RDONLY, P9_DOTL_RDWR } from '../../../ninep/index.js';
import { walkPath, writeFile, type Client } from '../../../ninep/client/index.js';
import { makeExportFolder, type ExportMode } from './export-folder.js';
import { codeOf } from './humfs-expect.js';
import { serveChild, type ChildServer } from './serve-child.js';
import { runCli } from '../../tools/humfsify-helpers.js';
import { gated, needRoot } from '../../helpers/gate.js';

const S_IFIFO = 0o010000;

/** `humfsify --check` problems (the real CLI). */
function problems(exportDir: string): unknown[] {
  const r = runCli(['--check', '--json'], exportDir);
  return (JSON.parse(r.stdout) as { problems: unknown[] }).problems;
}

/** Names below `dir` (recursively, '/'-joined), for before/after comparisons. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      out.push(`${r}${e.isDirectory() ? '/' : ''}`);
      if (e.isDirectory()) visit(path.join(d, e.name), r);
    }
  };
  visit(dir, '');
  return out.sort();
}

/** What a humfs export holds (data/ and both record trees), or a hostfs export's tree. */
function state(exportDir: string, mode: ExportMode): string[] {
  if (mode === 'hostfs') return tree(exportDir);
  return ['data', 'file_metadata', 'dir_metadata'].flatMap((t) => tree(path.join(exportDir, t)).map((n) => `${t}/${n}`));
}

type Op = (c: Client, root: number) => Promise<unknown>;

/** Every kind of create, each making `name` in the root (link: of the file `x`). */
function ops(name: string): Record<string, Op> {
  return {
    create: async (c, root) => {
      const d = await walkPath(c, root, '');
      try {
        await c.lcreate(d, name, P9_DOTL_CREATE | P9_DOTL_RDWR, 0o640, 0);
      } finally {
        await c.clunk(d);
      }
    },
    mkdir: (c, root) => c.mkdir(root, name, 0o750, 0),
    mknod: (c, root) => c.mknod(root, name, S_IFIFO | 0o600, 0, 0, 0),
    symlink: (c, root) => c.symlink(root, name, 'x', 0),
    link: async (c, root) => {
      const x = await walkPath(c, root, 'x');
      try {
        await c.link(root, x, name);
      } finally {
        await c.clunk(x);
      }
    },
  };
}

/**
 * Runs `op` and checks it is all or nothing: failed → the export's state is
 * exactly as before; worked → the new name is there (with its record in
 * humfs). Answers the error code (undefined when it worked).
 */
async function allOrNothing(s: ChildServer, exportDir: string, mode: ExportMode, what: string, name: string, op: () => Promise<unknown>): Promise<string | undefined> {
  const before = state(exportDir, mode);
  const code = await codeOf(op());
  const after = state(exportDir, mode);
  if (code !== undefined) {
    assert.equal(after, before, `${what} failed with ${code} and left nothing behind (${s.stderr().slice(-300)})`);
  } else {
    const data = mode === 'humfs' ? `data/${name}` : name;
    assert.ok(after.some((n) => n === data || n === `${data}/`), `${what} worked: ${data} exists`);
    if (mode === 'humfs') {
      assert.ok(after.some((n) => n === `file_metadata/${name}` || n === `dir_metadata/${name}/metadata`), `${what} worked: its record exists`);
    }
  }
  return code;
}

/** Opens `x` again and again until the server has no descriptor left; answers the opened fids. */
async function exhaust(c: Client, root: number): Promise<number[]> {
  const fids: number[] = [];
  for (let i = 0; i < 5000; i++) {
    let f: number;
    try {
      f = await walkPath(c, root, 'x');
    } catch (e) {
      assert.is(await codeOf(Promise.reject(e)), 'EMFILE', 'walks stop at the descriptor limit');
      return fids;
    }
    const code = await codeOf(c.lopen(f, P9_DOTL_RDONLY));
    if (code !== undefined) {
      await c.clunk(f);
      assert.is(code, 'EMFILE', 'opens stop at the descriptor limit');
      return fids;
    }
    fids.push(f);
  }
  assert.unreachable('the descriptor limit was never reached');
  return fids;
}

for (const mode of ['hostfs', 'humfs'] as const) {
  test(`${mode}: with the server's descriptors used up, a create works whole or leaves nothing behind`, async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-emfile-'));
    const exportDir = path.join(base, 'export');
    makeExportFolder(exportDir, mode, 1n << 30n);
    const dataDir = mode === 'humfs' ? path.join(exportDir, 'data') : exportDir;
    let s: ChildServer | undefined;
    try {
      s = await serveChild(exportDir, base, mode === 'humfs' ? ['--humfs'] : [], ['prlimit', '--nofile=80:80']);
      const { c, root } = await s.attach();
      await writeFile(c, root, 'x', Buffer.from('x'));
      const failures: string[] = [];
      let n = 0;
      for (const free of [0, 1, 2, 3]) {
        for (const what of Object.keys(ops(''))) {
          const name = `${what}${n++}`;
          const held = await exhaust(c, root);
          // Give back exactly `free` descriptors: the create may get past its first steps.
          for (const f of held.splice(0, free)) await c.clunk(f);
          const code = await allOrNothing(s, exportDir, mode, `${what} with ${free} descriptor(s) free`, name, () => (ops(name)[what] as Op)(c, root));
          if (code !== undefined) failures.push(`${what}/${free}: ${code}`);
          for (const f of held) await c.clunk(f);
        }
      }
      assert.ok(failures.length > 0, 'some creates did fail');
      // The server still works once descriptors are back.
      await c.mkdir(root, 'after', 0o755, 0);
      assert.ok(fs.statSync(path.join(dataDir, 'after')).isDirectory());
      assert.is(await s.stop(), 0);
      if (mode === 'humfs') assert.equal(problems(exportDir), []);
    } finally {
      await s?.kill();
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
}

/** Mounts a tmpfs of `inodes` inodes at a new directory; `fn` runs with it; always unmounted. */
async function withTmpfs(inodes: number, fn: (dir: string) => Promise<void>): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-enospc-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=8m,nr_inodes=${inodes}`, 'tmpfs', base], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(base, { recursive: true, force: true });
    throw new Error(`mount -t tmpfs failed: ${r.stderr.trim()}`);
  }
  try {
    await fn(base);
  } finally {
    spawnSync('umount', [base]);
    fs.rmSync(base, { recursive: true, force: true });
  }
}

gated(test, 'humfs: on a filesystem out of inodes, a create works whole or leaves nothing behind', needRoot('mount a small tmpfs'), () =>
  withTmpfs(200, async (mnt) => {
    const exportDir = path.join(mnt, 'export');
    makeExportFolder(exportDir, 'humfs', 1n << 20n);
    const fill = path.join(mnt, 'fill');
    fs.mkdirSync(fill);
    const s = await serveChild(exportDir, os.tmpdir(), ['--humfs']);
    try {
      const { c, root } = await s.attach();
      await writeFile(c, root, 'x', Buffer.from('x'));
      let fillers = 0;
      const fillUp = (): void => {
        for (;;) {
          try {
            fs.writeFileSync(path.join(fill, String(fillers)), '');
            fillers++;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
            throw e;
          }
        }
      };
      const failures: string[] = [];
      let n = 0;
      for (const free of [0, 1, 2, 3, 4]) {
        for (const what of ['create', 'mkdir', 'mknod', 'symlink'] as const) {
          fillUp();
          for (let i = 0; i < free; i++) fs.rmSync(path.join(fill, String(--fillers)));
          const name = `${what}${n++}`;
          const code = await allOrNothing(s, exportDir, 'humfs', `${what} with ${free} inode(s) free`, name, () => (ops(name)[what] as Op)(c, root));
          if (code !== undefined) {
            assert.is(code, 'ENOSPC', `${what} with ${free} inode(s) free`);
            failures.push(`${what}/${free}`);
          }
        }
      }
      assert.ok(failures.some((f) => !f.endsWith('/0')), `some creates failed part way: ${failures.join(' ')}`);
      fs.rmSync(fill, { recursive: true });
      assert.is(await s.stop(), 0);
      assert.equal(problems(exportDir), []);
    } finally {
      await s.kill();
    }
  }));

test('humfs: after kill -9 right after writes, the restarted server counts them against total', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-kill-'));
  const exportDir = path.join(base, 'export');
  makeExportFolder(exportDir, 'humfs', 1n << 20n);
  let s: ChildServer | undefined;
  try {
    // Killed right after the write: before the superblock's delayed write-out, mostly.
    s = await serveChild(exportDir, base, ['--humfs']);
    let { c, root } = await s.attach();
    await writeFile(c, root, 'a', Buffer.alloc(900_000, 1));
    await s.kill();
    s = await serveChild(exportDir, base, ['--humfs']);
    ({ c, root } = await s.attach());
    const st = await c.statfs(root);
    assert.is((st.blocks - st.bfree) * BigInt(st.bsize) >= 900_000n, true, 'the killed server\'s bytes are counted');
    assert.is(await codeOf(writeFile(c, root, 'b', Buffer.alloc(900_000, 2))), 'ENOSPC', 'so total holds');
    assert.is(await s.stop(), 0);
    assert.equal(problems(exportDir), []);
    assert.match(fs.readFileSync(path.join(exportDir, 'superblock'), 'latin1'), /^used 900000$/m);
  } finally {
    await s?.kill();
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('humfsify --check reports a used the data does not match, and --repair fixes it', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-used-'));
  try {
    makeExportFolder(base, 'humfs', 1n << 20n);
    fs.writeFileSync(path.join(base, 'data', 'a'), Buffer.alloc(1234));
    fs.writeFileSync(path.join(base, 'file_metadata', 'a'), '420 0 0\n');
    const found = runCli(['--check', '--repair', '--json'], base);
    const ps = (JSON.parse(found.stdout) as { problems: { kind: string; repaired: boolean }[] }).problems;
    assert.equal(ps.map((p) => [p.kind, p.repaired]), [['wrong-used', true]]);
    assert.match(fs.readFileSync(path.join(base, 'superblock'), 'latin1'), /^used 1234$/m);
    assert.equal(problems(base), []);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test.run();
