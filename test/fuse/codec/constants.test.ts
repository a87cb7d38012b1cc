// INIT flag words and opcode names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INIT, OPCODE, joinInitFlags, splitInitFlags, opcodeName, FUSE_KERNEL_MINOR_VERSION } from '../../../fuse/codec/index.js';

test('INIT flags: bits 32.. travel in flags2, shifted down by 32', () => {
  assert.equal(splitInitFlags(INIT.PASSTHROUGH | INIT.INIT_EXT | INIT.ASYNC_READ), { flags: 0x40000001, flags2: 0x20 });
  assert.equal(splitInitFlags(INIT.INIT_RESERVED | INIT.REQUEST_TIMEOUT), { flags: 0x80000000, flags2: 1 << 10 });
  assert.is(joinInitFlags(0x80000001, 0x7ff), INIT.INIT_RESERVED | INIT.ASYNC_READ | (0x7ffn << 32n));
  const all = Object.values(INIT).reduce((a, b) => a | b, 0n);
  const { flags, flags2 } = splitInitFlags(all);
  assert.is(joinInitFlags(flags, flags2), all);
  assert.is(flags >>> 0, 0xffffffff);
  assert.is(flags2, 0x7ff); // bits 32..42 as of 7.45
  assert.is(FUSE_KERNEL_MINOR_VERSION, 45);
});

test('opcodeName maps fuse.h opcode numbers', () => {
  assert.is(opcodeName(OPCODE.LOOKUP), 'LOOKUP');
  assert.is(opcodeName(26), 'INIT');
  assert.is(opcodeName(53), 'COPY_FILE_RANGE_64');
  assert.is(opcodeName(7), undefined);
  assert.is(opcodeName(4096), undefined);
});

test.run();
