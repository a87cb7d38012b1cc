// The humfsify command line: usage, bad input that must change nothing,
// refusing a second conversion, --force, --dry-run, --json, progress.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { asUserMissing, NOBODY } from '../helpers/as-user.js';
import { gated } from '../helpers/gate.js';
import { TempDirs, buildTree, runCli, snapshot } from './humfsify-helpers.js';

const temps = new TempDirs();
test.after.each(() => temps.cleanup());
process.umask(0o022);

const TREE = [
  'd\t.\t755\t0\t0',
  'f\ta\t640\t1000\t1000\tA',
  'd\tsub\t700\t5\t5',
  'f\tsub/b\t4755\t0\t0\tB',
  'c\tsub/null\t666\t0\t0\t1 3',
  'l\tlink\t-\t0\t0\ta',
].join('\n');

function fresh(): string {
  const dir = temps.make('cli');
  buildTree(path.join(dir, 'data'), TREE);
  return dir;
}

/** Runs the CLI and asserts it failed with `message` on stderr and left every byte and time of `dir` alone. */
function failsAndChangesNothing(dir: string, args: string[], message: RegExp, status = 1): void {
  const before = snapshot(dir, true);
  const r = runCli(args, dir);
  assert.is(r.status, status, `status for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(snapshot(dir, true), before, `nothing may change for ${args.join(' ')}`);
}

test('--help and --version print and succeed; bad usage exits 2 with the usage', () => {
  const dir = fresh();
  const h = runCli(['--help'], dir);
  assert.is(h.status, 0);
  assert.match(h.stdout, /Usage: humfsify \[options\] USER GROUP SIZE/);
  assert.match(h.stdout, /--repair/);
  const v = runCli(['--version'], dir);
  assert.is(v.status, 0);
  assert.match(v.stdout, /^humfsify \(humbridge\) \d+\.\d+\.\d+/);
  failsAndChangesNothing(dir, [], /USER GROUP SIZE are needed/, 2);
  failsAndChangesNothing(dir, ['a', 'b'], /USER GROUP SIZE are needed/, 2);
  failsAndChangesNothing(dir, ['a', 'b', '1M', 'extra'], /too many arguments: extra/, 2);
  failsAndChangesNothing(dir, ['--bogus', 'a', 'b', '1M'], /unknown option --bogus/, 2);
  failsAndChangesNothing(dir, ['-r', '--check'], /cannot be combined/, 2);
  failsAndChangesNothing(dir, ['--repair'], /--repair goes with --check/, 2);
  failsAndChangesNothing(dir, ['-r', 'x'], /-r takes no USER GROUP SIZE/, 2);
  failsAndChangesNothing(dir, ['-C'], /-C needs a directory/, 2);
});

test('bad input is refused with a clear message and changes nothing', () => {
  const dir = fresh();
  failsAndChangesNothing(dir, ['nobody', 'nogroup', '10X'], /bad filesystem size "10X"/);
  failsAndChangesNothing(dir, ['nobody', 'nogroup', '-5'], /bad filesystem size "-5"/);
  failsAndChangesNothing(dir, ['no-such-user-hb', 'nogroup', '1M'], /user 'no-such-user-hb' is not in the password database/);
  failsAndChangesNothing(dir, ['nobody', 'no-such-group-hb', '1M'], /group 'no-such-group-hb' is not in the group database/);
  failsAndChangesNothing(dir, ['nobody', 'nogroup', '1K'], /current disk usage greater than the requested size - \d+ vs 1024/);
  failsAndChangesNothing(dir, ['-r'], /superblock: missing: not a humfs export/);

  const empty = temps.make('nodata');
  failsAndChangesNothing(empty, ['nobody', 'nogroup', '1M'], /no data\/ directory in /);
  failsAndChangesNothing(empty, ['-r'], /no data\/ directory in /);
  failsAndChangesNothing(empty, ['--check'], /no data\/ directory in /);
  const r = runCli(['-C', path.join(empty, 'nope'), 'nobody', 'nogroup', '1M'], empty);
  assert.is(r.status, 1);
  assert.match(r.stderr, /nope: no such directory/);

  // A directory named "metadata" has no place in the layout.
  fs.mkdirSync(path.join(dir, 'data', 'sub', 'metadata'));
  failsAndChangesNothing(dir, ['nobody', 'nogroup', '1M'], /data\/sub\/metadata: a directory named "metadata" cannot be stored/);
});

gated(test, 'without root: refused before any change unless the user converts their own tree to themselves', asUserMissing(), () => {
  const dir = fresh();
  fs.chmodSync(dir, 0o755);
  const nobody = NOBODY;
  const before = snapshot(dir, true);
  const toRoot = runCli(['root', 'root', '1M'], dir, nobody);
  assert.is(toRoot.status, 1);
  assert.match(toRoot.stderr, /only root can hand data\/ to root:root/);
  const toSelf = runCli(['nobody', 'nogroup', '1M'], dir, nobody);
  assert.is(toSelf.status, 1);
  assert.match(toSelf.stderr, /data\/ belongs to uid 0: only root can convert/);
  const rev = runCli(['-r'], dir, nobody);
  assert.is(rev.status, 1);
  assert.match(rev.stderr, /-r needs root/);
  assert.equal(snapshot(dir, true), before);

  // A tree of nobody's own converts without root.
  const own = temps.make('own');
  fs.chmodSync(own, 0o755);
  buildTree(path.join(own, 'data'), 'd\t.\t755\t65534\t65534\nf\tmine\t600\t65534\t65534\tm');
  fs.chownSync(own, 65534, 65534);
  const ok = runCli(['nobody', 'nogroup', '1M'], own, nobody);
  assert.is(ok.status, 0, ok.stderr);
  assert.is(fs.readFileSync(path.join(own, 'file_metadata/mine'), 'utf8'), '384 65534 65534\n');
});

test('-C names the folder; the original layout comes out (numeric ids too)', () => {
  const dir = fresh();
  const r = runCli(['-C', dir, '1000', '100', '5M'], '/');
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(dir, 'superblock'), 'utf8').split('\n')[3], 'total 5242880');
  assert.is(fs.readFileSync(path.join(dir, 'file_metadata/sub/b'), 'utf8'), '2541 0 0\n');
  assert.is(fs.readFileSync(path.join(dir, 'file_metadata/sub/null'), 'utf8'), '438 0 0 c 1 3\n');
  assert.is(fs.readFileSync(path.join(dir, 'dir_metadata/sub/metadata'), 'utf8'), '448 5 5\n');
  const st = fs.lstatSync(path.join(dir, 'data/sub/b'));
  assert.equal([st.uid, st.gid, st.mode & 0o7777], [1000, 100, 0o755]);
  assert.equal(fs.readdirSync(dir).sort(), ['data', 'dir_metadata', 'file_metadata', 'superblock']);
});

test('-r of a broken layout names the file and line, and changes nothing', () => {
  const dir = fresh();
  assert.is(runCli(['nobody', 'nogroup', '1M'], dir).status, 0);
  fs.writeFileSync(path.join(dir, 'file_metadata/sub/b'), '2541 zero 0\n');
  failsAndChangesNothing(dir, ['-r'], /file_metadata\/sub\/b: line 1: uid "zero" is not a decimal number/);
  fs.writeFileSync(path.join(dir, 'file_metadata/sub/b'), '2541 0 0\n');
  fs.writeFileSync(path.join(dir, 'superblock'), 'version 2\nmetadata shadow_fs\nused 1\ntotal x\n');
  failsAndChangesNothing(dir, ['-r'], /superblock: line 4: total "x" is not a number of bytes/);
  fs.writeFileSync(path.join(dir, 'superblock'), 'version 2\nmetadata shadow_fs\nused 1\ntotal 2\n');
  fs.writeFileSync(path.join(dir, 'dir_metadata/sub/metadata'), '448 5 5 c 1 3\n');
  failsAndChangesNothing(dir, ['-r'], /dir_metadata\/sub\/metadata: recorded as type c, but data\/ holds a directory/);
  fs.writeFileSync(path.join(dir, 'dir_metadata/sub/metadata'), '448 5 5\n');
  const ok = runCli(['-r'], dir);
  assert.is(ok.status, 0, ok.stderr);
  assert.is(fs.lstatSync(path.join(dir, 'data/sub')).mode & 0o7777, 0o700);
});

test('a second conversion is refused; --force keeps every recorded owner and adds new entries', () => {
  const dir = fresh();
  const before = snapshot(path.join(dir, 'data'));
  assert.is(runCli(['nobody', 'nogroup', '1M'], dir).status, 0);
  failsAndChangesNothing(dir, ['root', 'root', '1M'], /already holds humfs metadata \(superblock, file_metadata\/, dir_metadata\/\)/);

  fs.writeFileSync(path.join(dir, 'data', 'added'), 'new');
  fs.chownSync(path.join(dir, 'data', 'added'), 42, 43);
  const r = runCli(['--force', 'nobody', 'nogroup', '2M'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(dir, 'file_metadata/added'), 'utf8'), '420 42 43\n');
  assert.is(fs.readFileSync(path.join(dir, 'file_metadata/a'), 'utf8'), '416 1000 1000\n');
  assert.match(fs.readFileSync(path.join(dir, 'superblock'), 'utf8'), /total 2097152\n$/);

  // A broken record is not silently kept.
  fs.writeFileSync(path.join(dir, 'file_metadata/a'), 'junk\n');
  failsAndChangesNothing(dir, ['--force', 'nobody', 'nogroup', '2M'], /file_metadata\/a: line 1: 1 field\(s\) in "junk"/);
  fs.writeFileSync(path.join(dir, 'file_metadata/a'), '416 1000 1000\n');

  assert.is(runCli(['-r'], dir).status, 0);
  const after = snapshot(path.join(dir, 'data'));
  assert.equal(after.filter((e) => e.path !== 'added'), before);
  assert.equal([after.find((e) => e.path === 'added')?.uid, after.find((e) => e.path === 'added')?.gid], [42, 43]);
});

test('--dry-run validates and counts but writes nothing; --json prints one summary object', () => {
  const dir = fresh();
  const before = snapshot(dir, true);
  const r = runCli(['--dry-run', '--json', 'nobody', 'nogroup', '1M'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.equal(snapshot(dir, true), before);
  const s = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal([s['ok'], s['command'], s['dryRun'], s['entries'], s['directories'], s['files'], s['symlinks'], s['specials']], [true, 'convert', true, 6, 2, 2, 1, 1]);
  assert.is(s['total'], '1048576');

  const real = runCli(['--json', 'nobody', 'nogroup', '1M'], dir);
  const t = JSON.parse(real.stdout) as Record<string, unknown>;
  assert.equal([t['entries'], t['recordsWritten'], t['placeholders'], t['used']], [6, 6, 1, s['used']]);

  const bad = runCli(['--json', '-r'], temps.make('empty'));
  assert.is(bad.status, 1);
  const e = JSON.parse(bad.stdout) as Record<string, unknown>;
  assert.equal([e['ok'], e['command']], [false, 'reverse']);
  assert.match(String(e['error']), /no data\/ directory/);

  const rd = runCli(['--dry-run', '-r'], dir);
  assert.is(rd.status, 0, rd.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'superblock')));
});

test('progress goes to stderr only when asked (or on a terminal); --verbose names entries', () => {
  const dir = temps.make('progress');
  const lines = ['d\t.\t755\t0\t0'];
  for (let i = 0; i < 3000; i++) lines.push(`f\tf${i}\t644\t0\t0\t`);
  buildTree(path.join(dir, 'data'), lines.join('\n'));
  const quiet = runCli(['nobody', 'nogroup', '100M', '--dry-run'], dir);
  assert.not.match(quiet.stderr, /entries, \d+\/s/);
  const p = runCli(['--progress', '-r', '--dry-run'], dir);
  assert.is(p.status, 1); // not converted yet: no superblock
  const conv = runCli(['--progress', '-v', 'nobody', 'nogroup', '100M'], dir);
  assert.is(conv.status, 0, conv.stderr);
  assert.match(conv.stderr, /humfsify: recorded .*file_metadata\/f2999/);
  const rev = runCli(['--progress', '-r'], dir);
  assert.is(rev.status, 0, rev.stderr);
  assert.match(rev.stderr, /restoring: \d+\/3001 entries, \d+\/s/);
});

test.run();
