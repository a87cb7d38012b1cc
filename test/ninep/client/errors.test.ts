import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LINUX_ERRNO, STRERROR, type ErrnoCode } from '../../../src/errno.js';
import { errnoCodeOf, errnoCodeOfText, NinepError } from '../../../ninep/client/index.js';

test('every Linux errno number and strerror text maps back to its code', () => {
  for (const [code, n] of Object.entries(LINUX_ERRNO) as [ErrnoCode, number][]) {
    assert.is(errnoCodeOf(n), code);
    assert.is(errnoCodeOfText(STRERROR[code]), code);
  }
  assert.is(errnoCodeOf(100000), undefined);
});

test('Rlerror: code, number and text', () => {
  const e = NinepError.fromLerror('Tlopen', 13);
  assert.is(e.code, 'EACCES');
  assert.is(e.errno, 13);
  assert.is(e.ename, STRERROR.EACCES);
  assert.match(e.message, /^Tlopen: .*\(EACCES\)$/);
  const odd = NinepError.fromLerror('Tlopen', 4000);
  assert.is(odd.code, undefined);
  assert.match(odd.message, /errno 4000/);
});

test('Rerror: the number decides when given, else the text (case-insensitive)', () => {
  assert.is(NinepError.fromRerror('Twalk', 'whatever', 2).code, 'ENOENT');
  assert.is(NinepError.fromRerror('Twalk', 'No such file or directory', 0).code, 'ENOENT');
  assert.is(NinepError.fromRerror('Twalk', 'file does not exist', undefined).code, undefined);
});

test.run();
