// One frame per DecodeError reason: decode must throw exactly that reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DecodeError,
  decode,
  dialect9P2000,
  dialect9P2000u,
  dialect9P2000L,
  type DecodeReason,
  type Dialect,
} from '../../../ninep/codec/index.js';
import { hex } from '../../helpers/hex.js';
import { STAT_FIELDS } from '../../fixtures/ninep/frames-9p2000.js';

interface ErrorCase {
  what: string;
  d: Dialect;
  frame: Buffer;
  reason: DecodeReason;
}

const ERRORS: ErrorCase[] = [
  { what: '5 bytes: no whole header', d: dialect9P2000, frame: hex`05000000 78`, reason: 'short-frame' },
  { what: 'empty frame', d: dialect9P2000L, frame: hex``, reason: 'short-frame' },
  { what: 'size field 12 on an 11-byte Tclunk', d: dialect9P2000, frame: hex`0c000000 78 0100 01000000`, reason: 'size-mismatch' },
  { what: 'Terror (106) is illegal', d: dialect9P2000, frame: hex`07000000 6a 0100`, reason: 'unknown-type' },
  { what: 'type 0', d: dialect9P2000u, frame: hex`07000000 00 0100`, reason: 'unknown-type' },
  { what: 'Topen on a .L session', d: dialect9P2000L, frame: hex`0c000000 70 0100 01000000 00`, reason: 'unknown-type' },
  { what: 'Tlopen on a 9P2000 session', d: dialect9P2000, frame: hex`0f000000 0c 0100 02000000 00000000`, reason: 'unknown-type' },
  { what: 'u32 cut short', d: dialect9P2000, frame: hex`09000000 78 0100 0100`, reason: 'overrun' },
  {
    what: 'uname says 6 bytes, 3 follow',
    d: dialect9P2000,
    frame: hex`14000000 68 0100 01000000 ffffffff 0600 676c65`,
    reason: 'overrun',
  },
  { what: 'Rreadlink: half a string length', d: dialect9P2000L, frame: hex`08000000 17 0100 04`, reason: 'overrun' },
  { what: 'Rread count 10, 5 bytes follow', d: dialect9P2000, frame: hex`10000000 75 0100 0a000000 68656c6c6f`, reason: 'bad-count' },
  {
    what: 'Twrite count 0xffffffff',
    d: dialect9P2000L,
    frame: hex`1a000000 76 0100 01000000 0600000000000000 ffffffff 68690a`,
    reason: 'bad-count',
  },
  { what: 'Rreaddir count cut short', d: dialect9P2000L, frame: hex`09000000 29 0100 0000`, reason: 'overrun' },
  { what: '.u Rerror without errno', d: dialect9P2000u, frame: hex`12000000 6b 0100 0900 6e6f7420666f756e64`, reason: 'overrun' },
  { what: 'Tclunk with one byte extra', d: dialect9P2000, frame: hex`0c000000 78 0100 01000000 ff`, reason: 'trailing-bytes' },
  { what: 'Rflush with a body', d: dialect9P2000L, frame: hex`08000000 6d 0200 00`, reason: 'trailing-bytes' },
  {
    what: 'Twalk with 17 wnames (MAXWELEM is 16)',
    d: dialect9P2000L,
    // 7 + 4 + 4 + 2 + 17 * 3 = 68 = 0x44; nwname 17 = 0x11
    frame: hex`44000000 6e 0100 01000000 02000000 1100 ${'010061'.repeat(17)}`,
    reason: 'too-many-wnames',
  },
  {
    what: 'Rwalk with 17 wqids',
    d: dialect9P2000,
    // 7 + 2 + 17 * 13 = 230 = 0xe6
    frame: hex`e6000000 6f 0100 1100 ${'00000000000100000000000000'.repeat(17)}`,
    reason: 'too-many-wqids',
  },
  {
    what: 'Rstat: stat size 62 but the fields take 63',
    d: dialect9P2000,
    frame: hex`4a000000 7d 0100 4100 3e00 ${STAT_FIELDS}`,
    reason: 'bad-stat-size',
  },
  {
    what: 'Rstat: n 64 but the stat says 63 (+2)',
    d: dialect9P2000,
    frame: hex`4a000000 7d 0100 4000 3f00 ${STAT_FIELDS} `,
    reason: 'bad-stat-size',
  },
  {
    what: 'Rstat: a stat with one byte after its fields',
    d: dialect9P2000,
    // n 66, size 64: 63 bytes of fields and a stray 00; 7 + 2 + 2 + 64 = 75
    frame: hex`4b000000 7d 0100 4200 4000 ${STAT_FIELDS} 00`,
    reason: 'bad-stat-size',
  },
  {
    what: 'Rstat: n larger than the frame',
    d: dialect9P2000,
    frame: hex`4a000000 7d 0100 ff00 3f00 ${STAT_FIELDS}`,
    reason: 'bad-stat-size',
  },
  {
    what: '.u Twstat carrying a plain 9P2000 stat',
    d: dialect9P2000u,
    frame: hex`4e000000 7e 0100 01000000 4100 3f00 ${STAT_FIELDS}`,
    reason: 'bad-stat-size',
  },
];

for (const c of ERRORS) {
  test(`${c.d.name}: ${c.what} -> ${c.reason}`, () => {
    let caught: unknown;
    try {
      decode(c.d, c.frame);
    } catch (e) {
      caught = e;
    }
    assert.instance(caught, DecodeError);
    assert.is((caught as DecodeError).reason, c.reason);
    assert.match((caught as DecodeError).message, c.reason);
  });
}

test('every DecodeError reason is pinned by a case', () => {
  const reasons: DecodeReason[] = [
    'short-frame',
    'size-mismatch',
    'unknown-type',
    'overrun',
    'trailing-bytes',
    'bad-count',
    'too-many-wnames',
    'too-many-wqids',
    'bad-stat-size',
  ];
  assert.equal([...new Set(ERRORS.map((c) => c.reason))].sort(), reasons.sort());
});

test.run();
