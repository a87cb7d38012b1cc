// POSIX ACLs in humfs: the host would apply them to the data file's own mode,
// not to the virtual mode in the record, so they are refused (ENOTSUP) and
// not listed; hostfs keeps them, since there the host mode is the mode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VfsError } from '../../../src/errors.js';
import { openHumfsExport, makeLayout } from './humfs-helpers.js';

const ROOT = { uid: 0, gid: 0, pid: 1 };
// A minimal ACL value (version 2, user::rwx, group::r-x, other::r-x), as setfacl writes it.
const ACL = Buffer.from('0200000001000700ffffffff04000500ffffffff20000500ffffffff', 'hex');

test('humfs refuses system.posix_acl_* and hides them from listings; the record keeps its mode', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-acl-'));
  makeLayout(dir);
  const vfs = await openHumfsExport(dir);
  try {
    const e = await vfs.mkdir(ROOT, vfs.root, Buffer.from('d'), 0o700);
    for (const op of [
      () => vfs.setxattr(ROOT, e.id, 'system.posix_acl_access', ACL, 0),
      () => vfs.getxattr(ROOT, e.id, 'system.posix_acl_access'),
      () => vfs.removexattr(ROOT, e.id, 'system.posix_acl_default'),
    ]) {
      try {
        await op();
        assert.unreachable('expected ENOTSUP');
      } catch (err) {
        assert.instance(err, VfsError);
        assert.is((err as VfsError).code, 'ENOTSUP');
      }
    }
    assert.not.ok((await vfs.listxattr(ROOT, e.id)).some((n) => n.startsWith('system.posix_acl_')));
    assert.is((await vfs.getattr(e.id)).mode & 0o7777, 0o700);
  } finally {
    await vfs.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
