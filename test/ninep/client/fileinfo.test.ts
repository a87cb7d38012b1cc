import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DMDEVICE, DMDIR, DMNAMEDPIPE, DMSETGID, DMSETUID, DMSETVTX, DMSOCKET, DMSYMLINK, NONUNAME } from '../../../ninep/index.js';
import { makedev } from '../../../src/types.js';
import { dontTouchStat, infoFromGetattr, infoFromStat, linuxModeOf } from '../../../ninep/client/index.js';

test('stat(5) mode bits become Linux st_mode', () => {
  assert.is(linuxModeOf(DMDIR | 0o755), 0o040755);
  assert.is(linuxModeOf(DMSYMLINK | 0o777), 0o120777);
  assert.is(linuxModeOf(DMNAMEDPIPE | 0o600), 0o010600);
  assert.is(linuxModeOf(DMSOCKET | 0o600), 0o140600);
  assert.is(linuxModeOf(DMDEVICE | 0o660, Buffer.from('c 1 3')), 0o020660);
  assert.is(linuxModeOf(DMDEVICE | 0o660, Buffer.from('b 8 0')), 0o060660);
  assert.is(linuxModeOf(DMSETUID | DMSETGID | DMSETVTX | 0o755), 0o107755);
  assert.is(linuxModeOf(0o644), 0o100644);
});

const qid = { type: 0, version: 1, path: 5n };

test('a .u stat gives numeric owners and the device numbers of its extension', () => {
  const info = infoFromStat({
    type: 0, dev: 0, qid, mode: DMDEVICE | 0o600, atime: 1, mtime: 2, length: 0n, name: Buffer.from('null'),
    uid: 'root', gid: 'root', muid: '', extension: Buffer.from('c 1 3'), n_uid: 0, n_gid: 5, n_muid: NONUNAME,
  });
  assert.is(info.mode, 0o020600);
  assert.equal(info.rdev, { major: 1, minor: 3 });
  assert.is(info.uid, '0');
  assert.is(info.gid, '5');
  assert.is(info.mtimeSec, 2n);
});

test('a 9P2000 stat keeps the user names', () => {
  const info = infoFromStat({
    type: 0, dev: 0, qid, mode: 0o644, atime: 1, mtime: 2, length: 9n, name: Buffer.from('f'), uid: 'glenda', gid: 'sys', muid: '',
  });
  assert.is(info.uid, 'glenda');
  assert.is(info.size, 9n);
  assert.is(info.rdev, undefined);
});

test('Rgetattr: rdev split into major and minor for devices only', () => {
  const base = {
    type: 'Rgetattr' as const, valid: 0x7ffn, qid, mode: 0o060640, uid: 6, gid: 7, nlink: 1n, rdev: makedev(259, 70000), size: 0n,
    blksize: 4096n, blocks: 0n, atime_sec: 0n, atime_nsec: 0n, mtime_sec: 3n, mtime_nsec: 0n, ctime_sec: 0n, ctime_nsec: 0n,
    btime_sec: 0n, btime_nsec: 0n, gen: 0n, data_version: 0n,
  };
  assert.equal(infoFromGetattr(base).rdev, { major: 259, minor: 70000 });
  assert.is(infoFromGetattr({ ...base, mode: 0o100644 }).rdev, undefined);
  assert.is(infoFromGetattr(base).uid, '6');
});

test("dontTouchStat holds the don't-touch values of stat(5)", () => {
  const st = dontTouchStat(true);
  assert.is(st.mode, 0xffffffff);
  assert.is(st.length, 0xffffffffffffffffn);
  assert.is(st.uid, '');
  assert.ok('n_uid' in st && st.n_uid === NONUNAME);
  assert.not.ok('extension' in dontTouchStat(false));
});

test.run();
