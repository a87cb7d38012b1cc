// One client flooding a file with byte-range locks: past ServerOptions.maxLocks
// its Tlocks fail with ENOLCK, another client's locks keep working, and every
// range is released with the fids and the connection.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_DOTL_RDWR, P9_LOCK_BLOCKED, P9_LOCK_SUCCESS, P9_LOCK_TYPE_UNLCK, P9_LOCK_TYPE_WRLCK } from '../../../ninep/index.js';
import { NinepError, walkPath, type Client, type LockRequest } from '../../../ninep/client/index.js';
import type { CoreVfs } from '../../../src/index.js';
import { heldDescriptors, waitFor } from '../../helpers/tmp-export.js';
import { testModes, type Served } from './harness.js';

const MAX = 300;

async function opened(s: Served): Promise<{ c: Client; fid: number }> {
  const { c, root } = await s.attached();
  const fid = await walkPath(c, root, 'f');
  await c.lopen(fid, P9_DOTL_RDWR);
  return { c, fid };
}

const wr = (proc_id: number, start: bigint): LockRequest => ({ lock_type: P9_LOCK_TYPE_WRLCK, start, length: 1n, proc_id, client_id: 'guest' });

/** The status of a Tlock, or the errno code it failed with. */
async function tryLock(c: Client, fid: number, l: LockRequest): Promise<number | string> {
  try {
    return await c.lock(fid, l);
  } catch (e) {
    if (e instanceof NinepError) return e.code ?? e.message;
    throw e;
  }
}

testModes(test, `a lock flood stops at maxLocks (${MAX}) with ENOLCK while another client locks; all released after`, { server: { maxLocks: MAX } }, async (s) => {
  fs.writeFileSync(path.join(s.dir, 'f'), 'data');
  const core = s.vfs as CoreVfs;
  const baseline = heldDescriptors();
  const a = await opened(s);
  const b = await opened(s);
  // Disjoint ranges (2i, 1) so none merge; many processes of one guest.
  const results = await Promise.all(Array.from({ length: MAX + 100 }, (_, i) => tryLock(a.c, a.fid, wr(1 + (i % 7), BigInt(2 * i)))));
  assert.is(results.filter((r) => r === P9_LOCK_SUCCESS).length, MAX);
  assert.equal([...new Set(results.filter((r) => r !== P9_LOCK_SUCCESS))], ['ENOLCK']);
  assert.is(core.lockCount, MAX);
  // Unlocking one process's ranges makes room for new ones.
  assert.is(await tryLock(a.c, a.fid, { ...wr(1, 0n), lock_type: P9_LOCK_TYPE_UNLCK, length: 0n }), P9_LOCK_SUCCESS);
  const left = core.lockCount;
  assert.ok(left < MAX);
  assert.is(await tryLock(a.c, a.fid, wr(1, 4_000_000n)), P9_LOCK_SUCCESS);
  assert.is(core.lockCount, left + 1);

  // The other connection has a quota of its own.
  for (let i = 0; i < 50; i++) assert.is(await tryLock(b.c, b.fid, wr(9, BigInt(1_000_000 + 2 * i))), P9_LOCK_SUCCESS);
  assert.is(await tryLock(b.c, b.fid, wr(9, 2n)), P9_LOCK_BLOCKED, 'a holds it');

  await a.c.clunk(a.fid);
  await waitFor(() => core.lockCount === 50);
  b.c.conn.destroy();
  await waitFor(() => core.lockCount === 0 && core.stats.handles === 0);
  await a.c.close();
  await waitFor(() => heldDescriptors() <= baseline);
});

test.run();
