import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HumfsFormatError,
  effectiveMode,
  metadataPath,
  metadataPathOf,
  parseMetadata,
  parseSize,
  parseSuperblock,
  plainRecord,
  printMetadata,
  printSuperblock,
  specialRecord,
  specialTypeOfMode,
  typeBitsOf,
  type MetadataRecord,
} from '../../../src/meta/humfs-format.js';

// dist/test/src/meta → the source fixtures (not copied by tsc).
const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../../test/fixtures/humfs');

/** Metadata lines the Debian Perl humfsify wrote (see test/fixtures/humfs/README.md). */
function perlLines(): string[] {
  const text = fs.readFileSync(path.join(fixtures, 'perl-basic', 'expected.txt'), 'utf8');
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((cols) => cols[1] === 'f')
    .map((cols) => (cols[6] ?? '').replace(/\\n/g, '\n'));
}

function throwsFormat(fn: () => unknown, line: number | null, reason: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, HumfsFormatError);
    const err = e as HumfsFormatError;
    assert.is(err.line, line, `line of: ${err.message}`);
    assert.match(err.reason, reason);
    if (line !== null) assert.ok(err.message.startsWith(`line ${line}: `), err.message);
    return;
  }
  assert.unreachable(`expected a HumfsFormatError matching ${reason}`);
}

test('print(parse(x)) === x on every line the Perl humfsify wrote', () => {
  const lines = perlLines();
  assert.ok(lines.length >= 10, `fixture has ${lines.length} lines`);
  for (const line of lines) assert.is(printMetadata(parseMetadata(line)), line);
});

test('parse(print(r)) deep-equals r for every type and extreme value', () => {
  const records: MetadataRecord[] = [
    plainRecord(0, 0, 0),
    plainRecord(0o7777, 0xffffffff, 0xfffffffe),
    plainRecord(0o4755, 1000, 100),
    specialRecord('c', 0o620, 0, 5, 4095, 0xffffffff),
    specialRecord('b', 0o660, 0, 6, 0xffffffff, 1048575),
    specialRecord('p', 0o1644, 7, 8),
    specialRecord('s', 0o777, 9, 10),
  ];
  for (const r of records) assert.equal(parseMetadata(printMetadata(r)), r);
});

test('mode is decimal permission bits, special bits kept', () => {
  assert.is(printMetadata(plainRecord(0o644, 0, 0)), '420 0 0\n');
  assert.is(printMetadata(plainRecord(0o4755, 0, 0)), '2541 0 0\n');
  assert.is(parseMetadata('3071 1 2\n').mode, 0o5777);
  assert.is(printMetadata(specialRecord('c', 0o666, 0, 0, 1, 3)), '438 0 0 c 1 3\n');
  assert.is(printMetadata(specialRecord('p', 0o644, 1, 2)), '420 1 2 p 0 0\n');
});

test('lenient reading: whitespace runs, no final newline, trailing empty lines, short p/s', () => {
  assert.equal(parseMetadata('420\t1   2'), plainRecord(0o644, 1, 2));
  assert.equal(parseMetadata(' 420 1 2 \n\n'), plainRecord(0o644, 1, 2));
  assert.equal(parseMetadata('420 1 2 s\n'), specialRecord('s', 0o644, 1, 2));
  assert.equal(parseMetadata('0420 1 2 c 4 5'), specialRecord('c', 0o644, 1, 2, 4, 5));
});

test('metadata parse errors name the line and what is wrong', () => {
  throwsFormat(() => parseMetadata(''), 1, /empty metadata record/);
  throwsFormat(() => parseMetadata('420 0\n'), 1, /2 field\(s\)/);
  throwsFormat(() => parseMetadata('42x 0 0\n'), 1, /mode "42x" is not a decimal number/);
  throwsFormat(() => parseMetadata('-1 0 0\n'), 1, /mode "-1" is not a decimal number/);
  throwsFormat(() => parseMetadata('4096 0 0\n'), 1, /mode 4096 is larger than 0o7777/);
  throwsFormat(() => parseMetadata('420 4294967296 0\n'), 1, /uid 4294967296 is larger/);
  throwsFormat(() => parseMetadata('420 0 g\n'), 1, /gid "g" is not a decimal number/);
  throwsFormat(() => parseMetadata('420 0 0 x 1 2\n'), 1, /type "x" is not one of c, b, p, s/);
  throwsFormat(() => parseMetadata('420 0 0 c\n'), 1, /needs a major and a minor/);
  throwsFormat(() => parseMetadata('420 0 0 b 1\n'), 1, /no minor number/);
  throwsFormat(() => parseMetadata('420 0 0 c 1 z\n'), 1, /minor "z" is not a decimal number/);
  throwsFormat(() => parseMetadata('420 0 0 c 1 2 3\n'), 1, /too many fields \(7\)/);
  throwsFormat(() => parseMetadata('420 0 0\n493 0 0\n'), 2, /unexpected extra line "493 0 0"/);
});

test('records refuse values the format cannot carry', () => {
  assert.throws(() => plainRecord(0o10000, 0, 0), /mode/);
  assert.throws(() => plainRecord(-1, 0, 0), /mode/);
  assert.throws(() => plainRecord(0, 2 ** 32, 0), /uid/);
  assert.throws(() => plainRecord(0, 0, 1.5), /gid/);
  assert.throws(() => printMetadata({ mode: 0, uid: 0, gid: 0, type: null, major: 1, minor: 0 }), /device numbers/);
  assert.equal(specialRecord('p', 0o644, 0, 0, 5, 6), specialRecord('p', 0o644, 0, 0));
});

test('types from st_mode and back', () => {
  assert.is(specialTypeOfMode(0o020644), 'c');
  assert.is(specialTypeOfMode(0o060644), 'b');
  assert.is(specialTypeOfMode(0o010644), 'p');
  assert.is(specialTypeOfMode(0o140755), 's');
  assert.is(specialTypeOfMode(0o100644), null);
  assert.is(specialTypeOfMode(0o040755), null);
  assert.is(specialTypeOfMode(0o120777), null);
  for (const t of ['c', 'b', 'p', 's'] as const) assert.is(specialTypeOfMode(typeBitsOf(t) | 0o644), t);
  // A placeholder regular file recorded as a char device is a char device to the guest.
  assert.is(effectiveMode(specialRecord('c', 0o600, 0, 0, 1, 3), 0o100755), 0o020600);
  // Without a type, the data entry's type stays and the recorded bits replace its own.
  assert.is(effectiveMode(plainRecord(0o4711, 0, 0), 0o100755), 0o104711);
  assert.is(effectiveMode(plainRecord(0o1777, 0, 0), 0o040755), 0o041777);
});

test('superblock: print is byte-exact, parse round-trips', () => {
  const sb = { version: 2, metadata: 'shadow_fs', used: 16384n, total: 10485760n };
  const text = printSuperblock(sb);
  assert.is(text, 'version 2\nmetadata shadow_fs\nused 16384\ntotal 10485760\n');
  assert.equal(parseSuperblock(text), sb);
  const fromPerl = fs.readFileSync(path.join(fixtures, 'perl-basic', 'superblock'), 'utf8');
  assert.is(printSuperblock(parseSuperblock(fromPerl)), fromPerl);
  const big = { version: 2, metadata: 'shadow_fs', used: 0n, total: (1n << 63n) - 1n };
  assert.equal(parseSuperblock(printSuperblock(big)), big);
  // Any order, no final newline, spaces around.
  assert.equal(parseSuperblock('total 10\nused 3\n  metadata  shadow_fs\nversion 2'), {
    version: 2,
    metadata: 'shadow_fs',
    used: 3n,
    total: 10n,
  });
});

test('superblock errors name the line and what is wrong', () => {
  const ok = ['version 2', 'metadata shadow_fs', 'used 1', 'total 2'];
  const withLine = (i: number, s: string): string => ok.map((l, j) => (j === i ? s : l)).join('\n') + '\n';
  throwsFormat(() => parseSuperblock(''), null, /no 'version' line/);
  throwsFormat(() => parseSuperblock(ok.slice(0, 3).join('\n')), null, /no 'total' line/);
  throwsFormat(() => parseSuperblock(withLine(0, 'version 1')), 1, /version 1 is not supported/);
  throwsFormat(() => parseSuperblock(withLine(0, 'version two')), 1, /version "two" is not a number/);
  throwsFormat(() => parseSuperblock(withLine(1, 'metadata other')), 2, /metadata kind "other" is not supported/);
  throwsFormat(() => parseSuperblock(withLine(2, 'used 1x')), 3, /used "1x" is not a number of bytes/);
  throwsFormat(() => parseSuperblock(withLine(3, 'total')), 4, /is not a "key value" line/);
  throwsFormat(() => parseSuperblock(withLine(3, 'size 7')), 4, /unknown key "size"/);
  throwsFormat(() => parseSuperblock(withLine(2, 'used 3')), 3, /used 3 is greater than total 2/);
  throwsFormat(() => parseSuperblock(ok.join('\n') + '\nused 1\n'), 5, /key 'used' repeated \(first on line 3\)/);
  throwsFormat(() => parseSuperblock('version 2\n\nmetadata shadow_fs\nused 1\ntotal 2\n'), 2, /empty line/);
  throwsFormat(() => parseSuperblock(withLine(2, 'used 9223372036854775808')), 3, /too large/);
});

test('sizes: bytes or K/M/G/T suffixes (powers of 1024)', () => {
  assert.is(parseSize('0'), 0n);
  assert.is(parseSize('123'), 123n);
  assert.is(parseSize('10K'), 10240n);
  assert.is(parseSize('10M'), 10485760n);
  assert.is(parseSize('3G'), 3n << 30n);
  assert.is(parseSize('2t'), 2n << 40n);
  for (const bad of ['', 'M', '10MB', '-1', '1.5G', ' 10', '10 ', '0x10', '99999999T']) {
    throwsFormat(() => parseSize(bad), null, /size/);
  }
});

test('metadata paths: directories in dir_metadata/<dir>/metadata, the rest in file_metadata', () => {
  assert.is(metadataPath('', true), 'dir_metadata/metadata');
  assert.is(metadataPath('.', true), 'dir_metadata/metadata');
  assert.is(metadataPath('a/b', true), 'dir_metadata/a/b/metadata');
  assert.is(metadataPath('a/b', false), 'file_metadata/a/b');
  assert.is(metadataPath('./a//b/', false), 'file_metadata/a/b');
  const buf = metadataPathOf([Buffer.from([0xff]), Buffer.from('x')], false, (s) => Buffer.from(s));
  assert.equal(Buffer.concat(buf), Buffer.from([...Buffer.from('file_metadata'), 0xff, ...Buffer.from('x')]));
});

test.run();
