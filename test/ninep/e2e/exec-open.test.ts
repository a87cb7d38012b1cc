// open(5) OEXEC under the 'user' access model: the server checks execute
// permission, not read (execve(2) asks the same), in both dialects that
// have Topen.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { OEXEC, OREAD } from '../../../ninep/index.js';
import { NinepError, walkPath, type Client } from '../../../ninep/client/index.js';
import { testModes, type Served } from './harness.js';
import { setHostMeta } from './host-view.js';

async function as(s: Served, uid: number, version: '9P2000.u' | '9P2000'): Promise<{ c: Client; root: number }> {
  const c = await s.client(version);
  const { fid } = await c.attach({ uname: version === '9P2000' ? String(uid) : '', n_uname: uid });
  return { c, root: fid };
}

async function openCode(who: { c: Client; root: number }, name: string, mode: number): Promise<string | undefined> {
  const f = await walkPath(who.c, who.root, name);
  try {
    await who.c.open(f, mode);
    return undefined;
  } catch (e) {
    if (e instanceof NinepError) return e.code;
    throw e;
  } finally {
    await who.c.clunk(f);
  }
}

for (const version of ['9P2000.u', '9P2000'] as const) {
  testModes(test, `${version}: OEXEC needs execute permission and not read; OREAD needs read`, { access: 'user' }, async (s) => {
    for (const [name, perm] of [['xonly', 0o711], ['ronly', 0o644]] as const) {
      fs.writeFileSync(path.join(s.dir, name), '#!/bin/sh\n');
      setHostMeta(s, name, { uid: 0, gid: 0, perm });
    }
    const user = await as(s, 1000, version);
    assert.is(await openCode(user, 'xonly', OEXEC), undefined, 'execute-only file opens for execution');
    assert.is(await openCode(user, 'xonly', OREAD), 'EACCES', 'but not for reading');
    assert.is(await openCode(user, 'ronly', OEXEC), 'EACCES', 'a readable file without execute does not open for execution');
    assert.is(await openCode(user, 'ronly', OREAD), undefined);
    const root = await as(s, 0, version);
    assert.is(await openCode(root, 'ronly', OEXEC), 'EACCES', 'root too needs some execute bit');
    assert.is(await openCode(root, 'xonly', OEXEC), undefined);
  });
}

test.run();
