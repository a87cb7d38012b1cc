// The two access models end to end. 'client': the server acts for whoever
// the request names and leaves permission checks to the client kernel.
// 'user': the server checks each request against the file's owner and mode
// for the attached user. Plus a read-only export.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_CREATE, P9_DOTL_RDONLY, P9_DOTL_WRONLY } from '../../../ninep/index.js';
import { NinepError, readFile, walkPath, type Client } from '../../../ninep/client/index.js';
import { testModes, type Served } from './harness.js';
import { setHostMeta } from './host-view.js';

async function as(s: Served, uid: number): Promise<{ c: Client; root: number }> {
  const c = await s.client();
  const { fid } = await c.attach({ uname: '', n_uname: uid });
  return { c, root: fid };
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return e instanceof NinepError ? e.code : e === undefined ? undefined : String(e);
}

testModes(test, "access 'user': the server enforces owner and mode for the attached uid", { access: 'user' }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'secret'), 'root only');
  setHostMeta(s, 'secret', { perm: 0o600 });
  fs.mkdirSync(path.join(s.dir, 'locked'));
  setHostMeta(s, 'locked', { perm: 0o755 });
  const user = await as(s, 1000);
  const f = await walkPath(user.c, user.root, 'secret');
  assert.is(await code(user.c.lopen(f, P9_DOTL_RDONLY)), 'EACCES');
  const d = await walkPath(user.c, user.root, 'locked');
  assert.is(await code(user.c.lcreate(d, 'x', P9_DOTL_WRONLY | P9_DOTL_CREATE, 0o644)), 'EACCES');
  assert.not.ok(fs.existsSync(path.join(s.dir, 'locked/x')));
  const root = await as(s, 0);
  assert.is((await readFile(root.c, root.root, 'secret')).toString(), 'root only');
});

testModes(test, "access 'client': the same requests pass (the client kernel checks)", {}, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'secret'), 'root only');
  setHostMeta(s, 'secret', { perm: 0o600 });
  const user = await as(s, 1000);
  assert.is((await readFile(user.c, user.root, 'secret')).toString(), 'root only');
});

testModes(test, 'a read-only export refuses every change with EROFS and still reads', { readonly: true }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const { c, root } = await s.attached();
  assert.is((await readFile(c, root, 'f')).toString(), 'data');
  assert.is(await code(c.mkdir(root, 'd', 0o755)), 'EROFS');
  assert.is(await code(c.unlinkat(root, 'f', 0)), 'EROFS');
  const f = await walkPath(c, root, 'f');
  assert.is(await code(c.lopen(f, P9_DOTL_WRONLY)), 'EROFS');
  assert.is(await code(c.setattr(f, { valid: 1, mode: 0o600 })), 'EROFS');
  assert.is(fs.readFileSync(path.join(s.dir, 'f'), 'utf8'), 'data');
});

test.run();
