import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import { fromNodeError, VfsError } from '../../src/errors.js';
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
