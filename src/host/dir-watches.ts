// One inotify watch (Node's fs.watch) on each directory the node table holds,
// and the names host events touched, gathered into batches.
//
// - What clients can see, not more: a directory is watched while it has a
//   node (a client looked it up), so a 100,000-entry tree of which a client
//   listed ten directories costs ten watches. Measured against watching the
//   whole tree with chokidar or @parcel/watcher: tools/bench/watchers.ts.
// - The watch is added through /proc/self/fd/<fd>/. (the node's own
//   descriptor), so it is on the directory's inode whatever its path is now,
//   and events on the directory itself come named "." (libuv names them by
//   the watched path's last component), which no entry can be called.
// - At most `maxWatches` watches; past it, or when the kernel refuses one
//   (ENOSPC: fs.inotify.max_user_watches), it says so once and the directory
//   stays unwatched: its entries are then revalidated on access (the FUSE
//   mount gives them short timeouts, see covers()).
// - Events are gathered for BATCH_MS after the first one, then handed over
//   together: an editor's save or a build's burst of writes becomes one
//   batch, each name once. A directory with more than MAX_NAMES_PER_DIR
//   names in one batch is handed over as "everything in it" (overflow), so
//   a batch's memory is bounded.

import fs from 'node:fs';
import type { Logger } from '../log.js';
import type { NodeId } from '../types.js';

/** How long events gather before a batch is handed over (ms): the added latency. */
export const BATCH_MS = 10;
/** Names remembered per directory in one batch; more make it an overflow. */
const MAX_NAMES_PER_DIR = 4096;

/** What host events touched in one directory: names (latin1 strings of the raw bytes), or everything. */
export interface DirEvents {
  names: Set<string>;
  /** The directory itself changed (its attributes, or it was removed or moved). */
  self: boolean;
  /** Too many names: treat every entry as changed. */
  overflow: boolean;
}

export class DirWatches {
  private readonly watches = new Map<NodeId, fs.FSWatcher>();
  private batch = new Map<NodeId, DirEvents>();
  private timer: NodeJS.Timeout | null = null;
  private warned = false;
  /** Directories left unwatched for want of a watch (fallback to revalidation). */
  unwatched = 0;
  private closed = false;

  constructor(
    private readonly maxWatches: number,
    private readonly log: Logger,
    private readonly onBatch: (batch: Map<NodeId, DirEvents>) => void,
  ) {}

  get size(): number {
    return this.watches.size;
  }

  has(dir: NodeId): boolean {
    return this.watches.has(dir);
  }

  /** Watch directory `dir`, whose O_PATH descriptor is `fd` (used only now). */
  add(dir: NodeId, fd: number): void {
    if (this.closed || this.watches.has(dir)) return;
    if (this.watches.size >= this.maxWatches) {
      this.fallback(`the watch budget (maxWatches ${this.maxWatches}) is spent`);
      return;
    }
    let w: fs.FSWatcher;
    try {
      w = fs.watch(`/proc/self/fd/${fd}/.`, { persistent: false, encoding: 'buffer' }, (type, name) => this.event(dir, type, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') this.fallback(`the kernel refused a watch (${code}: raise fs.inotify.max_user_watches)`);
      else this.unwatched++;
      return;
    }
    // A watch whose directory went away ends with an error event: it is just gone.
    w.on('error', () => this.remove(dir));
    this.watches.set(dir, w);
  }

  remove(dir: NodeId): void {
    const w = this.watches.get(dir);
    if (w === undefined) return;
    this.watches.delete(dir);
    w.close();
  }

  close(): void {
    this.closed = true;
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.batch.clear();
  }

  private fallback(why: string): void {
    this.unwatched++;
    if (this.warned) return;
    this.warned = true;
    this.log.warn(`watch: ${why}; directories beyond it are not watched, and host edits in them are seen when a client next looks (entries revalidated on access)`);
  }

  private event(dir: NodeId, _type: string, name: Buffer | null): void {
    let e = this.batch.get(dir);
    if (e === undefined) {
      e = { names: new Set(), self: false, overflow: false };
      this.batch.set(dir, e);
    }
    const text = name === null ? '.' : name.toString('latin1');
    if (text === '.') e.self = true;
    else if (!e.overflow) {
      e.names.add(text);
      if (e.names.size > MAX_NAMES_PER_DIR) {
        e.overflow = true;
        e.names.clear();
      }
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), BATCH_MS);
      this.timer.unref();
    }
  }

  private flush(): void {
    this.timer = null;
    const b = this.batch;
    this.batch = new Map();
    if (!this.closed && b.size > 0) this.onBatch(b);
  }
}
