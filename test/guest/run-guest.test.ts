import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountOptionString, parseResult } from './run-guest.js';
import type { NinepServer } from './servers.js';

const mark = 'HB-END-0123456789abcdef';

test('output is every byte before the last marker line', () => {
  const body = Buffer.from([0, 0xff, 0x0a, 0x0d, 0x41]);
  const bytes = Buffer.concat([body, Buffer.from(`\n${mark} status=3 stage=script umount=0\n`)]);
  const r = parseResult(bytes, mark);
  assert.ok(r);
  assert.ok(r!.raw.equals(body), 'byte-exact, \\r and NUL kept');
  assert.is(r!.status, 3);
  assert.is(r!.stage, 'script');
  assert.is(r!.umountStatus, 0);
});

test('setup and mount stages, and no marker at all', () => {
  assert.is(parseResult(Buffer.from(`\n${mark} status=125 stage=setup:eth0 umount=-\n`), mark)?.stage, 'setup');
  const m = parseResult(Buffer.from(`\n${mark} status=126 stage=mount umount=-\n`), mark);
  assert.is(m?.stage, 'mount');
  assert.is(m?.umountStatus, undefined);
  assert.is(parseResult(Buffer.from('kernel panic'), mark), undefined);
  assert.is(parseResult(Buffer.from(`\nHB-END-other status=0 stage=script umount=0\n`), mark), undefined);
});

const server = (over: Partial<NinepServer>): NinepServer =>
  ({ kind: 'diod', listen: 'tcp', dir: '/x', dialects: ['9p2000.L'], aname: '/x', port: 5640, ...over }) as NinepServer;

test('mount options per transport', () => {
  assert.is(
    mountOptionString(server({}), 'tcp', { access: 'user', cache: 'loose', uname: 'root' }),
    'trans=tcp,port=5640,version=9p2000.L,msize=262144,aname=/x,uname=root,access=user,cache=loose',
  );
  assert.is(
    mountOptionString(server({ aname: undefined }), 'virtio', { version: '9p2000.u', msize: 8192, extra: ['noextend'] }),
    'trans=fd,rfdno=3,wfdno=4,version=9p2000.u,msize=8192,noextend',
  );
  assert.is(mountOptionString(server({}), 'tcp', { aname: '' }), 'trans=tcp,port=5640,version=9p2000.L,msize=262144');
});

test.run();
