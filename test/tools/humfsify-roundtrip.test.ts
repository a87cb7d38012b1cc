// humfsify then humfsify -r gives back exactly the tree we started from:
// every entry's type, mode (special bits included), owner, device numbers,
// size, link count, hard-link grouping, symlink target and contents; with
// names no shell script survives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { TempDirs, buildTree, runCli, snapshot, unescape } from './humfsify-helpers.js';

const temps = new TempDirs();
test.after.each(() => temps.cleanup());
process.umask(0o022);

// Hard cases: names with spaces, quotes, $, newline, tab-free control bytes,
// a leading dash, non-UTF-8 bytes, backslashes; special bits; big device
// numbers; FIFOs, sockets, hard-linked devices and FIFOs; odd directory modes.
const HARD_TREE = [
  'd\t.\t1755\t0\t0',
  'f\tplain\t644\t1000\t1000\thello',
  'f\twith space\t600\t1001\t1001\ta b',
  'f\tquote\'s "double"\t640\t0\t42\tq',
  'f\t$(touch pwned)\t644\t0\t0\t$',
  'f\tnew\\x0aline\t644\t7\t7\tnl',
  'f\t-rf\t755\t0\t0\tdash',
  'f\t--help\t755\t0\t0\tdash2',
  'f\tlatin1-\\xe9t\\xe9\t644\t0\t0\tbytes',
  'f\tbad-utf8-\\xff\\xfe\t644\t0\t0\tbytes2',
  'f\tback\\x5cslash\t644\t0\t0\tbs',
  'f\tsetuid\t4755\t0\t0\tsu',
  'f\tsetgid\t2711\t0\t50\tsg',
  'f\tall-bits\t7777\t12345\t54321\tall',
  'f\tnone\t0\t4000000000\t4000000001\tz',
  'h\tsetuid-link\t-\t-\t-\tsetuid',
  'h\tdir with space-link\t-\t-\t-\twith space',
  'd\tsticky\t1777\t0\t0',
  'd\tsgid-dir\t2775\t0\t100',
  'd\tclosed\t0\t1000\t1000',
  'f\tclosed/inside\t400\t1000\t1000\tin',
  'd\tdeep\t755\t0\t0',
  'd\tdeep/er\t700\t5\t5',
  'd\tdeep/er/est \\xff\t711\t6\t6',
  'f\tdeep/er/est \\xff/leaf\t644\t6\t6\tleaf',
  'l\tdeep/er/up\t-\t5\t5\t../../plain',
  'l\tdangling\t-\t1000\t1000\t/nonexistent/\\xff',
  'l\tto-dir\t-\t0\t0\tdeep',
  'c\tnull\t666\t0\t0\t1 3',
  'c\tbig-char\t620\t0\t5\t4095 1048575',
  'b\tbig-block\t660\t0\t6\t259 70000',
  'c\tsetuid-dev\t4660\t0\t6\t10 200',
  'h\tnull-again\t-\t-\t-\tnull',
  'h\tdeep/null-deep\t-\t-\t-\tnull',
  'p\tfifo\t620\t33\t33',
  'p\tfifo sticky\t1640\t0\t0',
  'h\tfifo-link\t-\t-\t-\tfifo',
  's\tsock\t755\t0\t0',
  's\tsock odd\t4711\t99\t98',
].join('\n');

function exportWith(tree: string): { dir: string; data: string } {
  const dir = temps.make('rt');
  const data = path.join(dir, 'data');
  buildTree(data, tree);
  return { dir, data };
}

test('convert then -r restores every entry exactly (full lstat, links, targets, contents)', () => {
  const { dir, data } = exportWith(HARD_TREE);
  const before = snapshot(data);
  assert.ok(before.length >= 38, `tree has ${before.length} entries`);

  const c = runCli(['nobody', 'nogroup', '1G'], dir);
  assert.is(c.status, 0, c.stderr);
  const converted = snapshot(data);
  // USER:GROUP own all of data/; host device nodes are gone (placeholders); FIFOs and sockets stay.
  assert.ok(converted.every((e) => e.uid === 65534 && e.gid === 65534));
  assert.ok(converted.every((e) => e.type !== 'c' && e.type !== 'b'));
  assert.is(converted.filter((e) => e.type === 'p').length, 3);
  assert.is(converted.filter((e) => e.type === 's').length, 2);
  assert.ok(converted.filter((e) => e.type !== 'l').every((e) => e.mode === '755'));
  const text = (rel: string): string => fs.readFileSync(Buffer.concat([Buffer.from(dir + '/'), unescape(rel)]), 'latin1');
  assert.is(text('file_metadata/all-bits'), '4095 12345 54321\n');
  assert.is(text('file_metadata/big-char'), '400 0 5 c 4095 1048575\n');
  assert.is(text('file_metadata/big-block'), '432 0 6 b 259 70000\n');
  assert.is(text('file_metadata/setuid-dev'), '2480 0 6 c 10 200\n');
  assert.is(text('file_metadata/new\\x0aline'), '420 7 7\n');
  assert.is(text('file_metadata/bad-utf8-\\xff\\xfe'), '420 0 0\n');
  assert.is(text('dir_metadata/metadata'), '1005 0 0\n');
  assert.is(text('dir_metadata/deep/er/est \\xff/metadata'), '457 6 6\n');
  assert.is(text('file_metadata/none'), '0 4000000000 4000000001\n');

  const r = runCli(['-r'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.equal(snapshot(data), before);
  assert.equal(fs.readdirSync(dir), ['data']);
});

test('--keep-devices leaves host devices in data/, and -r still restores everything', () => {
  const { dir, data } = exportWith(HARD_TREE);
  const before = snapshot(data);
  const c = runCli(['--keep-devices', '0', '0', '1G'], dir);
  assert.is(c.status, 0, c.stderr);
  assert.is(snapshot(data).filter((e) => e.type === 'c' || e.type === 'b').length, 6);
  const r = runCli(['-r'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.equal(snapshot(data), before);
});

test('-r turns p and s placeholders into real FIFOs and sockets, hard links and times kept', () => {
  const { dir, data } = exportWith('d\t.\t755\t0\t0\nf\tkeep\t644\t0\t0\tk');
  const c = runCli(['1000', '1000', '1M'], dir);
  assert.is(c.status, 0, c.stderr);
  // What a humfs server writes when an unprivileged guest makes a FIFO, a
  // hard link to it, and a socket: placeholder files typed in the metadata.
  const put = (rel: string, record: string): void => {
    fs.writeFileSync(path.join(data, rel), '');
    fs.writeFileSync(path.join(dir, 'file_metadata', rel), record);
  };
  put('guest-fifo', '2468 12 34 p 0 0\n');
  fs.linkSync(path.join(data, 'guest-fifo'), path.join(data, 'guest-fifo-2'));
  fs.linkSync(path.join(dir, 'file_metadata', 'guest-fifo'), path.join(dir, 'file_metadata', 'guest-fifo-2'));
  put('guest-sock', '493 56 78 s\n');
  put('guest-dev', '432 0 6 b 8 17\n');
  const when = new Date('2001-02-03T04:05:06Z');
  fs.utimesSync(path.join(data, 'guest-sock'), when, when);

  const r = runCli(['-r'], dir);
  assert.is(r.status, 0, r.stderr);
  const snap = new Map(snapshot(data).map((e) => [e.path, e]));
  const fifo = snap.get('guest-fifo');
  assert.equal([fifo?.type, fifo?.mode, fifo?.uid, fifo?.gid, fifo?.nlink], ['p', '4644', 12, 34, 2]);
  assert.is(snap.get('guest-fifo-2')?.inode, 'guest-fifo');
  const sock = snap.get('guest-sock');
  assert.equal([sock?.type, sock?.mode, sock?.uid, sock?.gid], ['s', '755', 56, 78]);
  assert.is(fs.lstatSync(path.join(data, 'guest-sock')).mtime.getTime(), when.getTime());
  const dev = fs.lstatSync(path.join(data, 'guest-dev'), { bigint: true });
  assert.ok(dev.isBlockDevice());
  assert.is(dev.rdev, (8n << 8n) | 17n);
  assert.is(snap.get('keep')?.uid, 0);
});

test.run();
