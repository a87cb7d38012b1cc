// A write or truncate by anyone but root clears setuid, and setgid with
// group execute (without it, when the writer is not in the file's group),
// as Linux does (file_remove_privs); root keeps them. The
// server acts with its own ids (root here), so in hostfs the host would not
// clear them, and in humfs the bits live in the record: the server does it.
// The setuid files are the administrator's, made on the host.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { OTRUNC, OWRITE, P9_DOTL_RDWR, P9_DOTL_TRUNC, P9_DOTL_WRONLY, P9_SETATTR_MODE, P9_SETATTR_SIZE } from '../../../ninep/index.js';
import { walkPath, type Client } from '../../../ninep/client/index.js';
import { testModes, type Served } from './harness.js';
import { hostMeta, setHostMeta } from './host-view.js';

async function as(s: Served, uid: number, version: '9P2000.L' | '9P2000.u' = '9P2000.L'): Promise<{ c: Client; root: number }> {
  const c = await s.client(version);
  const { fid } = await c.attach({ uname: '', n_uname: uid });
  return { c, root: fid };
}

/** A file made by the administrator with these permission bits. */
function prog(s: Served, name: string, perm: number): void {
  fs.writeFileSync(path.join(s.dir, name), '#!/bin/sh\necho hi\n');
  setHostMeta(s, name, { uid: 0, gid: 0, perm });
}

const perm = (s: Served, name: string): number => hostMeta(s, name).mode & 0o7777;

testModes(test, 'a write by a non-root user clears setuid, and setgid (without group execute too, outside the file\'s group); by root it keeps them', {}, async (s) => {
  prog(s, 'suid', 0o4755);
  prog(s, 'sgid', 0o2755);
  prog(s, 'both', 0o6755);
  prog(s, 'lock', 0o2644);
  prog(s, 'kept', 0o4755);
  const user = await as(s, 1000);
  for (const name of ['suid', 'sgid', 'both', 'lock']) {
    const f = await walkPath(user.c, user.root, name);
    await user.c.lopen(f, P9_DOTL_RDWR);
    await user.c.write(f, 0n, Buffer.from('#'));
  }
  assert.is(perm(s, 'suid'), 0o755);
  assert.is(perm(s, 'sgid'), 0o755);
  assert.is(perm(s, 'both'), 0o755);
  assert.is(perm(s, 'lock'), 0o644, 'setgid without group execute, written by a user outside group 0: cleared, as Linux 6 does');
  // Once cleared, later writes find nothing to do and still write.
  const again = await walkPath(user.c, user.root, 'suid');
  await user.c.lopen(again, P9_DOTL_WRONLY);
  assert.is(await user.c.write(again, 1n, Buffer.from('!')), 1);
  assert.is(fs.readFileSync(path.join(s.dir, 'suid'), 'utf8').slice(0, 2), '#!');
  const root = await as(s, 0);
  const k = await walkPath(root.c, root.root, 'kept');
  await root.c.lopen(k, P9_DOTL_RDWR);
  await root.c.write(k, 0n, Buffer.from('#'));
  assert.is(perm(s, 'kept'), 0o4755);
});

testModes(test, 'a chmod after open is seen: the next write by a non-root opener clears the new bits', { exportOptions: { allowSetuid: true } }, async (s) => {
  prog(s, 'late', 0o755);
  const user = await as(s, 1000);
  const f = await walkPath(user.c, user.root, 'late');
  await user.c.lopen(f, P9_DOTL_RDWR);
  await user.c.write(f, 0n, Buffer.from('#'));
  const root = await as(s, 0);
  const r = await walkPath(root.c, root.root, 'late');
  await root.c.setattr(r, { valid: P9_SETATTR_MODE, mode: 0o4755 });
  assert.is(perm(s, 'late'), 0o4755);
  await user.c.write(f, 0n, Buffer.from('#'));
  assert.is(perm(s, 'late'), 0o755);
});

testModes(test, 'a truncate (setattr size, open with O_TRUNC) by a non-root user clears them; by root it keeps them', {}, async (s) => {
  for (const name of ['cut', 'trunc', 'utrunc', 'rootcut']) prog(s, name, 0o6755);
  const user = await as(s, 1000);
  const cut = await walkPath(user.c, user.root, 'cut');
  await user.c.setattr(cut, { valid: P9_SETATTR_SIZE, size: 3n });
  assert.is(perm(s, 'cut'), 0o755);
  assert.is(fs.statSync(path.join(s.dir, 'cut')).size, 3);
  const t = await walkPath(user.c, user.root, 'trunc');
  await user.c.lopen(t, P9_DOTL_WRONLY | P9_DOTL_TRUNC);
  assert.is(perm(s, 'trunc'), 0o755);
  const u = await as(s, 1000, '9P2000.u');
  const ut = await walkPath(u.c, u.root, 'utrunc');
  await u.c.open(ut, OWRITE | OTRUNC);
  assert.is(perm(s, 'utrunc'), 0o755);
  const root = await as(s, 0);
  const rc = await walkPath(root.c, root.root, 'rootcut');
  await root.c.setattr(rc, { valid: P9_SETATTR_SIZE, size: 0n });
  await root.c.lopen(rc, P9_DOTL_WRONLY | P9_DOTL_TRUNC);
  assert.is(perm(s, 'rootcut'), 0o6755);
});

test.run();
