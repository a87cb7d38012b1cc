import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SERVER_OPTIONS, resolveServerOptions, ServerOptionsError } from '../../../ninep/server/options.js';

test('defaults: 1 MiB msize, nobody for unknown users', () => {
  const o = resolveServerOptions();
  assert.is(o.maxMsize, 1 << 20);
  assert.is(o.defaultUid, 65534);
  assert.is(o.maxLocks, 16384);
  assert.equal([o.squash, o.anonUid, o.anonGid], ['none', 65534, 65534]);
  assert.equal(o, DEFAULT_SERVER_OPTIONS);
});

test('validation: each bad field is refused with its name', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['maxMsize', { maxMsize: 100 }],
    ['maxMsize', { maxMsize: 1.5 }],
    ['maxFids', { maxFids: 0 }],
    ['maxInFlight', { maxInFlight: 70000 }],
    ['writeHighWater', { writeHighWater: -1 }],
    ['defaultUid', { defaultUid: 0xffffffff }],
    ['maxLocks', { maxLocks: 0 }],
    ['maxLocks', { maxLocks: 2.5 }],
    ['squash', { squash: 'some' }],
    ['anonUid', { anonUid: -1 }],
    ['anonGid', { anonGid: 0x100000000 }],
    ['maxXattrBytes', { maxXattrBytes: -1 }],
    ['readAheadBytes', { readAheadBytes: 0.5 }],
    ['maxOpenFiles', { maxOpenFiles: 0 }],
    ['maxOpenFilesTotal', { maxOpenFilesTotal: 0 }],
    ['maxConnections', { maxConnections: 0 }],
    ['frameTimeout', { frameTimeout: -5 }],
    ['maxQueuedBytes', { maxQueuedBytes: 0 }],
  ];
  for (const [name, partial] of bad) {
    assert.throws(() => resolveServerOptions(partial), (e: unknown) => e instanceof ServerOptionsError && e.message.includes(name));
  }
  assert.is(resolveServerOptions({ maxMsize: 8192 }).maxMsize, 8192);
});

test.run();
