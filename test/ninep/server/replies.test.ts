import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorReply, protocolError } from '../../../ninep/server/replies.js';
import { errnoOf } from '../../../src/errors.js';
import type { Logger } from '../../../src/log.js';

test('error replies per dialect: Linux errno for .L, text and errno for .u, text for 9P2000', () => {
  assert.equal(errorReply('9P2000.L', 'ENOENT'), { type: 'Rlerror', ecode: 2 });
  assert.equal(errorReply('9P2000.u', 'EACCES'), { type: 'Rerror', ename: 'Permission denied', errno: 13 });
  assert.equal(errorReply('9P2000', 'ENOTEMPTY'), { type: 'Rerror', ename: 'Directory not empty' });
  assert.equal(errorReply('9P2000', 'ENOENT', 'authentication not required'), { type: 'Rerror', ename: 'authentication not required' });
});

test('a ProtocolError answers its own code', () => {
  const log: Logger = { debug() {}, info() {}, warn() {}, error: () => assert.unreachable('logged') };
  assert.is(errnoOf(protocolError('EBADF', 'walk', 'fid 3'), log, 'x'), 'EBADF');
});

test.run();
