// humfsify --check finds each kind of inconsistency between data/ and the
// metadata; --repair fixes them so that a second --check is clean and -r works.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { TempDirs, buildTree, runCli, sh, snapshot } from './humfsify-helpers.js';

const temps = new TempDirs();
test.after.each(() => temps.cleanup());
process.umask(0o022);

const TREE = [
  'd\t.\t755\t0\t0',
  'f\ta\t640\t1000\t1000\tA',
  'h\ta2\t-\t-\t-\ta',
  'f\tb\t644\t0\t0\tB',
  'f\tc\t644\t0\t0\tC',
  'd\tsub\t700\t5\t5',
  'f\tsub/x\t600\t5\t5\tX',
  'c\tsub/null\t666\t0\t0\t1 3',
  'd\tgone\t755\t0\t0',
].join('\n');

interface Problem {
  kind: string;
  path: string;
  detail: string;
  repaired: boolean;
}

function converted(tree = TREE): string {
  const dir = temps.make('check');
  buildTree(path.join(dir, 'data'), tree);
  const r = runCli(['nobody', 'nogroup', '1M'], dir);
  assert.is(r.status, 0, r.stderr);
  return dir;
}

function checkJson(dir: string, ...extra: string[]): { status: number | null; problems: Problem[] } {
  const r = runCli(['--check', '--json', ...extra], dir);
  const s = JSON.parse(r.stdout) as { problems: Problem[] };
  return { status: r.status, problems: s.problems };
}

const kinds = (ps: Problem[]): string[] => ps.map((p) => `${p.kind} ${p.path.replace(/^.*?\/(data|file_metadata|dir_metadata|superblock)/, '$1')}`).sort();

test('a fresh conversion checks clean', () => {
  const dir = converted();
  const r = runCli(['--check'], dir);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /check: 0 problem\(s\)/);
});

test('--check reports every kind of damage; --repair fixes it; -r then restores', () => {
  const dir = converted();
  const fm = (p: string): string => path.join(dir, 'file_metadata', p);
  const dm = (p: string): string => path.join(dir, 'dir_metadata', p);
  const data = (p: string): string => path.join(dir, 'data', p);
  fs.rmSync(fm('b')); // missing record
  fs.writeFileSync(fm('c'), '420 0\n'); // unparsable record
  fs.writeFileSync(fm('orphan'), '420 0 0\n'); // metadata without data
  fs.rmSync(fm('a2'));
  fs.writeFileSync(fm('a2'), '416 1000 1000\n'); // hard-link record not shared
  fs.writeFileSync(dm('sub/metadata'), '448 5 5 b 1 1\n'); // a directory recorded as a device
  fs.writeFileSync(dm('sub/stray'), 'x'); // not a record
  fs.rmSync(data('gone'), { recursive: true }); // dir_metadata/gone and file_metadata/gone orphaned
  fs.rmSync(fm('sub'), { recursive: true }); // mirror directory (and sub's file records) missing
  fs.writeFileSync(data('new'), 'n'); // data without a record
  fs.writeFileSync(path.join(dir, 'superblock'), 'version 2\nused 1\n'); // corrupt superblock

  const found = checkJson(dir);
  assert.is(found.status, 1);
  // Which of a and a2 comes second depends on readdir order.
  const linkNamesEither = (k: string): string => k.replace(/^(link-not-shared file_metadata\/)a2?$/, '$1a|a2');
  assert.equal(kinds(found.problems).map(linkNamesEither), [
    'bad-record file_metadata/c',
    'bad-superblock superblock',
    'link-not-shared file_metadata/a|a2',
    'missing-mirror-dir file_metadata/sub',
    'missing-record file_metadata/b',
    'missing-record file_metadata/new',
    'missing-record file_metadata/sub/null',
    'missing-record file_metadata/sub/x',
    'orphan dir_metadata/gone',
    'orphan file_metadata/gone',
    'orphan file_metadata/orphan',
    'stray dir_metadata/sub/stray',
    'type-mismatch dir_metadata/sub/metadata',
  ]);
  assert.ok(found.problems.every((p) => !p.repaired));
  const bad = found.problems.find((p) => p.kind === 'bad-record');
  assert.match(bad?.detail ?? '', /^line 1: 2 field\(s\) in "420 0"/);
  assert.match(found.problems.find((p) => p.kind === 'bad-superblock')?.detail ?? '', /no 'metadata' line/);

  const repaired = checkJson(dir, '--repair');
  assert.is(repaired.status, 1, 'the superblock cannot be repaired: still a problem');
  assert.equal(repaired.problems.filter((p) => !p.repaired).map((p) => p.kind), ['bad-superblock']);
  // A superblock fixed by hand, but whose `used` is not what data/ holds: found, and repaired.
  fs.writeFileSync(path.join(dir, 'superblock'), 'version 2\nmetadata shadow_fs\nused 1\ntotal 1048576\n');
  const wrong = checkJson(dir, '--repair');
  assert.equal(kinds(wrong.problems), ['wrong-used superblock']);
  assert.match(wrong.problems[0]?.detail ?? '', /^used 1, but the regular files in data\/ hold \d+ bytes$/);
  assert.is(wrong.status, 0, 'repaired');
  const again = checkJson(dir);
  assert.equal(kinds(again.problems), []);
  assert.is(again.status, 0);

  // Repairs follow data/: hard-linked names share one record again, sub is a plain directory record.
  assert.is(fs.lstatSync(fm('a2')).ino, fs.lstatSync(fm('a')).ino);
  assert.is(fs.readFileSync(dm('sub/metadata'), 'utf8'), '448 5 5\n');
  // A lost record of a placeholder comes back from data/ alone: its device type is lost.
  assert.is(fs.readFileSync(fm('sub/null'), 'utf8'), '493 65534 65534\n');
  assert.ok(!fs.existsSync(fm('orphan')) && !fs.existsSync(dm('gone')) && !fs.existsSync(dm('sub/stray')));

  const r = runCli(['-r'], dir);
  assert.is(r.status, 0, r.stderr);
  const snap = new Map(snapshot(data('.')).map((e) => [e.path, e]));
  assert.equal([snap.get('a')?.mode, snap.get('a')?.uid, snap.get('a2')?.inode], ['640', 1000, 'a']);
  assert.equal([snap.get('sub')?.mode, snap.get('sub')?.uid], ['700', 5]);
  // Records rebuilt from data/ carry what data/ had: the serving user's ownership.
  assert.equal([snap.get('b')?.uid, snap.get('sub/x')?.uid], [65534, 65534]);
});

test('data entries that changed kind, types data/ contradicts, records shared by distinct inodes', () => {
  const dir = converted();
  const fm = (p: string): string => path.join(dir, 'file_metadata', p);
  const data = (p: string): string => path.join(dir, 'data', p);
  // The placeholder data/sub/null became a directory.
  fs.rmSync(data('sub/null'));
  fs.mkdirSync(data('sub/null'));
  // data/sub/x became a FIFO while its record says socket.
  fs.rmSync(data('sub/x'));
  sh('mkfifo', [data('sub/x')]);
  fs.writeFileSync(fm('sub/x'), '384 5 5 s\n');
  // b and c: two inodes whose records are one hard-linked file.
  fs.rmSync(fm('c'));
  fs.linkSync(fm('b'), fm('c'));
  const found = checkJson(dir);
  assert.equal(kinds(found.problems), [
    'link-shared-wrongly file_metadata/c',
    'missing-mirror-dir file_metadata/sub/null',
    'missing-record dir_metadata/sub/null/metadata',
    'type-mismatch file_metadata/sub/x',
  ]);
  assert.match(found.problems.find((p) => p.kind === 'type-mismatch')?.detail ?? '', /recorded as type s, but data\/ holds a node of type p/);
  const repaired = checkJson(dir, '--repair');
  assert.ok(repaired.problems.every((p) => p.repaired));
  assert.equal(checkJson(dir).problems, []);
  assert.is.not(fs.lstatSync(fm('c')).ino, fs.lstatSync(fm('b')).ino);
  assert.is(fs.readFileSync(fm('c'), 'utf8'), '420 0 0\n');
  assert.is(fs.readFileSync(fm('sub/x'), 'utf8'), '384 5 5\n');
  assert.ok(fs.lstatSync(fm('sub/null')).isDirectory());
});

test('-r refuses a non-empty placeholder and broken records; -r --force restores the rest and keeps the metadata', () => {
  const dir = converted();
  fs.writeFileSync(path.join(dir, 'data/sub/null'), 'precious');
  fs.writeFileSync(path.join(dir, 'file_metadata/orphan'), '420 0 0\n');
  fs.writeFileSync(path.join(dir, 'file_metadata/b'), 'bad\n');
  const before = snapshot(dir, true);
  const r = runCli(['-r'], dir);
  assert.is(r.status, 1);
  assert.match(r.stderr, /nothing changed: 3 problem\(s\)/);
  assert.match(r.stderr, /data\/sub\/null: recorded as type c but holds 8 bytes/);
  assert.match(r.stderr, /file_metadata\/b: line 1: 1 field\(s\) in "bad"/);
  assert.equal(snapshot(dir, true), before);

  const f = runCli(['-r', '--force'], dir);
  assert.is(f.status, 1);
  assert.match(f.stderr, /could not be restored; the metadata is kept/);
  assert.match(f.stderr, /data\/sub\/null: recorded as type c but holds 8 bytes/);
  assert.is(fs.readFileSync(path.join(dir, 'data/sub/null'), 'utf8'), 'precious');
  const a = fs.lstatSync(path.join(dir, 'data/a'));
  assert.equal([a.uid, a.mode & 0o7777], [1000, 0o640]);
  assert.is(fs.lstatSync(path.join(dir, 'data/sub')).uid, 5);
  assert.is(fs.lstatSync(path.join(dir, 'data/b')).uid, 65534);
  assert.ok(fs.existsSync(path.join(dir, 'superblock')) && fs.existsSync(path.join(dir, 'file_metadata')));
});

test('one --repair pass gives a hard link with a lost record its sibling\'s record (or one shared record from data/)', () => {
  const dir = converted();
  const fm = (p: string): string => path.join(dir, 'file_metadata', p);
  const data = (p: string): string => path.join(dir, 'data', p);
  // a and a2 are one inode. Both records lost: one record made from data/ for both.
  fs.rmSync(fm('a2'));
  fs.rmSync(fm('a'));
  const r1 = checkJson(dir, '--repair');
  assert.equal(kinds(r1.problems), ['missing-record file_metadata/a', 'missing-record file_metadata/a2']);
  assert.equal(checkJson(dir).problems, []);
  assert.is(fs.lstatSync(fm('a')).ino, fs.lstatSync(fm('a2')).ino);
  assert.is(fs.readFileSync(fm('a'), 'utf8'), '493 65534 65534\n');

  // One name keeps its (guest) record: the other shares it after one pass.
  fs.writeFileSync(data('x1'), 'x');
  fs.linkSync(data('x1'), data('x2'));
  fs.linkSync(data('x1'), data('x3'));
  fs.writeFileSync(fm('x2'), '2541 7 8\n');
  const r2 = checkJson(dir, '--repair');
  // x1 is new in data/: its byte is not in `used` yet.
  assert.equal(kinds(r2.problems), ['missing-record file_metadata/x1', 'missing-record file_metadata/x3', 'wrong-used superblock']);
  assert.equal(checkJson(dir).problems, []);
  for (const n of ['x1', 'x3']) {
    assert.is(fs.lstatSync(fm(n)).ino, fs.lstatSync(fm('x2')).ino, n);
    assert.is(fs.readFileSync(fm(n), 'utf8'), '2541 7 8\n', n);
  }
});

test('hard links that crashed between their data link and their record link are repaired in one pass, whatever the walk order', () => {
  // Every case twice, mirrored between left/ and right/: the walk finishes one
  // folder before it enters the other, so each order is met once.
  const sides = [['left', 'right'], ['right', 'left']] as const;
  const spec = ['d\t.\t755\t0\t0', 'd\tleft\t755\t0\t0', 'd\tright\t755\t0\t0'];
  sides.forEach(([x, y], k) => {
    spec.push(`f\t${x}/sib${k}\t644\t0\t0\ts`, `f\t${x}/q${k}\t644\t0\t0\tq`, `f\t${y}/p${k}\t644\t0\t0\tp`);
    spec.push(`f\t${x}/b${k}\t644\t0\t0\tb`, `f\t${y}/a${k}\t644\t0\t0\ta`, `h\t${y}/a${k}b\t-\t-\t-\t${y}/a${k}`);
    spec.push(`f\t${x}/d${k}\t644\t0\t0\td`, `h\t${y}/d${k}b\t-\t-\t-\t${x}/d${k}`);
  });
  const dir = converted(spec.join('\n'));
  const fm = (p: string): string => path.join(dir, 'file_metadata', p);
  const data = (p: string): string => path.join(dir, 'data', p);
  const ino = (p: string): number => fs.lstatSync(fm(p)).ino;
  const text = (p: string): string => fs.readFileSync(fm(p), 'utf8');
  const crashed: string[] = [];
  // The humfs store links data/ first, then the record: a crash in between
  // leaves the new name without a record while its sibling keeps the guest's.
  const crashLink = (from: string, to: string): void => {
    fs.linkSync(data(from), data(to));
    crashed.push(`missing-record file_metadata/${to}`);
  };
  sides.forEach(([x, y], k) => {
    fs.writeFileSync(fm(`${x}/sib${k}`), `${2541 + k} 7 8\n`);
    crashLink(`${x}/sib${k}`, `${y}/new${k}`);
    // The sibling's record is also, wrongly, the record of another inode.
    fs.writeFileSync(fm(`${y}/p${k}`), '416 4 4\n');
    fs.rmSync(fm(`${x}/q${k}`));
    fs.linkSync(fm(`${y}/p${k}`), fm(`${x}/q${k}`));
    crashLink(`${y}/p${k}`, `${x}/pnew${k}`);
    // Both names of one inode share their record with another inode.
    fs.writeFileSync(fm(`${x}/b${k}`), '384 6 6\n');
    for (const n of [`${y}/a${k}`, `${y}/a${k}b`]) {
      fs.rmSync(fm(n));
      fs.linkSync(fm(`${x}/b${k}`), fm(n));
    }
    // The records of one inode disagree, and a third name crashed.
    fs.rmSync(fm(`${y}/d${k}b`));
    fs.writeFileSync(fm(`${y}/d${k}b`), '256 2 2\n');
    crashLink(`${x}/d${k}`, `${y}/dnew${k}`);
  });

  const found = checkJson(dir);
  const missing = kinds(found.problems).filter((p) => p.startsWith('missing-record'));
  assert.equal(missing, [...crashed].sort());
  const others = new Set(kinds(found.problems).filter((p) => !p.startsWith('missing-record')).map((p) => p.split(' ')[0]));
  assert.equal([...others].sort(), ['link-not-shared', 'link-shared-wrongly']);
  const repaired = checkJson(dir, '--repair');
  assert.is(repaired.status, 0);
  assert.ok(repaired.problems.every((p) => p.repaired));
  assert.equal(checkJson(dir).problems, [], 'one --repair pass leaves --check clean');

  sides.forEach(([x, y], k) => {
    assert.equal([ino(`${y}/new${k}`), text(`${y}/new${k}`)], [ino(`${x}/sib${k}`), `${2541 + k} 7 8\n`], `new${k}`);
    assert.is(ino(`${x}/pnew${k}`), ino(`${y}/p${k}`), `pnew${k}`);
    assert.is.not(ino(`${x}/q${k}`), ino(`${y}/p${k}`), `q${k}`);
    assert.equal([text(`${x}/pnew${k}`), text(`${x}/q${k}`)], ['416 4 4\n', '416 4 4\n']);
    assert.is(ino(`${y}/a${k}b`), ino(`${y}/a${k}`), `a${k}b`);
    assert.is.not(ino(`${y}/a${k}`), ino(`${x}/b${k}`), `a${k}`);
    assert.equal([text(`${y}/a${k}`), text(`${x}/b${k}`)], ['384 6 6\n', '384 6 6\n']);
    assert.equal([ino(`${y}/d${k}b`), ino(`${y}/dnew${k}`)], [ino(`${x}/d${k}`), ino(`${x}/d${k}`)], `d${k}`);
  });
  // Of records that disagree, the first the walk meets is kept for every name:
  // the converted one in one order, the guest's in the other.
  assert.equal(sides.map(([x], k) => text(`${x}/d${k}`)).sort(), ['256 2 2\n', '420 0 0\n']);
});

test('--check --dry-run --repair reports without changing anything', () => {
  const dir = converted();
  fs.rmSync(path.join(dir, 'file_metadata', 'b'));
  const before = snapshot(dir, true);
  const r = checkJson(dir, '--repair', '--dry-run');
  assert.is(r.status, 1);
  assert.equal(kinds(r.problems), ['missing-record file_metadata/b']);
  assert.equal(snapshot(dir, true), before);
});

test.run();
