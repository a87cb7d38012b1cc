// Golden frames per message per dialect (fixtures in test/fixtures/ninep),
// plus a check that every table entry has at least one golden frame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dialect9P2000, dialect9P2000u, dialect9P2000L } from '../../../ninep/codec/index.js';
import { cases9P2000 } from '../../fixtures/ninep/frames-9p2000.js';
import { cases9P2000u } from '../../fixtures/ninep/frames-9p2000u.js';
import { cases9P2000L } from '../../fixtures/ninep/frames-9p2000L.js';
import { frameCases, sharedCases } from './frame-case.js';

const forU = [...sharedCases(dialect9P2000, cases9P2000, dialect9P2000u), ...cases9P2000u];
const forL = [
  ...sharedCases(dialect9P2000, cases9P2000, dialect9P2000L),
  ...sharedCases(dialect9P2000u, cases9P2000u, dialect9P2000L),
  ...cases9P2000L,
];

frameCases(test, dialect9P2000, cases9P2000);
frameCases(test, dialect9P2000u, forU);
frameCases(test, dialect9P2000L, forL);

for (const [d, cases] of [
  [dialect9P2000, cases9P2000],
  [dialect9P2000u, forU],
  [dialect9P2000L, forL],
] as const) {
  test(`${d.name}: every message has a golden frame`, () => {
    const covered = new Set(cases.map((c) => c.msg.type as string));
    const missing = Object.keys(d.table).filter((name) => !covered.has(name));
    assert.equal(missing, []);
  });
}

test('.L shares version/flush/walk/read/write/clunk/remove with 9P2000 and auth/attach with .u', () => {
  for (const name of ['Tversion', 'Rversion', 'Tflush', 'Twalk', 'Rwalk', 'Tread', 'Rread', 'Twrite', 'Tclunk', 'Tremove'] as const) {
    assert.ok(dialect9P2000L.table[name] === dialect9P2000.table[name], name);
  }
  assert.ok(dialect9P2000L.table.Tattach === dialect9P2000u.table.Tattach);
  assert.ok(dialect9P2000L.table.Tauth === dialect9P2000u.table.Tauth);
});

test('.L has no Topen/Tcreate/Tstat/Twstat/Rerror (Linux never sends them on .L)', () => {
  for (const name of ['Topen', 'Tcreate', 'Tstat', 'Twstat', 'Rerror']) {
    assert.not.ok(Object.hasOwn(dialect9P2000L.table, name), name);
  }
});

test.run();
