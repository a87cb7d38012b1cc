import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dialect9P2000, dialect9P2000L, dialect9P2000u } from '../../../../ninep/index.js';
import { handlersFor } from '../../../../ninep/server/handlers/index.js';

test('every T-message of each dialect has a handler (Tversion is the session\'s own)', () => {
  for (const d of [dialect9P2000, dialect9P2000u, dialect9P2000L]) {
    const table = handlersFor(d.name);
    const wanted = Object.keys(d.table).filter((n) => n.startsWith('T') && n !== 'Tversion');
    assert.equal(wanted.filter((n) => table[n] === undefined), [], d.name);
    // And nothing that the dialect cannot carry.
    assert.equal(Object.keys(table).filter((n) => !(n in d.table)), [], d.name);
  }
});

test.run();
