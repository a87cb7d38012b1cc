// The Vfs scenario list (test/conformance) run through a real FUSE mount,
// in hostfs and humfs modes. Every use of the mount is a child: the driver
// (helpers/driver.ts) or a shell. Where it is the easiest oracle, the same
// driver script runs on a native temp directory and the answers must match.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gated, firstMissing, needProgram } from '../helpers/gate.js';
import { NOBODY } from '../helpers/as-user.js';
import { loadNative } from '../../native/index.js';
import { runCli } from '../tools/humfsify-helpers.js';
import { drive, fuseMissing, MODES, sh, withMount, type Mounted, type Op, type OpResult } from './helpers/mount.js';

const test = suite('fuse scenarios');
const GIB = 1024 * 1024 * 1024;

/** The driver script on a fresh native directory (the oracle). */
async function native(ops: readonly Op[], prepare: (dir: string) => void = () => undefined): Promise<OpResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-native-'));
  try {
    prepare(dir);
    return await drive(dir, ops);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What must agree between the mount and a native directory: no inode numbers, times or directory sizes. */
function comparable(rs: OpResult[]): unknown[] {
  return rs.map((r) => {
    const v = r.ok;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !('mode' in v)) return r;
    const s = v as Record<string, unknown>;
    const isDir = (Number(s['mode']) & 0o170000) === 0o040000;
    return { ok: { mode: s['mode'], uid: s['uid'], gid: s['gid'], nlink: s['nlink'], rdev: s['rdev'], size: isDir ? '-' : s['size'] } };
  });
}

function same(a: OpResult[], b: OpResult[], ops: readonly Op[]): void {
  const ca = comparable(a);
  const cb = comparable(b);
  for (let i = 0; i < ops.length; i++) assert.equal(ca[i], cb[i], `op ${i} ${JSON.stringify(ops[i]).slice(0, 120)}`);
}

const LONG = 'n'.repeat(255);

/** Every namespace and data operation once, with the errors each can give. */
const EVERY_OP: Op[] = [
  { op: 'umask', mask: 0o022 },
  { op: 'writeFile', p: 'a', data: 'hello' },
  { op: 'open', p: 'a', flags: 'r+', fd: 'f' },
  { op: 'write', fd: 'f', data: 'HE', pos: 0 },
  { op: 'read', fd: 'f', len: 10, pos: 0 },
  { op: 'fstat', fd: 'f' },
  { op: 'ftruncate', fd: 'f', len: 3 },
  { op: 'fstat', fd: 'f' },
  { op: 'close', fd: 'f' },
  { op: 'truncate', p: 'a', len: 6 },
  { op: 'readFile', p: 'a' },
  { op: 'open', p: 'excl', flags: 'wx', fd: 'x', mode: 0o640 },
  { op: 'close', fd: 'x' },
  { op: 'open', p: 'excl', flags: 'wx', fd: 'x' },
  { op: 'stat', p: 'excl' },
  { op: 'chmod', p: 'a', mode: 0o600 },
  { op: 'chown', p: 'a', uid: 1234, gid: 5678 },
  { op: 'stat', p: 'a' },
  { op: 'chmod', p: 'a', mode: 0o1751 },
  { op: 'stat', p: 'a' },
  { op: 'link', from: 'a', to: 'b' },
  { op: 'stat', p: 'b' },
  { op: 'symlink', target: 'a', p: 'l' },
  { op: 'readlink', p: 'l' },
  { op: 'lstat', p: 'l' },
  { op: 'stat', p: 'l' },
  { op: 'symlink', target: 'x', p: 'l' },
  { op: 'readlink', p: 'a' },
  { op: 'mkdir', p: 'd', mode: 0o750 },
  { op: 'stat', p: 'd' },
  { op: 'mkdir', p: 'd' },
  { op: 'writeFile', p: 'd/x', data: 'x' },
  { op: 'rmdir', p: 'd' },
  { op: 'rename', from: 'a', to: 'd/a2' },
  { op: 'exists', p: 'a' },
  { op: 'readFile', p: 'd/a2' },
  { op: 'writeFile', p: 'c', data: 'cc' },
  { op: 'rename', from: 'c', to: 'b' },
  { op: 'readFile', p: 'b' },
  { op: 'stat', p: 'd/a2' },
  { op: 'mkdir', p: 'e' },
  { op: 'rename', from: 'e', to: 'd' },
  { op: 'rename', from: 'd', to: 'd/sub' },
  { op: 'rename', from: 'b', to: 'd' },
  { op: 'rename', from: 'e', to: 'b' },
  { op: 'rename', from: 'nope', to: 'z' },
  { op: 'link', from: 'd', to: 'dlink' },
  { op: 'readFile', p: 'nope' },
  { op: 'readFile', p: 'd/x/y' },
  { op: 'open', p: 'd', flags: 'w', fd: 'w' },
  { op: 'readdir', p: 'd/x' },
  { op: 'rmdir', p: 'd/x' },
  { op: 'unlink', p: 'd' },
  { op: 'unlink', p: 'nope' },
  { op: 'rmdir', p: 'e' },
  { op: 'exists', p: 'e' },
  { op: 'writeFile', p: 'new\nline', data: 'nl' },
  { op: 'writeFile', p: 'latin-\u00e9', data: 'l1' },
  { op: 'writeFile', p: LONG, data: 'long' },
  { op: 'writeFile', p: LONG + 'n', data: 'too long' },
  { op: 'mkdir', p: LONG + 'n' },
  { op: 'readFile', p: 'latin-\u00e9' },
  { op: 'readFile', p: LONG },
  { op: 'readdir', p: '.' },
  { op: 'unlink', p: 'd/x' },
  { op: 'unlink', p: 'd/a2' },
  { op: 'stat', p: 'b' },
  { op: 'rmdir', p: 'd' },
  { op: 'readdir', p: '.' },
];

for (const mode of MODES) {
  const on = (name: string, fn: (m: Mounted) => Promise<void>, missing = fuseMissing, fill: (d: string) => void = () => undefined): void =>
    gated(test, `${mode}: ${name}`, missing, () => withMount(mode, fill, fn, { prefix: 'humbridge-fuse-scn-' }));

  on('every operation and its errors answer as on a native directory', async (m) => {
    const got = await drive(m.mnt, EVERY_OP);
    same(got, await native(EVERY_OP), EVERY_OP);
    // A few answers spelled out, so the oracle itself cannot drift.
    const byOp = (i: number): OpResult => got[i] ?? {};
    assert.equal(byOp(4), { ok: 'HEllo' });
    assert.equal(byOp(13), { err: 'EEXIST' });
    assert.equal(byOp(32), { err: 'ENOTEMPTY' });
    assert.equal(byOp(59), { err: 'ENAMETOOLONG' });
    assert.equal(byOp(47), { err: 'ENOENT' });
    assert.equal(byOp(48), { err: 'ENOTDIR' });
    assert.equal(byOp(49), { err: 'EISDIR' });
  });

  on('readdir of 1000 entries', async (m) => {
    const names = Array.from({ length: 1000 }, (_, i) => `entry-${String(i).padStart(4, '0')}-${'x'.repeat(i % 200)}`);
    const ops: Op[] = [{ op: 'mkdir', p: 'big' }, ...names.map((n): Op => ({ op: 'writeFile', p: `big/${n}`, data: n })), { op: 'readdir', p: 'big' }];
    const got = await drive(m.mnt, ops);
    assert.equal(got.at(-1), { ok: [...names].sort() });
    // A second child lists it again, from a cold directory handle.
    assert.equal((await drive(m.mnt, [{ op: 'readdir', p: 'big' }]))[0], { ok: [...names].sort() });
    assert.is((await sh('ls big | wc -l', m.mnt)).stdout.toString().trim(), '1000');
  });

  on('utimes with nanoseconds: touch -a and touch -m set one time each', async (m) => {
    const script =
      'touch f && touch -d @1000000000 f && touch -a -d "2001-02-03 04:05:06.123456789" f && stat -c "%x|%y" f && ' +
      'touch -m -d "2002-03-04 05:06:07.987654321" f && stat -c "%x|%y" f';
    const r = await sh(script, m.mnt);
    assert.is(r.code, 0, r.stderr);
    // With the addon times are exact; without it the Vfs keeps whole
    // microseconds (Node's utimes; src/host/times.ts): the nanoseconds below are cut, not rounded.
    const [a, b] = loadNative().native ? ['123456789', '987654321'] : ['123456000', '987654000'];
    const want = `2001-02-03 04:05:06.${a} +0000|2001-09-09 01:46:40.000000000 +0000\n2001-02-03 04:05:06.${a} +0000|2002-03-04 05:06:07.${b} +0000\n`;
    assert.is(r.stdout.toString(), want);
    const st = fs.statSync(path.join(m.data, 'f'), { bigint: true });
    assert.is(st.mtimeNs, BigInt(`1015218367${b}`));
    assert.is(st.atimeNs, BigInt(`981173106${a}`));
  });

  on('offsets above 4 GiB: write at 5 GiB, size, read back, sparse', async (m) => {
    const five = 5 * GIB;
    const got = await drive(m.mnt, [
      { op: 'open', p: 'sparse', flags: 'w+', fd: 'f' },
      { op: 'write', fd: 'f', data: 'XYZ', pos: five },
      { op: 'fstat', fd: 'f' },
      { op: 'read', fd: 'f', len: 8, pos: five - 2 },
      { op: 'read', fd: 'f', len: 4, pos: 4 * GIB + 1 },
      { op: 'close', fd: 'f' },
      { op: 'stat', p: 'sparse' },
    ]);
    const st = got[2]?.ok as Record<string, string>;
    assert.is(st['size'], String(five + 3));
    assert.equal(got[3], { ok: '\0\0XYZ' });
    assert.equal(got[4], { ok: '\0\0\0\0' });
    assert.ok(Number((got[6]?.ok as Record<string, string>)['blocks']) < 2048, 'sparse through the mount');
    const host = fs.statSync(path.join(m.data, 'sparse'));
    assert.is(host.size, five + 3);
    assert.ok(host.blocks < 2048, 'sparse on the host');
  });

  on('unlink while open: the descriptor keeps reading and writing', async (m) => {
    const got = await drive(m.mnt, [
      { op: 'writeFile', p: 'gone', data: 'still here' },
      { op: 'open', p: 'gone', flags: 'r+', fd: 'f' },
      { op: 'unlink', p: 'gone' },
      { op: 'exists', p: 'gone' },
      { op: 'read', fd: 'f', len: 100, pos: 0 },
      { op: 'write', fd: 'f', data: 'STILL', pos: 0 },
      { op: 'read', fd: 'f', len: 100, pos: 0 },
      { op: 'fstat', fd: 'f' },
      { op: 'close', fd: 'f' },
      { op: 'readdir', p: '.' },
    ]);
    assert.equal(got.slice(2, 7), [{ ok: null }, { ok: false }, { ok: 'still here' }, { ok: 5 }, { ok: 'STILL here' }]);
    assert.is((got[7]?.ok as Record<string, number>)['nlink'], 0);
    assert.equal(got[9], { ok: [] });
  });

  on('a change through one hard link is seen at once through the other', async (m) => {
    const first = await drive(m.mnt, [
      { op: 'writeFile', p: 'one', data: 'first' },
      { op: 'mkdir', p: 'sub' },
      { op: 'link', from: 'one', to: 'sub/two' },
      { op: 'stat', p: 'one' },
    ]);
    assert.is((first[3]?.ok as Record<string, number>)['nlink'], 2);
    // Another child writes through one name and reads through the other straight away.
    const got = await drive(m.mnt, [
      { op: 'open', p: 'sub/two', flags: 'r+', fd: 'f' },
      { op: 'write', fd: 'f', data: 'SECOND-longer', pos: 0 },
      { op: 'close', fd: 'f' },
      { op: 'readFile', p: 'one' },
      { op: 'stat', p: 'one' },
      { op: 'stat', p: 'sub/two' },
      { op: 'unlink', p: 'sub/two' },
      { op: 'stat', p: 'one' },
      { op: 'readFile', p: 'one' },
    ]);
    assert.equal(got[3], { ok: 'SECOND-longer' });
    const a = got[4]?.ok as Record<string, string | number>;
    const b = got[5]?.ok as Record<string, string | number>;
    assert.is(a['size'], '13');
    assert.is(a['ino'], b['ino']);
    assert.is(a['nlink'], 2);
    assert.is((got[7]?.ok as Record<string, number>)['nlink'], 1);
    assert.equal(got[8], { ok: 'SECOND-longer' });
  });

  on('EACCES for another uid; a file it makes in a world-writable dir is its own', async (m) => {
    const setup = await drive(m.mnt, [
      { op: 'umask', mask: 0 },
      { op: 'mkdir', p: 'private', mode: 0o700 },
      { op: 'writeFile', p: 'private/secret', data: 's' },
      { op: 'writeFile', p: 'ro', data: 'r' },
      { op: 'chmod', p: 'ro', mode: 0o644 },
      { op: 'mkdir', p: 'pub', mode: 0o1777 },
      { op: 'writeFile', p: 'pub/roots', data: 'r' },
    ]);
    assert.ok(setup.every((r) => r.err === undefined), JSON.stringify(setup));
    const got = await drive(
      m.mnt,
      [
        { op: 'readFile', p: 'private/secret' },
        { op: 'readdir', p: 'private' },
        { op: 'writeFile', p: 'ro', data: 'w' },
        { op: 'readFile', p: 'ro' },
        { op: 'writeFile', p: 'mine', data: 'no' },
        { op: 'unlink', p: 'pub/roots' },
        { op: 'chmod', p: 'ro', mode: 0o666 },
        { op: 'writeFile', p: 'pub/nobodys', data: 'n' },
        { op: 'mkdir', p: 'pub/nodir' },
        { op: 'stat', p: 'pub/nobodys' },
      ],
      NOBODY,
    );
    assert.equal(got.slice(0, 9), [
      { err: 'EACCES' },
      { err: 'EACCES' },
      { err: 'EACCES' },
      { ok: 'r' },
      { err: 'EACCES' },
      { err: 'EPERM' },
      { err: 'EPERM' },
      { ok: null },
      { ok: null },
    ]);
    const st = got[9]?.ok as Record<string, number>;
    assert.is(st['uid'], NOBODY.uid);
    assert.is(st['gid'], NOBODY.gid);
    if (m.mode === 'hostfs') {
      assert.is(fs.statSync(path.join(m.data, 'pub/nobodys')).uid, NOBODY.uid);
      assert.is(fs.statSync(path.join(m.data, 'pub/nodir')).gid, NOBODY.gid);
    } else {
      assert.is(fs.statSync(path.join(m.data, 'pub/nobodys')).uid, 0, 'the data stays the serving user\'s');
      assert.is(fs.readFileSync(path.join(m.tmp.dir, 'file_metadata/pub/nobodys'), 'utf8'), '420 65534 65534\n');
      assert.is(fs.readFileSync(path.join(m.tmp.dir, 'dir_metadata/pub/nodir/metadata'), 'utf8'), '493 65534 65534\n');
    }
  }, fuseMissing);

  on('concurrent writers of distinct regions and readers of the others', async (m) => {
    const REGION = 256 * 1024;
    const N = 4;
    const CHUNK = 16 * 1024;
    await drive(m.mnt, [{ op: 'open', p: 'shared', flags: 'w', fd: 'f' }, { op: 'ftruncate', fd: 'f', len: REGION * N }, { op: 'close', fd: 'f' }]);
    const children = Array.from({ length: N }, (_, i) => {
      const ops: Op[] = [{ op: 'open', p: 'shared', flags: 'r+', fd: 'f' }];
      for (let c = 0; c < REGION / CHUNK; c++) {
        ops.push({ op: 'fill', fd: 'f', len: CHUNK, byte: i + 1, pos: i * REGION + c * CHUNK });
        const other = (i + 1 + (c % (N - 1))) % N;
        ops.push({ op: 'read', fd: 'f', len: 64, pos: other * REGION + c * CHUNK });
      }
      ops.push({ op: 'close', fd: 'f' });
      return drive(m.mnt, ops).then((rs) => ({ i, rs }));
    });
    for (const { i, rs } of await Promise.all(children)) {
      rs.forEach((r, k) => {
        assert.is(r.err, undefined, `child ${i} op ${k}`);
        if (typeof r.ok === 'string' && k % 2 === 0 && k > 0) {
          // What a reader sees of another region: untouched zeros or that writer's byte, nothing else.
          const c = (k - 2) / 2;
          const owner = ((i + 1 + (c % (N - 1))) % N) + 1;
          for (const ch of r.ok) assert.ok(ch === '\0' || ch.charCodeAt(0) === owner, `child ${i} read ${ch.charCodeAt(0)} in region ${owner - 1}`);
        }
      });
    }
    const final = await drive(m.mnt, [{ op: 'readFile', p: 'shared' }]);
    const want = Buffer.concat(Array.from({ length: N }, (_, i) => Buffer.alloc(REGION, i + 1)));
    assert.ok(Buffer.from(final[0]?.ok as string, 'latin1').equals(want), 'final content through the mount');
    assert.ok(fs.readFileSync(path.join(m.data, 'shared')).equals(want), 'final content on the host');
  });

  on(
    'RENAME_NOREPLACE and RENAME_EXCHANGE (renameat2 through python3 ctypes)',
    async (m) => {
      const py =
        'import ctypes,errno,sys\n' +
        'libc=ctypes.CDLL(None,use_errno=True)\n' +
        'for a,b,f in [("a","b",1),("a","c",1),("c","b",2),("b","nope",2)]:\n' +
        '  r=libc.renameat2(-100,a.encode(),-100,b.encode(),f)\n' +
        '  print(a,b,f,"ok" if r==0 else errno.errorcode[ctypes.get_errno()])\n';
      const script = 'printf A > a && printf B > b && python3 -c "$1" && for f in a b c; do printf "%s=" $f; cat $f 2>/dev/null; echo; done';
      const got = await sh(script, m.mnt, py);
      const nat = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-native-'));
      try {
        const want = await sh(script, nat, py);
        assert.is(got.code, 0, got.stderr);
        assert.is(got.stdout.toString(), want.stdout.toString());
        assert.is(got.stdout.toString(), 'a b 1 EEXIST\na c 1 ok\nc b 2 ok\nb nope 2 ENOENT\na=\nb=A\nc=B\n');
      } finally {
        fs.rmSync(nat, { recursive: true, force: true });
      }
    },
    firstMissing(fuseMissing, needProgram('python3', 'python3')),
  );

  on('setuid and setgid bits: refused on a hostfs export (nosuid by default), kept virtual by humfs', async (m) => {
    const got = await drive(m.mnt, [
      { op: 'writeFile', p: 'f', data: 'x' },
      { op: 'chmod', p: 'f', mode: 0o4755 },
      { op: 'chmod', p: 'f', mode: 0o2755 },
      { op: 'stat', p: 'f' },
    ]);
    const mode = (got[3]?.ok as Record<string, number>)['mode'] ?? 0;
    if (m.mode === 'hostfs') {
      assert.equal(got.slice(1, 3), [{ err: 'EPERM' }, { err: 'EPERM' }]);
      assert.is(mode & 0o7777, 0o644);
    } else {
      assert.equal(got.slice(1, 3), [{ ok: null }, { ok: null }]);
      assert.is(mode & 0o7777, 0o2755);
      assert.is(fs.statSync(path.join(m.data, 'f')).mode & 0o6000, 0, 'no setid bit on the host');
    }
  });

  on('EXDEV: a rename off the mount', async (m) => {
    const away = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-away-'));
    try {
      const got = await drive(m.mnt, [{ op: 'writeFile', p: 'f', data: 'x' }, { op: 'rename', from: 'f', to: path.join(away, 'f') }]);
      assert.equal(got[1], { err: 'EXDEV' });
    } finally {
      fs.rmSync(away, { recursive: true, force: true });
    }
  });
}

gated(test, 'humfs: root chowns and chmods through the mount; the data stays the serving user\'s, the records hold the rest; humfsify --check is clean', fuseMissing, () =>
  withMount('humfs', () => undefined, async (m) => {
    const r = await sh(
      'mkdir -p d/e && printf x > d/f && ln -s f d/l && ln d/f d/h && chown 1000:100 d d/f && chown -h 7:8 d/l && chmod 2750 d && chmod 4711 d/f && chown 0:42 d/e && chmod 1777 d/e && ' +
        'stat -c "%n %a %u %g %h" d d/e d/f d/h && stat -c "%n %u %g" d/l',
      m.mnt,
    );
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), 'd 2750 1000 100 3\nd/e 1777 0 42 2\nd/f 4711 1000 100 2\nd/h 4711 1000 100 2\nd/l 7 8\n');
    for (const rel of ['d', 'd/e', 'd/f', 'd/l']) {
      const st = fs.lstatSync(path.join(m.data, rel));
      assert.equal([st.uid, st.gid], [0, 0], `${rel} on disk`);
    }
    const meta = (rel: string): string => fs.readFileSync(path.join(m.tmp.dir, rel), 'utf8');
    assert.is(meta('dir_metadata/d/metadata'), `${0o2750} 1000 100\n`);
    assert.is(meta('dir_metadata/d/e/metadata'), `${0o1777} 0 42\n`);
    assert.is(meta('file_metadata/d/f'), `${0o4711} 1000 100\n`);
    assert.is(meta('file_metadata/d/l').split(' ').slice(1).join(' '), '7 8\n');
    await m.close();
    const check = runCli(['--check'], m.tmp.dir);
    assert.is(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stderr, /check: 0 problem\(s\)/);
  }),
);

test.run();
