// src/host/times.ts with and without the native addon: the exact path
// (utimensat, UTIME_OMIT, a symlink's own times, SEEK_DATA/SEEK_HOLE) and
// the Node fallback (microseconds, the other time written back, ENOSYS).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../../../native/index.js';
import { seekData, setTimes, SEEK_DATA, SEEK_HOLE } from '../../../src/host/times.js';
import { O_NOFOLLOW, O_PATH } from '../../../src/host/paths.js';
import { VfsError } from '../../../src/errors.js';
import { gated } from '../../helpers/gate.js';

let dir = '';
test.before.each(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-times-'));
});
test.after.each(() => fs.rmSync(dir, { recursive: true, force: true }));

const times = (p: string): [bigint, bigint] => {
  const st = fs.lstatSync(p, { bigint: true });
  return [st.atimeNs, st.mtimeNs];
};

gated(test, 'with the addon: nanoseconds exactly, omit leaves a time alone, a symlink descriptor sets the link', loadNative().reason, () => {
  const native = loadNative().native;
  const f = path.join(dir, 'f');
  fs.writeFileSync(f, 'x');
  fs.symlinkSync('f', path.join(dir, 'l'));
  const fd = fs.openSync(f, O_PATH);
  const lfd = fs.openSync(path.join(dir, 'l'), O_PATH | O_NOFOLLOW);
  try {
    setTimes(native, fd, 1700000000123456789n, 1700000001987654321n);
    assert.equal(times(f), [1700000000123456789n, 1700000001987654321n]);
    setTimes(native, fd, 'omit', 1600000000000000001n);
    assert.equal(times(f), [1700000000123456789n, 1600000000000000001n]);
    setTimes(native, lfd, -1500000000n, 'omit');
    assert.is(times(path.join(dir, 'l'))[0], -1500000000n, 'before the epoch');
    assert.equal(times(f), [1700000000123456789n, 1600000000000000001n], 'the target is untouched');
    setTimes(native, fd, 'now', 'omit');
    assert.ok(times(f)[0] > 1700000000123456789n);
  } finally {
    fs.closeSync(fd);
    fs.closeSync(lfd);
  }
});

test('without the addon: microseconds (cut), the other time written back, SEEK_DATA is ENOSYS', () => {
  const f = path.join(dir, 'f');
  fs.writeFileSync(f, 'x');
  const fd = fs.openSync(f, 'r');
  try {
    setTimes(null, fd, 1700000000123456789n, 1700000001987654321n);
    assert.equal(times(f), [1700000000123456000n, 1700000001987654000n]);
    setTimes(null, fd, 'omit', 1600000000000000000n);
    assert.equal(times(f), [1700000000123456000n, 1600000000000000000n]);
    assert.throws(() => seekData(null, fd, 0n, SEEK_DATA), (e: unknown) => e instanceof VfsError && e.code === 'ENOSYS');
  } finally {
    fs.closeSync(fd);
  }
});

gated(test, 'with the addon: SEEK_DATA and SEEK_HOLE on a sparse file, ENXIO past the end', loadNative().reason, () => {
  const native = loadNative().native;
  const f = path.join(dir, 'sparse');
  const fd = fs.openSync(f, 'w+');
  try {
    fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 1 << 20);
    fs.ftruncateSync(fd, 2 << 20);
    assert.is(seekData(native, fd, 0n, SEEK_DATA), 1n << 20n);
    assert.is(seekData(native, fd, 1n << 20n, SEEK_HOLE), (1n << 20n) + 4096n);
    assert.throws(() => seekData(native, fd, 2n << 20n, SEEK_DATA), (e: NodeJS.ErrnoException) => e.code === 'ENXIO');
  } finally {
    fs.closeSync(fd);
  }
});

test.run();
