// A copy-on-write export through the real Linux client (humbridge only:
// diod has no layers). The host builds a base tree and takes its full
// listing (tree-compare.ts: lstat, contents, symlink targets, hard links);
// `cow new` makes layer A and guest 1 boots on `serve --base BASE --cow A`,
// writing, appending, creating, deleting, renaming a directory, rmdir'ing,
// chmod'ing and appending to one of two hard-linked names (cases/cow.sh).
// Afterwards the base lists exactly as before, A/upper holds the copies and
// whiteouts, and `cow diff A --json` names each change. Guest 2 boots on a
// fresh layer B over the same base and sees the base as the host made it,
// none of guest 1's changes.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeTree } from '../helpers/tree-compare.js';
import { guestSourceDir, repoRoot } from './paths.js';
import { run } from './proc.js';
import { expectChecks } from './report.js';
import { runGuest } from './run-guest.js';
import { startServer } from './servers.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'cow.sh'), 'utf8');
const humbridge = path.join(repoRoot(), 'dist', 'tools', 'humbridge.js');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface DiffEntry {
  path: string;
  change: string;
  type: string;
  fields: string[];
}

/** What cases/cow.sh expects of the base (see its header). */
async function makeBase(base: string, keep: Buffer): Promise<void> {
  await writeFile(path.join(base, 'a.txt'), 'alpha\n');
  await writeFile(path.join(base, 'app.txt'), 'append\n');
  await writeFile(path.join(base, 'b.txt'), 'bravo\n');
  await writeFile(path.join(base, 'mode.txt'), 'mode\n');
  await chmod(path.join(base, 'mode.txt'), 0o644);
  await writeFile(path.join(base, 'keep.bin'), keep);
  await mkdir(path.join(base, 'd', 'sub'), { recursive: true });
  await writeFile(path.join(base, 'd', 'one'), 'one\n');
  await writeFile(path.join(base, 'd', 'two'), 'two\n');
  await writeFile(path.join(base, 'd', 'sub', 'three'), 'three\n');
  await mkdir(path.join(base, 'empty'));
  await symlink('a.txt', path.join(base, 'link'));
  await writeFile(path.join(base, 'h1'), 'hard\n');
  await link(path.join(base, 'h1'), path.join(base, 'h2'));
}

/** Lines that differ between two listings from describeTree. */
function listingDifferences(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [rel, text] of before) if (after.get(rel) !== text) out.push(`/${rel}: ${text} -> ${after.get(rel) ?? 'gone'}`);
  for (const rel of after.keys()) if (!before.has(rel)) out.push(`/${rel}: new`);
  return out;
}

if (selectedServers().includes('humbridge')) {
  const missing = await missingFor(prereqs, 'humbridge');
  guestCase(test, 'cow export: changes land in the layer only, a second guest sees the base [humbridge]', missing, async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'hb-guest-cow-'));
    // cow new records its layers under XDG_STATE_HOME: keep them out of the user's.
    const env = { ...process.env, XDG_STATE_HOME: path.join(work, 'state') };
    const cli = async (...args: string[]) => (await run(process.execPath, [humbridge, ...args], { env })).stdout.toString('utf8');
    const diff = async (layer: string) => JSON.parse(await cli('cow', 'diff', layer, '--json')) as { counts: Record<string, number>; changes: DiffEntry[] };
    const layerA = path.join(work, 'A');
    const layerB = path.join(work, 'B');
    const keep = randomBytes(200_000);
    let snapshot = new Map<string, string>();
    try {
      const prepare = async (base: string) => {
        await makeBase(base, keep);
        snapshot = describeTree(base);
        await cli('cow', 'new', '--base', base, layerA);
      };
      await withFixture(
        'humbridge',
        'tcp',
        prepare,
        async (f) => {
          const base = f.exportDir;
          const files = { 'keep.sha': sha256(keep) };
          const r1 = await runGuest({ image: prereqs.image!, server: f.server, script, files: { ...files, phase: 'change' }, timeoutMs: 90_000 });
          console.log(`  cow guest 1: ${r1.durationMs} ms`);
          expectChecks(r1);

          assert.equal(listingDifferences(snapshot, describeTree(base)), [], 'the base is unchanged after guest 1');

          const upper = path.join(layerA, 'upper');
          assert.is(await readFile(path.join(upper, 'a.txt'), 'utf8'), 'changed\n');
          assert.is(await readFile(path.join(upper, 'app.txt'), 'utf8'), 'append\nmore\n');
          assert.is(await readFile(path.join(upper, 'new.txt'), 'utf8'), 'new\n');
          assert.is((await lstat(path.join(upper, 'mode.txt'))).mode & 0o7777, 0o600);
          for (const gone of ['b.txt', 'd', 'empty']) {
            const st = await lstat(path.join(upper, gone));
            assert.ok(st.isCharacterDevice() && st.rdev === 0, `${gone} is a whiteout in the layer`);
          }
          assert.is(await readFile(path.join(upper, 'e', 'sub', 'three'), 'utf8'), 'three\n', 'the renamed directory is in the layer');
          const [h1, h2] = [await lstat(path.join(upper, 'h1')), await lstat(path.join(upper, 'h2'))];
          assert.ok(h1.ino === h2.ino && h1.nlink === 2, 'h1 and h2 were copied up as one inode');
          assert.is(await readFile(path.join(upper, 'h2'), 'utf8'), 'hard\nlinked\n');

          const d = await diff(layerA);
          const changes = new Map(d.changes.map((c) => [c.path, c]));
          const expect = (p: string, change: string, field?: string) => {
            const c = changes.get(p);
            assert.ok(c, `cow diff lists ${p}: ${JSON.stringify(d.changes)}`);
            assert.is(c.change, change, `${p}`);
            if (field !== undefined) assert.ok(c.fields.includes(field), `${p} changed ${field}: ${c.fields.join(',')}`);
          };
          expect('/a.txt', 'changed', 'content');
          expect('/app.txt', 'changed', 'content');
          expect('/mode.txt', 'changed', 'mode');
          expect('/new.txt', 'added');
          expect('/b.txt', 'deleted');
          expect('/d', 'deleted');
          expect('/empty', 'deleted');
          expect('/e', 'added');
          expect('/e/sub/three', 'added');
          expect('/h1', 'changed', 'content');
          expect('/h2', 'changed', 'content');
          for (const p of ['/keep.bin', '/link']) assert.not.ok(changes.has(p), `cow diff does not list ${p}`);

          await cli('cow', 'new', '--base', base, layerB);
          const server2 = await startServer('humbridge', base, { listen: 'tcp', cow: { layer: layerB } });
          try {
            const r2 = await runGuest({ image: prereqs.image!, server: server2, script, files: { ...files, phase: 'fresh' }, timeoutMs: 90_000 });
            console.log(`  cow guest 2: ${r2.durationMs} ms`);
            expectChecks(r2);
          } finally {
            await server2.stop();
          }
          assert.equal(listingDifferences(snapshot, describeTree(base)), [], 'the base is unchanged after guest 2');
          assert.equal((await diff(layerB)).changes, [], 'guest 2 changed nothing in its layer');
          assert.is((await diff(layerA)).changes.length, d.changes.length, "guest 2 left layer A as it was");
        },
        { cow: { layer: layerA } },
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

test.run();
