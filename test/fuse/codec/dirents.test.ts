// READDIR / READDIRPLUS packing: 8-byte alignment with zero padding, and an
// entry that does not fit in the remaining size is left for the next call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  packDirents,
  packDirentsPlus,
  unpackDirents,
  unpackDirentsPlus,
  direntSize,
  direntPlusSize,
  beginData,
  finishData,
  EncodeError,
  type FuseDirent,
  type FuseDirentPlus,
} from '../../../fuse/codec/index.js';
import { ATTR_HEX, ENTRY, UNIQUE, out } from '../../fixtures/fuse/replies.js';
import { hex, toHex } from '../../helpers/hex.js';

const ENTRIES: FuseDirent[] = [
  { ino: 2n, off: 1n, type: 4, name: Buffer.from('.') },
  { ino: 1n, off: 2n, type: 4, name: Buffer.from('..') },
  { ino: 5n, off: 3n, type: 8, name: Buffer.from('file1.txt') },
];

// fuse_dirent: ino[8] off[8] namelen[4] type[4] name, padded to 8
const GOLDEN = hex`
  0200000000000000 0100000000000000 01000000 04000000 2e 00000000000000        # @0  ".": 25 bytes + 7 padding
  0100000000000000 0200000000000000 02000000 04000000 2e2e 000000000000        # @32 "..": 26 + 6
  0500000000000000 0300000000000000 09000000 08000000 66696c65312e747874 00000000000000 # @64 "file1.txt": 33 + 7
`;

test('packDirents lays out fuse_dirent records with zero padding to 8 bytes', () => {
  assert.equal(ENTRIES.map((e) => direntSize(e.name.length)), [32, 32, 40]);
  const into = Buffer.alloc(4096, 0xee);
  const p = packDirents(into, ENTRIES);
  assert.equal(p, { bytes: 104, entries: 3 });
  assert.is(toHex(into.subarray(0, p.bytes)), toHex(GOLDEN));
  assert.equal(unpackDirents(GOLDEN), ENTRIES);
});

test('an entry that does not fit is left for the next call; an exact fit is used', () => {
  const small = Buffer.alloc(103, 0xee);
  const first = packDirents(small, ENTRIES);
  assert.equal(first, { bytes: 64, entries: 2 });
  const next = packDirents(Buffer.alloc(40), ENTRIES.slice(first.entries));
  assert.equal(next, { bytes: 40, entries: 1 });
  assert.equal(packDirents(Buffer.alloc(104), ENTRIES), { bytes: 104, entries: 3 });
  assert.equal(packDirents(Buffer.alloc(31), ENTRIES), { bytes: 0, entries: 0 });
});

test('a READDIR reply is built in place: beginData, packDirents into the slot cut to size, finishData', () => {
  const buf = Buffer.alloc(256);
  const slot = beginData(buf, UNIQUE);
  const p = packDirents(slot.subarray(0, 70), ENTRIES); // the request asked for 70 bytes
  const frame = finishData(buf, p.bytes);
  assert.is(toHex(frame), toHex(hex`${out(16 + 64)} ${toHex(GOLDEN.subarray(0, 64))}`));
});

test('names must be non-empty, without / or NUL, at most 1024 bytes', () => {
  for (const name of [Buffer.alloc(0), Buffer.from('a/b'), Buffer.from('a\0'), Buffer.alloc(1025, 0x61)]) {
    assert.throws(() => packDirents(Buffer.alloc(2048), [{ ino: 1n, off: 1n, type: 8, name }]), (e: unknown) => e instanceof EncodeError);
  }
});

const PLUS: FuseDirentPlus[] = [
  { entry: ENTRY, dirent: { ino: 2n, off: 1n, type: 8, name: Buffer.from('a') } },
  { entry: { ...ENTRY, nodeid: 0n }, dirent: { ino: 3n, off: 2n, type: 8, name: Buffer.from('bcdefghi') } },
];
const PLUS_GOLDEN = hex`
  0200000000000000 0100000000000000 0100000000000000 0100000000000000 0065cd1d 00000000 # @0 fuse_entry_out
  ${ATTR_HEX}                                                                          # @40 attr
  0200000000000000 0100000000000000 01000000 08000000 61 00000000000000                # @128 dirent "a": 153 + 7
  0000000000000000 0100000000000000 0100000000000000 0100000000000000 0065cd1d 00000000 # @160 entry_out, nodeid 0
  ${ATTR_HEX}
  0300000000000000 0200000000000000 08000000 08000000 6263646566676869                 # @288 dirent "bcdefghi": 160, no padding
`;

test('packDirentsPlus: fuse_entry_out then fuse_dirent, padded to 8', () => {
  assert.equal(PLUS.map((e) => direntPlusSize(e.dirent.name.length)), [160, 160]);
  const into = Buffer.alloc(1024, 0xee);
  const p = packDirentsPlus(into, PLUS);
  assert.equal(p, { bytes: 320, entries: 2 });
  assert.is(toHex(into.subarray(0, p.bytes)), toHex(PLUS_GOLDEN));
  assert.equal(unpackDirentsPlus(PLUS_GOLDEN), PLUS);
  assert.equal(packDirentsPlus(Buffer.alloc(319), PLUS), { bytes: 160, entries: 1 });
  assert.equal(packDirentsPlus(Buffer.alloc(159), PLUS), { bytes: 0, entries: 0 });
});

test.run();
