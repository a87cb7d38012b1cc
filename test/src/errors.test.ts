import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import { errnoOf, fromNodeError, linuxErrnoOf, vfsError, VfsError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { LINUX_ERRNO, STRERROR, isErrnoCode } from '../../src/errno.js';

test('fromNodeError keeps the symbolic code of a real fs failure', () => {
  let caught: unknown;
  try {
    fs.statSync('/nonexistent/humbridge-test');
  } catch (e) {
    caught = e;
  }
  const err = fromNodeError(caught, 'stat', '/nonexistent');
  assert.instance(err, VfsError);
  assert.is(err.code, 'ENOENT');
  assert.is(err.op, 'stat');
});

test('unknown codes become EIO and are logged once', () => {
  const logged: string[] = [];
  const log = { debug() {}, info() {}, warn() {}, error: (m: string) => logged.push(m) };
  const err = fromNodeError(Object.assign(new Error('odd'), { code: 'EWEIRD' }), 'read', undefined, log);
  assert.is(err.code, 'EIO');
  assert.is(logged.length, 1);
  assert.match(logged[0] ?? '', /EIO/);
});

test('errnoOf: VfsErrors keep their code; anything else is EIO and logged with its stack', () => {
  const logged: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (m) => logged.push(m) };
  assert.is(errnoOf(vfsError('EXDEV', 'rename'), log, 'x'), 'EXDEV');
  assert.is(linuxErrnoOf(vfsError('ENOENT', 'lookup'), log, 'x'), 2);
  assert.is(logged.length, 0);
  assert.is(errnoOf(new TypeError('boom'), log, 'Twalk'), 'EIO');
  assert.is(linuxErrnoOf('thrown string', log, 'FUSE_LOOKUP'), 5);
  assert.is(logged.length, 2);
  assert.match(logged[0] as string, /Twalk.*TypeError: boom/s);
  assert.match(logged[1] as string, /FUSE_LOOKUP.*thrown string/);
});

test('Node spellings map to errno names', () => {
  assert.is(fromNodeError({ code: 'EOPNOTSUPP' }, 'x').code, 'ENOTSUP');
  assert.is(fromNodeError({ code: 'EWOULDBLOCK' }, 'x').code, 'EAGAIN');
});

test('the Linux errno table agrees with this (Linux) host', () => {
  if (os.platform() !== 'linux') return;
  for (const [code, n] of Object.entries(LINUX_ERRNO)) {
    const host = (os.constants.errno as Record<string, number>)[code];
    assert.is(host, n, code);
    assert.ok(isErrnoCode(code));
    assert.type(STRERROR[code as keyof typeof STRERROR], 'string');
  }
});

test.run();
