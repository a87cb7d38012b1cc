// Layout compatibility with the original Perl humfsify (Debian uml-utilities):
// for an ordinary tree our metadata files and superblock are byte-identical.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  PERL_HUMFSIFY,
  TempDirs,
  buildTree,
  duUsed,
  fixtureDir,
  layoutListing,
  perlHumfsifyMissing,
  runCli,
  sh,
  snapshot,
  type SnapEntry,
} from './humfsify-helpers.js';
import { firstMissing, gated, needRoot } from '../helpers/gate.js';
import { prng } from '../helpers/prng.js';

/** The trees have entries of many owners and device nodes. */
const noRoot = needRoot('build trees of many owners with device nodes');
const noPerl = firstMissing(noRoot, perlHumfsifyMissing());
const temps = new TempDirs();
test.after.each(() => temps.cleanup());
process.umask(0o022);

const basicSpec = (): string => fs.readFileSync(path.join(fixtureDir, 'perl-basic', 'tree.txt'), 'utf8');

/**
 * An "ordinary" tree of about `n` entries (what the original handles: plain
 * names, no special bits, device numbers below 256), as a buildTree spec.
 */
function ordinarySpec(n: number, seed: number): string {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const owners = ['0\t0', '1000\t1000', '65534\t65534', '33\t33', '0\t42'];
  const lines = ['d\t.\t755\t0\t0'];
  const dirs = ['.'];
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const parent = pick(dirs);
    const name = `${parent === '.' ? '' : parent + '/'}e${i}_${pick(['a', 'b', 'conf', 'x.txt', 'lib.so.1'])}`;
    const kind = r();
    if (kind < 0.15) {
      lines.push(`d\t${name}\t${pick(['755', '700', '750', '775', '555'])}\t${pick(owners)}`);
      dirs.push(name);
    } else if (kind < 0.75) {
      lines.push(`f\t${name}\t${pick(['644', '600', '640', '755', '444', '700', '664'])}\t${pick(owners)}\t${'x'.repeat(Math.floor(r() * 3000))}`);
      files.push(name);
    } else if (kind < 0.85) {
      lines.push(`l\t${name}\t-\t${pick(owners)}\t${pick(['../x', '/etc/passwd', 'e1_a', 'nowhere'])}`);
    } else if (kind < 0.92 && files.length > 0) {
      lines.push(`h\t${name}\t-\t-\t-\t${pick(files)}`);
    } else if (kind < 0.96) {
      lines.push(`${pick(['c', 'b'])}\t${name}\t${pick(['600', '660', '666'])}\t${pick(owners)}\t${Math.floor(r() * 255)} ${Math.floor(r() * 255)}`);
    } else {
      lines.push(`p\t${name}\t${pick(['600', '644'])}\t${pick(owners)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** A spec moved under `sub` (root line dropped). */
function inSubdir(spec: string, sub: string): string {
  return spec
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && l.split('\t')[1] !== '.')
    .map((l) => {
      const cols = l.split('\t');
      cols[1] = `${sub}/${cols[1]}`;
      if (cols[0] === 'h') cols[5] = `${sub}/${cols[5]}`;
      return cols.join('\t');
    })
    .join('\n') + '\n';
}

function readSuperblock(dir: string): string {
  return fs.readFileSync(path.join(dir, 'superblock'), 'utf8');
}

function withoutTimes(s: SnapEntry[]): SnapEntry[] {
  return s.map(({ times: _t, ...rest }) => rest);
}

gated(test, 'the fixture the Perl humfsify made is reproduced byte for byte (no Perl needed)', noRoot, () => {
  const dir = temps.make('fixture');
  buildTree(path.join(dir, 'data'), basicSpec());
  const used = duUsed(dir);
  const r = runCli(['65534', '65534', '64M'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.fixture(layoutListing(dir), fs.readFileSync(path.join(fixtureDir, 'perl-basic', 'expected.txt'), 'latin1'));
  const perl = fs.readFileSync(path.join(fixtureDir, 'perl-basic', 'superblock'), 'utf8');
  // `used` is the disk usage of this tree on this filesystem; the rest is fixed.
  assert.is(readSuperblock(dir), perl.replace(/^used \d+$/m, `used ${used}`));
});

gated(test, 'same tree, real Perl humfsify and ours: identical metadata, superblock and data/', noPerl, () => {
  const spec = ordinarySpec(400, 7) + 'd\tz\t755\t0\t0\n' + inSubdir(basicSpec(), 'z');
  const perlDir = temps.make('perl');
  const oursDir = temps.make('ours');
  buildTree(path.join(perlDir, 'data'), spec);
  buildTree(path.join(oursDir, 'data'), spec);
  assert.is(duUsed(oursDir), duUsed(perlDir), 'both copies use the same space (precondition)');
  const before = snapshot(path.join(oursDir, 'data'));

  sh(PERL_HUMFSIFY, ['nobody', 'nogroup', '512M'], perlDir);
  // --keep-devices: the original leaves host device nodes in data/.
  const r = runCli(['--keep-devices', 'nobody', 'nogroup', '512M'], oursDir);
  assert.is(r.status, 0, r.stderr);

  assert.fixture(layoutListing(oursDir), layoutListing(perlDir));
  assert.is(readSuperblock(oursDir), readSuperblock(perlDir));
  assert.equal(withoutTimes(snapshot(path.join(oursDir, 'data'))), withoutTimes(snapshot(path.join(perlDir, 'data'))));
  // And the conversion did something: every entry now belongs to nobody:nogroup.
  assert.ok(before.some((e) => e.uid !== 65534));
  assert.ok(snapshot(path.join(oursDir, 'data')).every((e) => e.uid === 65534 && e.gid === 65534));
});

gated(test, 'by default host devices become placeholders; the metadata stays identical to Perl', noPerl, () => {
  const perlDir = temps.make('perl');
  const oursDir = temps.make('ours');
  buildTree(path.join(perlDir, 'data'), basicSpec());
  buildTree(path.join(oursDir, 'data'), basicSpec());
  sh(PERL_HUMFSIFY, ['nobody', 'nogroup', '64M'], perlDir);
  const r = runCli(['nobody', 'nogroup', '64M'], oursDir);
  assert.is(r.status, 0, r.stderr);
  assert.fixture(layoutListing(oursDir), layoutListing(perlDir));
  assert.is(readSuperblock(oursDir), readSuperblock(perlDir));
  const ours = new Map(snapshot(path.join(oursDir, 'data')).map((e) => [e.path, e]));
  for (const p of snapshot(path.join(perlDir, 'data'))) {
    const o = ours.get(p.path);
    assert.ok(o !== undefined, p.path);
    if (p.type === 'c' || p.type === 'b') {
      // An empty regular file, with the hard-link grouping of the device kept.
      assert.equal([o?.type, o?.size, o?.rdev, o?.nlink, o?.inode], ['f', '0', '0', p.nlink, p.inode], p.path);
    } else {
      assert.equal(o, p);
    }
  }
});

gated(test, 'a layout made by the Perl humfsify is clean for --check, and our -r restores the tree', noPerl, () => {
  const dir = temps.make('perl-r');
  buildTree(path.join(dir, 'data'), ordinarySpec(200, 11));
  const before = snapshot(path.join(dir, 'data'));
  sh(PERL_HUMFSIFY, ['nobody', 'nogroup', '512M'], dir);
  const c = runCli(['--check'], dir);
  assert.is(c.status, 0, c.stdout + c.stderr);
  const r = runCli(['-r'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.equal(snapshot(path.join(dir, 'data')), before);
  assert.equal(fs.readdirSync(dir), ['data']);
});

test.run();
