// The pure parts of the host limits: which modes run as their owner, which
// bits a write clears, what each limit refuses, and the option checks.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostLimits, runsAsOwner, setidToClear } from '../../../src/core/host-limits.js';
import { VfsError } from '../../../src/errors.js';
import { nullLogger } from '../../../src/log.js';
import { OptionsError, resolveExportOptions } from '../../../src/options.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFREG, S_IFSOCK } from '../../../src/types.js';

function code(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof VfsError ? e.code : String(e);
  }
}

test('runsAsOwner and setidToClear follow Linux: setuid always, setgid with group execute, or without it outside the group', () => {
  assert.ok(runsAsOwner(S_IFREG | 0o4700));
  assert.ok(runsAsOwner(S_IFREG | 0o2710));
  assert.not.ok(runsAsOwner(S_IFREG | 0o2700), 'setgid without group execute');
  assert.not.ok(runsAsOwner(S_IFREG | 0o1777));
  assert.is(setidToClear(S_IFREG | 0o6755), 0o6000);
  assert.is(setidToClear(S_IFREG | 0o6745), 0o6000, 'any caller might clear setgid without group execute');
  const member = { cred: { uid: 1000, gid: 50 }, gid: 50 };
  const supplementary = { cred: { uid: 1000, gid: 7, groups: [50] }, gid: 50 };
  const outsider = { cred: { uid: 1000, gid: 7 }, gid: 50 };
  assert.is(setidToClear(S_IFREG | 0o6745, member), 0o4000, 'in the file\'s group: kept');
  assert.is(setidToClear(S_IFREG | 0o6745, supplementary), 0o4000);
  assert.is(setidToClear(S_IFREG | 0o6745, outsider), 0o6000);
  assert.is(setidToClear(S_IFREG | 0o6755, member), 0o6000, 'with group execute: cleared for members too');
  assert.is(setidToClear(S_IFREG | 0o0755), 0);
  assert.is(setidToClear(S_IFDIR | 0o2775), 0, 'directories keep setgid');
});

test('a root server refuses every setuid non-directory; another uid refuses only files it would not own', () => {
  const root = new HostLimits({ nosuid: true, nodev: true, nocaps: true, serverUid: 0 }, nullLogger);
  assert.is(code(() => root.checkMode(S_IFREG | 0o4755, 0, 'create')), 'EPERM');
  assert.is(code(() => root.checkMode(S_IFREG | 0o4755, 1000, 'create')), 'EPERM');
  assert.is(code(() => root.checkMode(S_IFDIR | 0o6755, 0, 'mkdir')), undefined);
  assert.is(code(() => root.checkMode(S_IFREG | 0o2745, 0, 'chmod')), undefined);
  assert.is(root.hostOwnerOf(1000), 1000);
  const user = new HostLimits({ nosuid: true, nodev: true, nocaps: true, serverUid: 1000 }, nullLogger);
  assert.is(code(() => user.checkMode(S_IFREG | 0o4755, 1000, 'chmod')), undefined, "the server's own file");
  assert.is(code(() => user.checkMode(S_IFREG | 0o4755, 0, 'chmod')), 'EPERM');
  assert.is(user.hostOwnerOf(0), 1000);
  for (const t of [S_IFCHR, S_IFBLK]) assert.is(code(() => root.checkDevice(t, 'mknod')), 'EPERM');
  for (const t of [S_IFIFO, S_IFSOCK, S_IFREG]) assert.is(code(() => root.checkDevice(t, 'mknod')), undefined);
  assert.is(code(() => root.checkXattr('security.capability', 'setxattr')), 'EPERM');
  assert.is(code(() => root.checkXattr('user.x', 'setxattr')), undefined);
  const none = HostLimits.none(nullLogger);
  assert.is(code(() => none.checkMode(S_IFREG | 0o4755, 0, 'create')), undefined);
  assert.is(code(() => none.checkDevice(S_IFBLK, 'mknod')), undefined);
});

test('options: the defaults are nosuid, nodev, 4 mknod children; bad values are refused', () => {
  const o = resolveExportOptions({ path: '/x' });
  assert.equal([o.allowSetuid, o.allowDevices, o.maxMknodProcesses], [false, false, 4]);
  for (const bad of [0, 1.5, 1025]) assert.throws(() => resolveExportOptions({ path: '/x', maxMknodProcesses: bad }), (e: unknown) => e instanceof OptionsError);
  assert.throws(() => resolveExportOptions({ path: '/x', allowSetuid: 'yes' as unknown as boolean }), (e: unknown) => e instanceof OptionsError);
});

test.run();
