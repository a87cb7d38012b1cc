// The in-process server over a unix socket: a whole session in each dialect
// (write, read back, list, remove), the same as over TCP.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DialectName } from '../../../ninep/index.js';
import { mkdirPath, readdirAll, readFile, removePath, walkPath, writeFile } from '../../../ninep/client/index.js';
import { testModes } from './harness.js';

testModes(test, 'a whole session over a unix socket in every dialect', { unix: true }, async (s) => {
  assert.is(s.addr.kind, 'unix');
  for (const v of ['9P2000.L', '9P2000.u', '9P2000'] as DialectName[]) {
    const { c, root } = await s.attached(v);
    const data = crypto.randomBytes(1_500_000);
    await mkdirPath(c, root, `d-${v}`);
    await writeFile(c, root, `d-${v}/blob`, data);
    assert.ok(fs.readFileSync(path.join(s.dir, `d-${v}`, 'blob')).equals(data), v);
    assert.ok((await readFile(c, root, `d-${v}/blob`)).equals(data), v);
    const dir = await walkPath(c, root, `d-${v}`);
    assert.equal((await readdirAll(c, dir)).map((e) => e.name.toString()).filter((n) => !n.startsWith('.')), ['blob']);
    await c.clunk(dir);
    await removePath(c, root, `d-${v}/blob`);
    await removePath(c, root, `d-${v}`);
    assert.not.ok(fs.existsSync(path.join(s.dir, `d-${v}`)));
    assert.is(c.fids.inUse, 1, `${v}: only the root fid is left`);
  }
});

test.run();
