// FOPEN_KEEP_CACHE decided per open, as libfuse's `auto_cache` does: the
// kernel keeps a file's cached pages across opens only while the file's
// mtime and size are what they were at the open before. A file changed
// since (through this mount, another front end, or on the host behind the
// server's back) is opened without it, so the kernel drops its pages and
// reads afresh; changes made through the Vfs by anyone else while a file
// is open are dropped by the Invalidator's INVAL_INODE. Without it every
// open of a file read it from the server again.

import type { Attr } from '../src/index.js';

export class KeepCache {
  /** mtime and size at the last open, by FUSE node id. */
  private readonly seen = new Map<bigint, string>();

  constructor(private readonly on: boolean) {}

  /** OPEN of `nodeid`, whose attributes are `a` now: whether its cached pages may stay. */
  opened(nodeid: bigint, a: Attr): boolean {
    if (!this.on) return false;
    const now = `${a.mtime}:${a.size}`;
    const keep = this.seen.get(nodeid) === now;
    this.seen.set(nodeid, now);
    return keep;
  }

  /** The kernel forgot `nodeid`: its pages went with it. */
  forgotten(nodeid: bigint): void {
    this.seen.delete(nodeid);
  }
}
