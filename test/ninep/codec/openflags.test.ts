// Wire flag tables against the Linux values in src/types.ts (tests may
// import src/; the codec may not, so it carries its own copy).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '../../../src/types.js';
import {
  dotlToLinuxFlags,
  openModeToLinuxFlags,
  LINUX_FMODE_EXEC,
  DOTL_TO_LINUX,
  P9_DOTL_RDONLY,
  P9_DOTL_WRONLY,
  P9_DOTL_RDWR,
  P9_DOTL_NOACCESS,
  P9_DOTL_CREATE,
  P9_DOTL_EXCL,
  P9_DOTL_TRUNC,
  P9_DOTL_APPEND,
  P9_DOTL_DIRECTORY,
  P9_DOTL_NOFOLLOW,
  P9_DOTL_SYNC,
  P9_DOTL_DSYNC,
  OREAD,
  OWRITE,
  ORDWR,
  OEXEC,
  OTRUNC,
  ORCLOSE,
  OAPPEND,
  QTDIR,
  DMDIR,
  P9_GETATTR_BASIC,
  P9_GETATTR_ALL,
  P9_GETATTR_BLOCKS,
  P9_GETATTR_DATA_VERSION,
} from '../../../ninep/codec/index.js';

test('.L open flags map to the Linux O_* values of src/types.ts', () => {
  assert.is(dotlToLinuxFlags(P9_DOTL_RDONLY), T.O_RDONLY);
  assert.is(dotlToLinuxFlags(P9_DOTL_WRONLY), T.O_WRONLY);
  assert.is(dotlToLinuxFlags(P9_DOTL_RDWR), T.O_RDWR);
  assert.is(dotlToLinuxFlags(P9_DOTL_NOACCESS), T.O_ACCMODE);
  assert.is(dotlToLinuxFlags(P9_DOTL_CREATE | P9_DOTL_EXCL | P9_DOTL_WRONLY), T.O_CREAT | T.O_EXCL | T.O_WRONLY);
  assert.is(dotlToLinuxFlags(P9_DOTL_TRUNC | P9_DOTL_APPEND), T.O_TRUNC | T.O_APPEND);
  assert.is(dotlToLinuxFlags(P9_DOTL_DIRECTORY | P9_DOTL_NOFOLLOW), T.O_DIRECTORY | T.O_NOFOLLOW);
  assert.is(dotlToLinuxFlags(P9_DOTL_SYNC), T.O_SYNC);
  assert.is(dotlToLinuxFlags(P9_DOTL_DSYNC), T.O_DSYNC);
  // diod's sample: an opendir sends 02304000 = CLOEXEC|DIRECTORY|LARGEFILE|NONBLOCK
  assert.is(dotlToLinuxFlags(0o2304000), T.O_CLOEXEC | T.O_DIRECTORY | T.O_LARGEFILE | T.O_NONBLOCK);
  assert.is(dotlToLinuxFlags(0x80000000), 0, 'unknown bits are dropped');
});

test('every .L flag bit maps to a distinct Linux bit', () => {
  const seen = new Set<number>();
  for (const [p9, linux] of DOTL_TO_LINUX) {
    assert.ok(p9 > 3 && (p9 & (p9 - 1)) === 0, `single bit ${p9.toString(8)}`);
    assert.not.ok(seen.has(linux));
    seen.add(linux);
  }
});

test('9P2000 open modes map to Linux flags', () => {
  assert.is(openModeToLinuxFlags(OREAD), T.O_RDONLY);
  assert.is(openModeToLinuxFlags(OWRITE | OTRUNC), T.O_WRONLY | T.O_TRUNC);
  assert.is(openModeToLinuxFlags(ORDWR | OAPPEND), T.O_RDWR | T.O_APPEND);
  assert.is(openModeToLinuxFlags(OEXEC), T.O_RDONLY | T.O_EXEC_OPEN, 'OEXEC: read-only, marked for execution');
  assert.is(LINUX_FMODE_EXEC, T.O_EXEC_OPEN);
  assert.is(openModeToLinuxFlags(OREAD | ORCLOSE), T.O_RDONLY);
});

test('constants agree with the documents', () => {
  assert.is(QTDIR << 24, DMDIR | 0, 'qid type is the high byte of the mode');
  assert.is(P9_GETATTR_BASIC, (P9_GETATTR_BLOCKS << 1n) - 1n);
  assert.is(P9_GETATTR_ALL, (P9_GETATTR_DATA_VERSION << 1n) - 1n);
});

test.run();
