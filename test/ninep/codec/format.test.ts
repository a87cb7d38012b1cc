import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { format, decode, dialect9P2000L } from '../../../ninep/codec/index.js';
import { stat } from '../../fixtures/ninep/frames-9p2000.js';
import { hex } from '../../helpers/hex.js';

test('walk formats as in the trace examples', () => {
  assert.is(format({ type: 'Twalk', fid: 1, newfid: 2, wname: [Buffer.from('a'), Buffer.from('b')] }), 'Twalk{fid:1 newfid:2 wname:[a b]}');
});

test('data shows as a length, never its bytes', () => {
  const s = format({ type: 'Rread', data: Buffer.from('secret contents') });
  assert.is(s, 'Rread{data:<15 bytes>}');
});

test('odd names are escaped byte-wise and stay on one line', () => {
  assert.is(format({ type: 'Tmkdir', dfid: 1, name: Buffer.from([0x61, 0xff, 0x0a]), mode: 493, gid: 0 }), 'Tmkdir{dfid:1 name:a\\xff\\x0a mode:493 gid:0}');
  assert.is(format({ type: 'Tlcreate', name: Buffer.from('a b') }), 'Tlcreate{name:a\\x20b}');
  assert.is(format({ type: 'Twalk', wname: [Buffer.from('é')] }), 'Twalk{wname:[é]}');
});

test('bigints, empty strings, nested qids and stats', () => {
  assert.is(format({ type: 'Tread', fid: 1, offset: 1n << 40n, count: 8 }), 'Tread{fid:1 offset:1099511627776 count:8}');
  assert.is(format({ type: 'Tauth', afid: 1, uname: '', aname: 'a b' }), 'Tauth{afid:1 uname:"" aname:"a b"}');
  assert.is(format({ type: 'Rattach', qid: { type: 128, version: 0, path: 5n } }), 'Rattach{qid:{type:128 version:0 path:5}}');
  assert.match(format({ type: 'Rstat', stat }), /^Rstat\{stat:\{type:0 dev:0 qid:\{type:128 .* name:\/ uid:glenda gid:sys muid:glenda\}\}$/);
});

test('a decoded message formats in wire order', () => {
  const { msg } = decode(dialect9P2000L, hex`0f000000 32 0100 02000000 01000000`);
  assert.is(format(msg), 'Tfsync{fid:2 datasync:1}');
  assert.is(format({ type: 'Rclunk' }), 'Rclunk{}');
});

test.run();
