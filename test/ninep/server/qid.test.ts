import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QTDIR, QTFILE, QTSYMLINK } from '../../../ninep/index.js';
import { qidOf, qidTypeOfDtype, qidVersion } from '../../../ninep/server/qid.js';
import { DT_CHR, DT_DIR, DT_LNK, DT_REG, type Attr } from '../../../src/types.js';

function attr(mode: number, ino: number, mtime = 1n, ctime = 1n): Attr {
  return { ino, mode, nlink: 1, uid: 0, gid: 0, rdev: 0n, size: 0n, blocks: 0n, blksize: 4096, atime: 0n, mtime, ctime, btime: 0n, gen: 0 };
}

test('qid: path is the NodeId, type from the mode', () => {
  assert.equal(qidOf(attr(0o040755, 7)).type, QTDIR);
  assert.equal(qidOf(attr(0o120777, 8)).type, QTSYMLINK);
  assert.equal(qidOf(attr(0o100644, 9)).type, QTFILE);
  assert.equal(qidOf(attr(0o020644, 10)).type, QTFILE);
  assert.is(qidOf(attr(0o100644, 123456789)).path, 123456789n);
  assert.equal([DT_DIR, DT_LNK, DT_REG, DT_CHR].map(qidTypeOfDtype), [QTDIR, QTSYMLINK, QTFILE, QTFILE]);
});

test('qid: the version changes when mtime or ctime moves, and fits 32 bits', () => {
  const a = attr(0o100644, 1, 1_700_000_000_000_000_000n, 1_700_000_000_000_000_000n);
  const b = { ...a, mtime: a.mtime + 1_000n };
  const c = { ...a, ctime: a.ctime + 5_000n };
  assert.is.not(qidVersion(a), qidVersion(b));
  assert.is.not(qidVersion(a), qidVersion(c));
  for (const x of [a, b, c]) assert.ok(qidVersion(x) >= 0 && qidVersion(x) <= 0xffffffff);
});

test.run();
