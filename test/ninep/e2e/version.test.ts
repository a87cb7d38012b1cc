// Tversion against the real server: msize clamping, the three dialects,
// unknown versions, and a second Tversion resetting the session.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, dialect9P2000, NOTAG, type DialectName } from '../../../ninep/index.js';
import { ClientError, NinepError } from '../../../ninep/client/index.js';
import { testModes, withServer } from './harness.js';

test('each dialect is granted as asked; msize is clamped to the server maximum', () =>
  withServer({ server: { maxMsize: 256 * 1024 } }, async (s) => {
    for (const v of ['9P2000.L', '9P2000.u', '9P2000'] as DialectName[]) {
      const c = await s.client(v, { msize: 4 << 20 });
      assert.is(c.dialect.name, v);
      assert.is(c.msize, 256 * 1024);
    }
    const small = await s.client('9P2000.L', { msize: 8192 });
    assert.is(small.msize, 8192, 'a smaller proposal is kept');
  }));

test('an unknown version gets "unknown"', () =>
  withServer({}, async (s) => {
    for (const v of ['9P3000', 'P92000', '']) {
      const e = (await s.client(v as DialectName).catch((x: unknown) => x)) as ClientError;
      assert.instance(e, ClientError, v);
      assert.is(e.reason, 'version');
      assert.match(e.message, /"unknown"/);
    }
  }));

test('a version string with a .suffix the server lacks falls back to 9P2000 (version(5))', () =>
  withServer({}, async (s) => {
    const raw = await s.raw();
    raw.send(encode(dialect9P2000, NOTAG, { type: 'Tversion', msize: 8192, version: '9P2000.foo' }));
    const f = await raw.next();
    assert.is(f[4], 101, 'Rversion');
    const vlen = f.readUInt16LE(11);
    const version = f.subarray(13, 13 + vlen).toString();
    assert.ok(version === '9P2000' || version === 'unknown', version);
  }));

test('msize below the server minimum is refused', () =>
  withServer({ server: { minMsize: 4096 } }, async (s) => {
    const e = await s.client('9P2000.L', { msize: 1024 }).catch((x: unknown) => x);
    assert.ok(e instanceof NinepError || e instanceof ClientError, String(e));
  }));

testModes(test, 'a second Tversion resets the session: old fids are gone', {}, async (s) => {
  const { c, root } = await s.attached();
  await c.getattr(root, 0x7ffn);
  await c.version(65536, '9P2000.L');
  assert.is(c.msize, 65536);
  const e = (await c.getattr(root, 0x7ffn).catch((x: unknown) => x)) as NinepError;
  assert.instance(e, NinepError);
  assert.is(e.code, 'EBADF');
  const again = await c.attach({ uname: 'root', n_uname: 0 });
  assert.ok((await c.getattr(again.fid, 0x7ffn)).qid.type & 0x80);
});

test('requests before Tversion are refused, the connection stays', () =>
  withServer({}, async (s) => {
    const raw = await s.raw();
    raw.send(encode(dialect9P2000, 1, { type: 'Tclunk', fid: 1 }));
    const f = await raw.next();
    assert.is(f.readUInt16LE(5), 1, 'reply on the same tag');
    assert.ok(f[4] === 107 || f[4] === 7, `error reply, type ${f[4]}`);
    raw.send(encode(dialect9P2000, NOTAG, { type: 'Tversion', msize: 8192, version: '9P2000.L' }));
    assert.is((await raw.next())[4], 101);
  }));

test.run();
