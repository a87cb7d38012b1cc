// What changed in a Vfs: every change the core makes is announced to its
// listeners, whichever front end asked for it, so each front end can drop
// what it cached (9P read-aheads; FUSE kernel caches through invalidation
// notices). A listener runs synchronously, after the change is made and
// before the call that made it resolves, and must not throw.

import type { Logger } from './log.js';
import type { NodeId } from './types.js';

/**
 * - `data`: contents written or truncated (its size and times changed too).
 * - `attr`: attributes only (mode, owner, times, link count, xattrs); a
 *   node that lost a name to unlink or rmdir while still known hears this too.
 *   `implied`: a change the caller did not ask for (setuid/setgid cleared
 *   by its write), so even the caller's own cache does not know of it.
 * - `entry`: name `name` was added to or removed from directory `node` (a
 *   rename is a removal and an addition); the directory's own times changed too.
 *   `child`: the node the removed name led to, when it is known to have no
 *   name left (host removals seen by the watcher), so a front end can say
 *   that node is gone.
 */
export type VfsChange =
  | { kind: 'data'; node: NodeId }
  | { kind: 'attr'; node: NodeId; implied?: boolean }
  | { kind: 'entry'; node: NodeId; name: Buffer; change: 'added' | 'removed'; child?: NodeId };

export type ChangeListener = (change: VfsChange) => void;

/** The listeners of one Vfs. */
export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly log: Logger) {}

  /** Adds a listener; the function returned removes it. */
  on(listener: ChangeListener): () => void {
    // Wrapped, so the same function may be added twice and removed once each.
    const own: ChangeListener = (c) => listener(c);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  emit(change: VfsChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (e) {
        // A front end's bug must not fail the change that was already made.
        this.log.warn(`change listener failed: ${String(e)}`);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
