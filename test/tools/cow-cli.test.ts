// `humbridge cow new|diff|merge` through the real CLI, on layers made by hand
// in the overlayfs upper format.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getAttributeSync } from 'fs-xattr';
import { applyToView, copyTree, cow, makeScenario, tempDir, whiteout } from './cow-helpers.js';
import { treeDifferences } from '../helpers/tree-compare.js';
import { gated, needProgram } from '../helpers/gate.js';

const dirs: string[] = [];
function scratch(tag: string): { dir: string; state: string } {
  const dir = tempDir(tag);
  dirs.push(dir);
  return { dir, state: path.join(dir, 'state') };
}
test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface DiffJson {
  format: number;
  mode: string;
  counts: Record<string, number>;
  changes: { path: string; change: string; type: string; fields: string[] }[];
}

test('cow new makes an empty hostfs layer: upper/ is the base root copied up, diff shows nothing', () => {
  const { dir, state } = scratch('new');
  const base = path.join(dir, 'base');
  fs.mkdirSync(path.join(base, 'd'), { recursive: true });
  fs.writeFileSync(path.join(base, 'd/f'), 'f');
  fs.chmodSync(base, 0o711);
  const layer = path.join(dir, 'layer');
  const r = cow(state, 'new', '--base', base, layer);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /hostfs mode, 2 base entries/);
  assert.equal(fs.readdirSync(layer).sort(), ['cow.json', 'upper', 'work']);
  assert.equal(fs.readdirSync(path.join(layer, 'upper')), []);
  assert.is(fs.statSync(path.join(layer, 'upper')).mode & 0o7777, 0o711);
  const m = JSON.parse(fs.readFileSync(path.join(layer, 'cow.json'), 'utf8')) as { mode: string; base: { path: string; entries: number } };
  assert.is(m.mode, 'hostfs');
  assert.is(m.base.path, fs.realpathSync(base));
  assert.is(m.base.entries, 2);
  const d = cow(state, 'diff', layer);
  assert.is(d.status, 0, d.stderr);
  assert.is(d.stdout, '');
  // An existing empty folder is fine too.
  fs.mkdirSync(path.join(dir, 'empty'));
  assert.is(cow(state, 'new', '--base', base, path.join(dir, 'empty')).status, 0);
});

function humfsBase(dir: string): string {
  const base = path.join(dir, 'hbase');
  fs.mkdirSync(path.join(base, 'data/sub'), { recursive: true });
  fs.writeFileSync(path.join(base, 'data/f'), 'f');
  fs.writeFileSync(path.join(base, 'data/g'), 'g');
  fs.writeFileSync(path.join(base, 'data/h'), 'h');
  fs.writeFileSync(path.join(base, 'data/sub/s'), 's');
  const r = spawnSync(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), '../../tools/humfsify.js'), '-C', base, '0', '0', '1G'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return base;
}

test('cow new on a humfs base: a humfs skeleton, and the mode must match --humfs', () => {
  const { dir, state } = scratch('newh');
  const base = humfsBase(dir);
  const layer = path.join(dir, 'layer');
  const refused = cow(state, 'new', '--base', base, layer);
  assert.is(refused.status, 1);
  assert.match(refused.stderr, /is a humfs tree: pass --humfs .* or --hostfs/);
  assert.not.ok(fs.existsSync(layer));
  const r = cow(state, 'new', '--humfs', '--base', base, layer);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /humfs mode/);
  assert.equal(fs.readdirSync(path.join(layer, 'upper')).sort(), ['data', 'dir_metadata', 'file_metadata', 'superblock']);
  assert.equal(fs.readdirSync(path.join(layer, 'upper/data')), []);
  assert.is(fs.readFileSync(path.join(layer, 'upper/superblock'), 'utf8'), fs.readFileSync(path.join(base, 'superblock'), 'utf8'));
  assert.is(cow(state, 'diff', layer).stdout, '');
  // --hostfs layers the raw tree; --humfs on a plain tree is refused.
  assert.is(cow(state, 'new', '--hostfs', '--base', base, path.join(dir, 'raw')).status, 0);
  const plain = path.join(dir, 'plain');
  fs.mkdirSync(plain);
  const wrong = cow(state, 'new', '--humfs', '--base', plain, path.join(dir, 'l2'));
  assert.is(wrong.status, 1);
  assert.match(wrong.stderr, /--humfs wants a humfs tree/);
});

test('cow new: clear errors and exit statuses', () => {
  const { dir, state } = scratch('newerr');
  const base = path.join(dir, 'base');
  fs.mkdirSync(base);
  fs.mkdirSync(path.join(dir, 'full'));
  fs.writeFileSync(path.join(dir, 'full/x'), '');
  for (const [args, status, re] of [
    [['new', path.join(dir, 'l')], 2, /cow new needs --base BASE/],
    [['new', '--base', base], 2, /needs a LAYER folder/],
    [['frob', 'x'], 2, /unknown verb "frob"/],
    [['new', '--json', '--base', base, path.join(dir, 'l')], 2, /--json does not apply to cow new/],
    [['new', '--humfs', '--hostfs', '--base', base, path.join(dir, 'l')], 2, /exclude each other/],
    [['new', '--base', path.join(dir, 'nope'), path.join(dir, 'l')], 1, /no such directory \(the base\)/],
    [['new', '--base', base, path.join(dir, 'full')], 1, /exists and is not empty/],
    [['new', '--base', base, path.join(base, 'inside')], 1, /inside the base/],
    [['new', '--base', base, path.join(dir, 'no/parent')], 1, /no such directory \(the layer's parent\)/],
    [['diff', path.join(dir, 'full')], 1, /not a copy-on-write layer/],
  ] as const) {
    const r = cow(state, ...args);
    assert.is(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.not.match(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});

test('cow --help, and a layer whose base is gone', () => {
  const { dir, state } = scratch('gone');
  const help = cow(state, '--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, /cow merge LAYER \[--into NEWBASE\]/);
  const base = path.join(dir, 'base');
  fs.mkdirSync(base);
  const layer = path.join(dir, 'layer');
  assert.is(cow(state, 'new', '--base', base, layer).status, 0);
  fs.rmdirSync(base);
  for (const verb of ['diff', 'merge']) {
    const r = cow(state, verb, layer);
    assert.is(r.status, 1, verb);
    assert.match(r.stderr, new RegExp(`^humbridge: cow ${verb}: the layer's base .*base is gone\n$`));
  }
});

const EXPECTED_TEXT = `changed  /a.txt (content, mtime)
deleted  /b.txt
changed  /big.bin (content, mtime)
replaced /dir2file
replaced /file2dir/
added    /file2dir/child
added    /hl1
changed  /link (content, mtime)
added    /newdev
added    /newdir/
added    /newdir/deep/
added    /newdir/deep/f
added    /newdir/hl2
added    /newfifo
deleted  /olddir/
replaced /opq/
added    /opq/new1
changed  /sub/mode.txt (mode)
added    /sub/new.txt
changed  /x.txt (xattrs)
`;

test('cow diff lists a hand-made layer\'s changes in path order, as text and --json', () => {
  const { dir, state } = scratch('diff');
  const { layer } = makeScenario(dir, state);
  const r = cow(state, 'diff', layer);
  assert.is(r.status, 0, r.stderr);
  assert.fixture(r.stdout, EXPECTED_TEXT);
  const j = cow(state, 'diff', '--json', layer);
  assert.is(j.status, 0, j.stderr);
  const doc = JSON.parse(j.stdout) as DiffJson;
  assert.is(doc.format, 1);
  assert.is(doc.mode, 'hostfs');
  assert.equal(doc.counts, { added: 10, changed: 5, deleted: 2, replaced: 3 });
  assert.equal(doc.changes.find((c) => c.path === '/newdev'), { path: '/newdev', change: 'added', type: 'char', fields: [] });
  assert.equal(doc.changes.map((c) => c.path), EXPECTED_TEXT.trim().split('\n').map((l) => l.split(/ +/)[1]?.replace(/\/$/, '')));
  assert.equal(doc.changes.find((c) => c.path === '/sub/mode.txt'), { path: '/sub/mode.txt', change: 'changed', type: 'file', fields: ['mode'] });
  assert.equal(doc.changes.find((c) => c.path === '/olddir'), { path: '/olddir', change: 'deleted', type: 'dir', fields: [] });
});

test('cow diff in humfs mode: guest paths; a record without its data is a metadata change', () => {
  const { dir, state } = scratch('diffh');
  const base = humfsBase(dir);
  const layer = path.join(dir, 'layer');
  assert.is(cow(state, 'new', '--humfs', '--base', base, layer).status, 0);
  const up = (rel: string) => path.join(layer, 'upper', rel);
  fs.copyFileSync(path.join(base, 'data/f'), up('data/f'));
  fs.appendFileSync(up('data/f'), ' more');
  fs.writeFileSync(up('file_metadata/g'), '384 0 0\n');
  whiteout(up('data/h'));
  whiteout(up('file_metadata/h'));
  fs.mkdirSync(up('dir_metadata/sub'));
  fs.writeFileSync(up('dir_metadata/sub/metadata'), '448 5 5\n');
  const r = cow(state, 'diff', layer);
  assert.is(r.status, 0, r.stderr);
  assert.fixture(r.stdout, 'changed  /f (content, mtime)\nchanged  /g (mode)\ndeleted  /h\nchanged  /sub/ (mode, owner)\n');
  const doc = JSON.parse(cow(state, 'diff', '--json', layer).stdout) as DiffJson;
  assert.is(doc.mode, 'humfs');
  assert.equal(doc.counts, { added: 0, changed: 3, deleted: 1, replaced: 0 });
  // The merge writes the host trees' overlay: the records too.
  const m = cow(state, 'merge', layer);
  assert.is(m.status, 0, m.stderr);
  assert.is(fs.readFileSync(path.join(base, 'data/f'), 'utf8'), 'f more');
  assert.is(fs.readFileSync(path.join(base, 'file_metadata/g'), 'utf8'), '384 0 0\n');
  assert.not.ok(fs.existsSync(path.join(base, 'data/h')));
  assert.not.ok(fs.existsSync(path.join(base, 'file_metadata/h')));
  assert.is(fs.readFileSync(path.join(base, 'dir_metadata/sub/metadata'), 'utf8'), '448 5 5\n');
  assert.is(cow(state, 'diff', layer).stdout, '');
});

test('cow merge: the base becomes what the layer shows; the layer is empty and made for the merged base', () => {
  const { dir, state } = scratch('merge');
  const { base, layer } = makeScenario(dir, state);
  const view = path.join(dir, 'view');
  copyTree(base, view);
  // A sparse file: 64 MiB with one byte of data.
  for (const p of [path.join(layer, 'upper/sparse.bin'), path.join(view, 'sparse.bin')]) {
    fs.writeFileSync(p, '');
    fs.truncateSync(p, 64 << 20);
    const fd = fs.openSync(p, 'r+');
    fs.writeSync(fd, 'x', 32 << 20);
    fs.closeSync(fd);
  }
  // A copy-up a stopped server left half made: hidden from the view, so not merged.
  fs.writeFileSync(path.join(layer, 'upper', '.humbridge-cow-0123456789abcdef'), 'half a copy');
  applyToView(view, path.join(layer, 'upper'));
  // Times to the nanosecond (the view's copy holds the same).
  const ns = spawnSync('touch', ['-h', '-d', '@1600000000.123456789', path.join(layer, 'upper', 'x.txt'), path.join(view, 'x.txt')]);
  assert.is(ns.status, 0);
  const r = cow(state, 'merge', layer);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /the layer is empty again/);
  assert.not.ok(fs.existsSync(path.join(base, '.humbridge-cow-0123456789abcdef')), 'the temporary name is not merged');
  assert.is(fs.lstatSync(path.join(base, 'x.txt'), { bigint: true }).mtimeNs, 1600000000123456789n, 'mtime to the nanosecond');
  assert.equal(treeDifferences(base, view), []);
  assert.is(fs.statSync(path.join(base, 'hl1')).ino, fs.statSync(path.join(base, 'newdir/hl2')).ino);
  assert.is(getAttributeSync(path.join(base, 'x.txt'), 'user.t').toString(), 'two');
  assert.ok(fs.statSync(path.join(base, 'sparse.bin')).blocks * 512 < 1 << 20, 'the sparse file stays sparse');
  assert.equal(fs.readdirSync(path.join(layer, 'upper')), []);
  assert.equal(fs.readdirSync(layer).sort(), ['cow.json', 'upper', 'work']);
  const d = cow(state, 'diff', layer);
  assert.is(d.status, 0, `the manifest names the merged base: ${d.stderr}`);
  assert.is(d.stdout, '');
});

test('cow merge --into NEWBASE: a merged copy; the base stays byte-identical and the layer as it was', () => {
  const { dir, state } = scratch('into');
  const { base, layer } = makeScenario(dir, state);
  const view = path.join(dir, 'view');
  copyTree(base, view);
  applyToView(view, path.join(layer, 'upper'));
  const before = path.join(dir, 'before');
  copyTree(base, before);
  const diffBefore = cow(state, 'diff', '--json', layer).stdout;
  const manifest = fs.readFileSync(path.join(layer, 'cow.json'), 'utf8');
  // A second layer on the base does not stop a merge that leaves the base alone.
  assert.is(cow(state, 'new', '--base', base, path.join(dir, 'other')).status, 0);
  const out = path.join(dir, 'merged');
  const r = cow(state, 'merge', '--into', out, layer);
  assert.is(r.status, 0, r.stderr);
  assert.equal(treeDifferences(out, view), []);
  assert.equal(treeDifferences(base, before), []);
  assert.is(fs.readFileSync(path.join(layer, 'cow.json'), 'utf8'), manifest);
  assert.is(cow(state, 'diff', '--json', layer).stdout, diffBefore);
  const again = cow(state, 'merge', '--into', out, layer);
  assert.is(again.status, 1);
  assert.match(again.stderr, /exists \(--into makes a new folder\)/);
});

test('a base changed since the layer was made: diff and merge refuse, --force goes on', () => {
  const { dir, state } = scratch('changed');
  const { base, layer } = makeScenario(dir, state);
  fs.writeFileSync(path.join(base, 'late.txt'), 'added after the layer');
  for (const verb of ['diff', 'merge']) {
    const r = cow(state, verb, layer);
    assert.is(r.status, 1, verb);
    assert.match(r.stderr, /changed since the layer was made .*--force/);
  }
  assert.ok(fs.existsSync(path.join(layer, 'upper/a.txt')), 'nothing merged');
  assert.is(cow(state, 'diff', '--force', layer).status, 0);
  const r = cow(state, 'merge', '--force', layer);
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(base, 'a.txt'), 'utf8'), 'ALPHA, changed');
  assert.is(fs.readFileSync(path.join(base, 'late.txt'), 'utf8'), 'added after the layer');
});

test('cow merge refuses while other layers depend on the base, names them, and --force merges', () => {
  const { dir, state } = scratch('deps');
  const { base, layer } = makeScenario(dir, state);
  const other = path.join(dir, 'other');
  assert.is(cow(state, 'new', '--base', base, other).status, 0);
  const r = cow(state, 'merge', layer);
  assert.is(r.status, 1);
  assert.match(r.stderr, /other layers depend on .*other.*--force merges anyway/);
  assert.ok(fs.existsSync(path.join(layer, 'upper/a.txt')), 'nothing merged');
  // A deleted layer no longer counts.
  fs.rmSync(other, { recursive: true });
  const ok = cow(state, 'merge', layer);
  assert.is(ok.status, 0, ok.stderr);
  const base2 = path.join(dir, 'base2');
  fs.mkdirSync(base2);
  assert.is(cow(state, 'new', '--base', base2, path.join(dir, 'l1')).status, 0);
  assert.is(cow(state, 'new', '--base', base2, path.join(dir, 'l2')).status, 0);
  assert.is(cow(state, 'merge', path.join(dir, 'l1')).status, 1);
  assert.is(cow(state, 'merge', '--force', path.join(dir, 'l1')).status, 0);
});

gated(test, 'cow merge draws a progress line on a terminal only', needProgram('script', 'util-linux'), () => {
  const { dir, state } = scratch('progress');
  const { layer } = makeScenario(dir, state);
  const plain = cow(state, 'diff', layer);
  assert.not.match(plain.stderr, /\r/);
  // script(1) gives the command a terminal.
  const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '../../tools/humbridge.js');
  const r = spawnSync('script', ['-qec', `${process.execPath} ${cli} cow merge ${layer}`, '/dev/null'], {
    encoding: 'utf8',
    cwd: '/',
    env: { ...process.env, XDG_STATE_HOME: state },
  });
  assert.is(r.status, 0, r.stdout);
  assert.match(r.stdout, /\r\x1b\[Khumbridge cow: merging: \d+\/33 entries/);
  assert.match(r.stdout, /merged .* into /);
});

test.run();
