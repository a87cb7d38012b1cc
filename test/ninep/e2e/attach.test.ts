// Tattach: user identity (uname, n_uname) and export choice (aname), with
// ownership of created files checked on the host.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { NONUNAME, NOFID, P9_DOTL_CREATE, P9_DOTL_WRONLY } from '../../../ninep/index.js';
import { ClientError, NinepError, readdirAll, writeFile } from '../../../ninep/client/index.js';
import { testModes } from './harness.js';
import { hostMeta, setHostMeta } from './host-view.js';

testModes(test, 'Linux first attach: uname "nobody" with n_uname ~0 works', {}, async (s) => {
  const c = await s.client();
  const a = await c.attach({ uname: 'nobody', n_uname: NONUNAME, afid: NOFID });
  assert.ok(a.qid.type & 0x80, 'root is a directory');
  await c.clunk(a.fid);
});

testModes(test, 'files created after a numeric n_uname attach belong to that uid (client access)', {}, async (s) => {
  setHostMeta(s, '', { perm: 0o777 });
  const c = await s.client();
  const { fid } = await c.attach({ uname: '', n_uname: 4321 });
  const f = (await c.walk(fid, [])).fid as number;
  await c.lcreate(f, 'mine', P9_DOTL_WRONLY | P9_DOTL_CREATE, 0o600, 777);
  await c.clunk(f);
  await c.mkdir(fid, 'dir', 0o755, 778);
  const st = hostMeta(s, 'mine');
  assert.is(st.uid, 4321);
  assert.is(st.gid, 777, 'gid from Tlcreate');
  assert.is(hostMeta(s, 'dir').uid, 4321);
  assert.is(hostMeta(s, 'dir').gid, 778);
});

testModes(test, '9P2000.u: n_uname picks the owner; 9P2000: uname "root" is uid 0', {}, async (s) => {
  setHostMeta(s, '', { perm: 0o777 });
  const u = await s.client('9P2000.u');
  const ua = await u.attach({ uname: 'whoever', n_uname: 2345 });
  await writeFile(u, ua.fid, 'by-u', Buffer.from('u'));
  assert.is(hostMeta(s, 'by-u').uid, 2345);
  const p = await s.client('9P2000');
  const pa = await p.attach({ uname: 'root' });
  await writeFile(p, pa.fid, 'by-root', Buffer.from('r'));
  assert.is(hostMeta(s, 'by-root').uid, 0);
});

testModes(test, 'aname chooses the export; empty and "/" get the default; unknown is an error', { exports: ['second'] }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'in-main'), '');
  fs.writeFileSync(path.join(s.dirs.get('second') as string, 'in-second'), '');
  const c = await s.client();
  const names = async (aname: string): Promise<string[]> => {
    const { fid } = await c.attach({ uname: 'root', n_uname: 0, aname });
    const list = (await readdirAll(c, fid)).map((e) => e.name.toString()).filter((n) => !n.startsWith('.'));
    await c.clunk(fid);
    return list;
  };
  assert.equal(await names('second'), ['in-second']);
  assert.equal(await names(''), ['in-main']);
  assert.equal(await names('/'), ['in-main']);
  assert.equal(await names('main'), ['in-main']);
  const e = (await c.attach({ uname: 'root', n_uname: 0, aname: 'nope' }).catch((x: unknown) => x)) as NinepError;
  assert.instance(e, NinepError);
  assert.is(c.fids.inUse, 0);
});

testModes(test, 'Tauth says no authentication is needed, and attach with NOFID works', {}, async (s) => {
  const c = await s.client();
  const e = await c.auth(77, 'root', '').catch((x: unknown) => x);
  assert.instance(e, NinepError);
  const a = await c.attach({ uname: 'root', n_uname: 0, afid: NOFID });
  assert.ok(a.fid > 0);
});

testModes(test, 'attach on a fid already in use is refused', {}, async (s) => {
  const c = await s.client();
  const a = await c.attach({ uname: 'root', n_uname: 0 });
  const e = await c.attach({ uname: 'root', n_uname: 0, fid: a.fid }).catch((x: unknown) => x);
  assert.ok(e instanceof NinepError || e instanceof ClientError);
  assert.ok((await c.getattr(a.fid, 1n)).qid.type & 0x80, 'the original fid still works');
});

test.run();
