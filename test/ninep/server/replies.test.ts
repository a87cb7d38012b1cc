import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errnoOf, errorReply, protocolError } from '../../../ninep/server/replies.js';
import { vfsError } from '../../../src/errors.js';
import type { Logger } from '../../../src/log.js';

test('error replies per dialect: Linux errno for .L, text and errno for .u, text for 9P2000', () => {
  assert.equal(errorReply('9P2000.L', 'ENOENT'), { type: 'Rlerror', ecode: 2 });
  assert.equal(errorReply('9P2000.u', 'EACCES'), { type: 'Rerror', ename: 'Permission denied', errno: 13 });
  assert.equal(errorReply('9P2000', 'ENOTEMPTY'), { type: 'Rerror', ename: 'Directory not empty' });
  assert.equal(errorReply('9P2000', 'ENOENT', 'authentication not required'), { type: 'Rerror', ename: 'authentication not required' });
});

test('errnoOf: VfsErrors keep their code; anything else is EIO and logged with its stack', () => {
  const logged: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (m) => logged.push(m) };
  assert.is(errnoOf(vfsError('EXDEV', 'rename'), log, 'x'), 'EXDEV');
  assert.is(errnoOf(protocolError('EBADF', 'walk', 'fid 3'), log, 'x'), 'EBADF');
  assert.is(logged.length, 0);
  assert.is(errnoOf(new TypeError('boom'), log, 'Twalk'), 'EIO');
  assert.is(logged.length, 1);
  assert.match(logged[0] as string, /Twalk.*TypeError: boom/s);
});

test.run();
