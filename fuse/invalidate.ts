// Changes made to the Vfs by anyone but this session (a 9P client, another
// mount, the process serving) become kernel invalidations, so cached pages,
// attributes and names on the mount do not outlive them whatever the
// timeouts. The session's own requests run inside `ownRequests`: a change
// heard in that context is one the kernel made itself and already knows.
// Only nodes the kernel holds (the ledger's, and the root) are named.
// Host edits reach here too: the Vfs's watcher (src/watch/) raises them as
// changes, so a host edit costs the mount the same notices.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { NodeId, Vfs } from '../src/index.js';
import type { VfsChange } from '../src/changes.js';
import type { RefLedger } from '../src/ref-ledger.js';
import { FuseWriter, encodeNotify, type FuseNotify } from './codec/index.js';

/** Set while a session handles one of its requests: the session itself. */
export const ownRequests = new AsyncLocalStorage<object>();

export class Invalidator {
  private write: ((msg: Buffer) => void) | undefined;
  private writeNow: ((msg: Buffer) => void) | undefined;
  private stop: (() => void) | undefined;
  /** Notifications written (tests, logs). */
  sent = 0;

  constructor(
    private readonly vfs: Vfs,
    private readonly owner: object,
    private readonly ledger: RefLedger,
    private readonly toNodeid: (id: NodeId) => bigint,
    private readonly isRoot: (id: NodeId) => boolean,
  ) {
  }

  /** Notifications go through `write` from now on (the session's queued write to /dev/fuse), or `writeNow` (synchronous). */
  attach(write: (msg: Buffer) => void, writeNow: (msg: Buffer) => void): void {
    this.write = write;
    this.writeNow = writeNow;
    this.stop ??= this.vfs.onChange((c) => this.changed(c));
  }

  close(): void {
    this.write = undefined;
    this.writeNow = undefined;
    this.stop?.();
    this.stop = undefined;
  }

  private known(id: NodeId): boolean {
    return this.isRoot(id) || this.ledger.refsOf(id) > 0;
  }

  private changed(c: VfsChange): void {
    if (this.write === undefined || !this.known(c.node)) return;
    const ino = this.toNodeid(c.node);
    if (ownRequests.getStore() === this.owner) {
      // setuid/setgid cleared by a WRITE the kernel passed on (direct I/O:
      // it clears nothing itself then): its cached mode must go before the
      // WRITE's reply does, so the notice is written now, not queued. An
      // attributes-only notice waits on no request, so this cannot block.
      if (c.kind === 'attr' && c.implied === true) this.send({ type: 'inval_inode', ino, off: -1n, len: 0n }, this.writeNow);
      return;
    }
    if (c.kind === 'data') this.send({ type: 'inval_inode', ino, off: 0n, len: 0n });
    else if (c.kind === 'attr') this.send({ type: 'inval_inode', ino, off: -1n, len: 0n });
    else {
      // A name the host removed from under a node the kernel holds: that dentry goes even if in use (a cwd).
      if (c.change === 'removed' && c.child !== undefined && this.known(c.child)) this.send({ type: 'delete', parent: ino, child: this.toNodeid(c.child), name: c.name });
      else this.send({ type: 'inval_entry', parent: ino, name: c.name, flags: 0 });
      // The directory's size, times and cached listing changed too.
      this.send({ type: 'inval_inode', ino, off: 0n, len: 0n });
    }
  }

  private send(n: FuseNotify, via = this.write): void {
    const w = new FuseWriter(Buffer.allocUnsafe(64 + (n.type === 'inval_entry' || n.type === 'delete' ? n.name.length : 0)));
    const len = encodeNotify(w, n);
    const buf = Buffer.from(w.buf.subarray(0, len));
    this.sent++;
    via?.(buf);
  }
}
