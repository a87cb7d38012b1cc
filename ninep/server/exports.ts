// What the server serves: named exports, each a Vfs. Shared by every
// connection of one Server, so byte-range locks taken through one client
// are seen by all of them; the lock table and its waiters live in the Vfs,
// so a client waiting for a lock is woken when anyone unlocks.

import type { Vfs } from '../../src/vfs.js';

export interface ServedExport {
  /** The aname that selects it ("" for the default export). */
  readonly name: string;
  readonly vfs: Vfs;
}
