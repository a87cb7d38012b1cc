// One request per FuseDecodeError reason: decodeRequest must throw exactly
// that reason, and carry the unique whenever the header was readable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRequest, peekHeader, FuseDecodeError, type FuseDecodeReason, type DecodeOptions } from '../../../fuse/codec/index.js';
import { hdr, HEADER } from '../../fixtures/fuse/requests.js';
import { hex } from '../../helpers/hex.js';

interface ErrorCase {
  what: string;
  frame: Buffer;
  reason: FuseDecodeReason;
  opts?: DecodeOptions;
}

const ERRORS: ErrorCase[] = [
  { what: 'empty read', frame: hex``, reason: 'short-header' },
  { what: '39 bytes: no whole fuse_in_header', frame: hex`${hdr(40, 5).slice(0, -2)}`, reason: 'short-header' },
  { what: 'len 45 on a 44-byte LOOKUP', frame: hex`${hdr(45, 1)} 666f6f00`, reason: 'length-mismatch' },
  { what: 'len 40 on a 44-byte LOOKUP', frame: hex`${hdr(40, 1)} 666f6f00`, reason: 'length-mismatch' },
  { what: 'opcode 7 (never assigned)', frame: hex`${hdr(40, 7)}`, reason: 'unknown-opcode' },
  { what: 'opcode 48 (SETUPMAPPING, DAX only)', frame: hex`${hdr(72, 48)} ${'00'.repeat(32)}`, reason: 'unknown-opcode' },
  { what: 'opcode 4096 (CUSE_INIT)', frame: hex`${hdr(40, 4096)}`, reason: 'unknown-opcode' },
  { what: 'INIT byte-swapped (FUSE_INIT_BSWAP_RESERVED)', frame: hex`${hdr(40, 26 << 24)}`, reason: 'unknown-opcode' },
  { what: 'GETATTR with half its body', frame: hex`${hdr(48, 3)} 01000000 00000000`, reason: 'overrun' },
  { what: 'BATCH_FORGET count 3, two entries', frame: hex`${hdr(80, 42)} 03000000 00000000 ${'01'.repeat(32)}`, reason: 'overrun' },
  { what: 'BATCH_FORGET count 0xffffffff', frame: hex`${hdr(48, 42)} ffffffff 00000000`, reason: 'overrun' },
  { what: 'total_extlen past the request', frame: hex`${hdr(48, 2, 2)} 0300000000000000`, reason: 'overrun' },
  {
    what: 'WRITE size 5, 3 bytes of data',
    frame: hex`${hdr(83, 16)} ${'00'.repeat(16)} 05000000 00000000 ${'00'.repeat(16)} 616263`,
    reason: 'overrun',
  },
  { what: 'SETXATTR: 8-byte form while SETXATTR_EXT is on', frame: hex`${hdr(48, 21)} 02000000 01000000`, reason: 'overrun', opts: { setxattrExt: true } },
  { what: 'FORGET with a stray byte', frame: hex`${hdr(49, 2)} 0300000000000000 ff`, reason: 'trailing-bytes' },
  { what: 'READLINK with a body', frame: hex`${hdr(41, 5)} 00`, reason: 'trailing-bytes' },
  {
    what: 'WRITE size 2, 3 bytes of data',
    frame: hex`${hdr(83, 16)} ${'00'.repeat(16)} 02000000 00000000 ${'00'.repeat(16)} 616263`,
    reason: 'trailing-bytes',
  },
  { what: 'IOCTL in_size 0 with input bytes', frame: hex`${hdr(74, 39)} ${'00'.repeat(24)} 00000000 00000000 0102`, reason: 'trailing-bytes' },
  { what: 'LOOKUP name without NUL', frame: hex`${hdr(43, 1)} 666f6f`, reason: 'missing-nul' },
  { what: 'SYMLINK target without NUL', frame: hex`${hdr(45, 6)} 6c6e00 2f78`, reason: 'missing-nul' },
  { what: 'LOOKUP whose only NUL is in the extensions', frame: hex`${hdr(51, 1, 1)} 666f6f 0000000000000000`, reason: 'missing-nul' },
];

for (const c of ERRORS) {
  test(`${c.what} -> ${c.reason}`, () => {
    let caught: unknown;
    try {
      decodeRequest(c.frame, c.opts);
    } catch (e) {
      caught = e;
    }
    assert.instance(caught, FuseDecodeError);
    const e = caught as FuseDecodeError;
    assert.is(e.reason, c.reason);
    assert.match(e.message, c.reason);
    if (c.frame.length >= 40) {
      assert.is(e.unique, HEADER.unique, 'the unique is kept so the request can be answered');
      assert.is(peekHeader(c.frame).unique, HEADER.unique);
    } else {
      assert.is(e.unique, undefined);
    }
  });
}

test('every FuseDecodeError reason is pinned by a case', () => {
  const reasons: FuseDecodeReason[] = ['short-header', 'length-mismatch', 'unknown-opcode', 'overrun', 'trailing-bytes', 'missing-nul'];
  assert.equal([...new Set(ERRORS.map((c) => c.reason))].sort(), reasons.sort());
});

test.run();
