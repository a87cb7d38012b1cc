import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allowed, inGroup, requireChown, requireMayDelete, requireOwner, requireTimes } from '../../../src/core/permissions.js';

const file = (mode: number, uid = 10, gid = 20) => ({ mode: 0o100000 | mode, uid, gid });
const dir = (mode: number, uid = 10, gid = 20) => ({ mode: 0o040000 | mode, uid, gid });
const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

test('one class applies: owner, else group, else other', () => {
  assert.ok(allowed({ uid: 10, gid: 99 }, file(0o604), 6));
  assert.not.ok(allowed({ uid: 10, gid: 20 }, file(0o077), 4), 'owner bits win even when group allows');
  assert.ok(allowed({ uid: 11, gid: 20 }, file(0o040), 4));
  assert.ok(allowed({ uid: 11, gid: 1, groups: [20] }, file(0o040), 4), 'supplementary group');
  assert.not.ok(allowed({ uid: 11, gid: 20 }, file(0o704), 4), 'group bits win over other');
  assert.ok(allowed({ uid: 11, gid: 21 }, file(0o004), 4));
  assert.ok(allowed({ uid: 11, gid: 21 }, file(0o000), 0), 'F_OK');
  assert.ok(inGroup({ uid: 1, gid: 2, groups: [3] }, 3));
  assert.not.ok(inGroup({ uid: 1, gid: 2 }, 3));
});

test('root reads and writes anything, executes only when some x bit is set', () => {
  const root = { uid: 0, gid: 0 };
  assert.ok(allowed(root, file(0o000), 6));
  assert.not.ok(allowed(root, file(0o600), 1));
  assert.ok(allowed(root, file(0o001), 1));
  assert.ok(allowed(root, dir(0o000), 7));
});

test('sticky directories, chmod, chown and utimes rules', () => {
  const sticky = dir(0o1777, 0);
  assert.is(code(() => requireMayDelete({ uid: 5, gid: 5 }, sticky, file(0o666, 6), 'x')), 'EPERM');
  assert.is(code(() => requireMayDelete({ uid: 6, gid: 5 }, sticky, file(0o666, 6), 'x')), undefined);
  assert.is(code(() => requireMayDelete({ uid: 5, gid: 5 }, dir(0o777), file(0o666, 6), 'x')), undefined);
  assert.is(code(() => requireMayDelete({ uid: 0, gid: 0 }, sticky, file(0o666, 6), 'x')), undefined);
  assert.is(code(() => requireMayDelete({ uid: 7, gid: 0 }, dir(0o1777, 7), file(0o666, 6), 'x')), undefined);
  assert.is(code(() => requireOwner({ uid: 5, gid: 5 }, file(0o644), 'x')), 'EPERM');
  assert.is(code(() => requireOwner({ uid: 10, gid: 5 }, file(0o644), 'x')), undefined);
  assert.is(code(() => requireChown({ uid: 10, gid: 20, groups: [30] }, file(0o644), undefined, 30, 'x')), undefined);
  assert.is(code(() => requireChown({ uid: 10, gid: 20 }, file(0o644), 10, 20, 'x')), undefined, 'no-op chown');
  assert.is(code(() => requireChown({ uid: 10, gid: 20 }, file(0o644), undefined, 31, 'x')), 'EPERM');
  assert.is(code(() => requireChown({ uid: 10, gid: 20 }, file(0o644), 11, undefined, 'x')), 'EPERM');
  assert.is(code(() => requireChown({ uid: 11, gid: 20 }, file(0o644), undefined, 20, 'x')), 'EPERM', 'non-owner');
  assert.is(code(() => requireChown({ uid: 0, gid: 0 }, file(0o644), 1, 1, 'x')), undefined);
  assert.is(code(() => requireTimes({ uid: 11, gid: 20 }, file(0o664), true, 'x')), undefined, 'now with write permission');
  assert.is(code(() => requireTimes({ uid: 11, gid: 20 }, file(0o644), true, 'x')), 'EACCES');
  assert.is(code(() => requireTimes({ uid: 11, gid: 20 }, file(0o666), false, 'x')), 'EPERM');
  assert.is(code(() => requireTimes({ uid: 10, gid: 20 }, file(0o000), false, 'x')), undefined);
});

test.run();
