// 9P2000.u Tcreate with DMLINK names the link's target by fid number in
// the extension string. A fid of another export on the same connection
// must not be resolved in this export's node table: EXDEV, as Tlink
// answers, and nothing is created. A malformed number is EINVAL.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { DMLINK, OREAD } from '../../../ninep/index.js';
import { NinepError } from '../../../ninep/client/index.js';
import { testModes } from './harness.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return e instanceof NinepError ? e.code : e === undefined ? undefined : String(e);
}

testModes(test, '9P2000.u: DMLINK to a fid of another export is EXDEV and makes nothing; within one export it links', { exports: ['b'] }, async (s) => {
  const aDir = s.dir;
  const bDir = s.dirs.get('b') as string;
  fs.writeFileSync(path.join(aDir, 'fa'), 'in a');
  fs.writeFileSync(path.join(bDir, 'fb'), 'in b');
  const c = await s.client('9P2000.u');
  const a = await c.attach({ uname: 'root', n_uname: 0, aname: '' });
  const b = await c.attach({ uname: 'root', n_uname: 0, aname: 'b' });
  await c.walk(b.fid, ['fb'], 21);
  await c.walk(a.fid, ['fa'], 22);
  const createIn = async (name: string, ext: string): Promise<string | undefined> => {
    const d = (await c.walk(a.fid, [])).fid as number;
    return code(c.create(d, name, (DMLINK | 0o644) >>> 0, OREAD, ext));
  };
  assert.is(await createIn('xlink', '21\n'), 'EXDEV');
  assert.is(await createIn('xlink', '21'), 'EXDEV');
  assert.not.ok(fs.existsSync(path.join(aDir, 'xlink')), 'nothing made in a');
  assert.is(fs.statSync(path.join(aDir, 'fa')).nlink, 1);
  assert.is(fs.statSync(path.join(bDir, 'fb')).nlink, 1);
  assert.is(await createIn('bad', '22abc'), 'EINVAL');
  assert.is(await createIn('bad', ''), 'EINVAL');
  assert.not.ok(fs.existsSync(path.join(aDir, 'bad')));
  assert.is(await createIn('alink', '22\n'), undefined);
  assert.is(fs.statSync(path.join(aDir, 'alink')).ino, fs.statSync(path.join(aDir, 'fa')).ino);
});

test.run();
