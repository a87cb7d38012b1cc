// Host edits made behind the Vfs's back, turned into the same change signal
// the Vfs raises for its own changes (changes.ts), so that every cache
// follows: FUSE kernel caches (fuse/invalidate.ts), 9P read-aheads, shared
// listings, the node table, humfs records.
//
// A batch of names from DirWatches is applied against what the host holds
// NOW (state, not events: a name created and removed within one batch is
// simply absent): for each name in a watched directory,
// - the same inode as the node the table knows by that name: its contents
//   or attributes changed (`data`, which drops attributes and pages too);
// - another inode, or none (deleted, renamed away, replaced by a rename as
//   an editor saves): the old node loses its name (NodeTable.lostName; an
//   open handle keeps reading the old file, a new lookup finds the new one
//   with a new identity) and the name is announced (`entry`);
// - humfs: a name without a record gets one as the missing-record policy
//   says (a directory's whole subtree), a name gone from data/ loses its
//   records (MetadataStore.hostAdded/hostRemoved), so `humfsify --check`
//   stays clean.
// Echoes: a change the Vfs made itself reaches the watch too. A name (or the
// node behind it) the Vfs changed itself within ECHO_MS before the batch is
// taken as that echo and not announced again (the Vfs kept the records
// itself). The price: a host edit of the very name a client changed less
// than ECHO_MS before is not seen until the next host event there.

import type { ChangeFeed, VfsChange } from '../changes.js';
import type { CoreContext } from '../core/context.js';
import type { HostStat } from '../host/stat.js';
import type { Node } from '../nodes.js';
import type { NodeId } from '../types.js';
import { DirWatches, type DirEvents } from '../host/dir-watches.js';

/** A host event this soon after the Vfs's own change of the same name is its echo (ms). */
const ECHO_MS = 100;
/** Own changes remembered for echo matching at most (bounded memory under a write storm). */
const ECHO_MAX = 16_384;

export interface HostWatcherOptions {
  maxWatches: number;
  /** Runs `fn` as a change of the Vfs (exclusive where the store needs it: humfs). */
  exclusive: (fn: () => Promise<void>) => Promise<void>;
}

export class HostWatcher {
  private readonly dirs: DirWatches;
  /** Own changes by key (see keyOf / nodeKey), with when they were made. */
  private readonly own = new Map<string, number>();
  private emitting = false;
  private readonly stopListening: () => void;
  /** Batches applied and changes announced (tests, benchmarks). */
  readonly counts = { batches: 0, announced: 0, echoes: 0, scans: 0 };

  constructor(
    private readonly ctx: CoreContext,
    private readonly feed: ChangeFeed,
    private readonly o: HostWatcherOptions,
  ) {
    this.dirs = new DirWatches(o.maxWatches, ctx.log, (b) => void this.apply(b));
    const nodes = ctx.nodes;
    nodes.dirHooks = {
      added: (n) => this.dirs.add(n.id, n.fd),
      dropped: (n) => this.dirs.remove(n.id),
    };
    this.dirs.add(nodes.root.id, nodes.root.fd);
    this.stopListening = feed.on((c) => this.ownChange(c));
  }

  /** Inotify watches held, and directories left unwatched (budget or kernel limit). */
  get watches(): { watched: number; unwatched: number } {
    return { watched: this.dirs.size, unwatched: this.dirs.unwatched };
  }

  /** Whether host edits of `node` (its name, attributes, contents) are announced: its directory is watched. */
  covers(id: NodeId): boolean {
    const nodes = this.ctx.nodes;
    if (id === nodes.root.id) return this.dirs.has(id);
    try {
      const n = nodes.get(id);
      return !n.detached && this.dirs.has(n.parent);
    } catch {
      return false;
    }
  }

  close(): void {
    this.stopListening();
    this.ctx.nodes.dirHooks = undefined;
    this.dirs.close();
  }

  private ownChange(c: VfsChange): void {
    if (this.emitting) return;
    const now = Date.now();
    if (this.own.size >= ECHO_MAX) this.prune(now);
    if (c.kind === 'entry') this.own.set(keyOf(c.node, c.name.toString('latin1')), now);
    else this.own.set(nodeKey(c.node), now);
  }

  private prune(now: number): void {
    for (const [k, t] of this.own) if (now - t > ECHO_MS || this.own.size >= ECHO_MAX) this.own.delete(k);
  }

  private recent(k: string, now: number): boolean {
    const t = this.own.get(k);
    return t !== undefined && now - t <= ECHO_MS;
  }

  /** `names` of `dir` but those the server itself changed a moment ago (their events are its echoes). */
  private withoutEchoes(dir: NodeId, names: Iterable<string>, now: number): string[] {
    const out: string[] = [];
    for (const name of names) {
      if (this.recent(keyOf(dir, name), now)) this.counts.echoes++;
      else out.push(name);
    }
    return out;
  }

  private async apply(batch: Map<NodeId, DirEvents>): Promise<void> {
    const changes: VfsChange[] = [];
    try {
      await this.o.exclusive(async () => {
        const now = Date.now();
        // The server's own echoes are known by name alone; the scan of live nodes is
        // for the rest (a burst of creates through the mount would otherwise scan them all per batch).
        const fresh = new Map<NodeId, string[]>();
        let needed = false;
        for (const [dir, ev] of batch) {
          const names = this.withoutEchoes(dir, ev.names, now);
          fresh.set(dir, names);
          needed ||= ev.overflow || names.length > 0;
        }
        const known = needed ? this.knownChildren(batch) : new Map<string, Node>();
        for (const [dir, ev] of batch) await this.applyDir(dir, ev, fresh.get(dir) ?? [], known, now, changes);
        this.prune(now);
      });
    } catch (e) {
      this.ctx.log.warn(`watch: applying host changes failed: ${String(e)}`);
    }
    this.counts.batches++;
    this.emitting = true;
    try {
      for (const c of changes) this.feed.emit(c);
    } finally {
      this.emitting = false;
    }
    this.counts.announced += changes.length;
  }

  /** Live nodes that have a name in one of the batch's directories, by keyOf(parent, name): one scan a batch. */
  private knownChildren(batch: Map<NodeId, DirEvents>): Map<string, Node> {
    const out = new Map<string, Node>();
    this.counts.scans++;
    for (const n of this.ctx.nodes.live()) {
      if (n.detached || n === this.ctx.nodes.root || !batch.has(n.parent)) continue;
      out.set(keyOf(n.parent, n.name.toString('latin1')), n);
    }
    return out;
  }

  /** `fresh`: the names of `ev` that are not the server's own echoes. */
  private async applyDir(dirId: NodeId, ev: DirEvents, fresh: string[], known: Map<string, Node>, now: number, out: VfsChange[]): Promise<void> {
    const nodes = this.ctx.nodes;
    let dir: Node;
    try {
      dir = nodes.get(dirId);
    } catch {
      return; // dropped meanwhile: nobody holds it
    }
    if (ev.self) out.push({ kind: 'attr', node: dirId });
    let names = fresh;
    if (ev.overflow) {
      const prefix = `${dirId}/`;
      const all = [...known.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      names = this.withoutEchoes(dirId, all, now);
      out.push({ kind: 'attr', node: dirId });
    }
    if (names.length === 0) return;
    let dirfd: number;
    try {
      dirfd = nodes.fdOf(dir);
    } catch {
      return; // the directory itself is gone: its parent's watch tells
    }
    dir.pins++;
    try {
      let entries = false;
      for (const text of names) {
        const old = known.get(keyOf(dirId, text));
        // Echoed by name were left out already; the node may have changed under another name.
        if (old !== undefined && this.recent(nodeKey(old.id), now)) {
          this.counts.echoes++;
          continue;
        }
        const name = Buffer.from(text, 'latin1');
        const st = this.statAt(dirfd, name);
        const same = old !== undefined && st !== null && old.dev === st.dev && old.ino === st.ino && old.birthtimeNs === st.birthtimeNs;
        await this.records(dir, dirfd, name, st);
        if (same) {
          out.push({ kind: 'data', node: (old as Node).id });
          continue;
        }
        // Named as the removed name's node only when that file is gone for good:
        // a file or directory moved elsewhere on the host lives on under its new name.
        const gone = old !== undefined && this.lost(old);
        if (old !== undefined) out.push({ kind: 'attr', node: old.id });
        entries = true;
        if (st === null) out.push({ kind: 'entry', node: dirId, name, change: 'removed', ...(gone ? { child: (old as Node).id } : {}) });
        else out.push({ kind: 'entry', node: dirId, name, change: 'added' });
      }
      if (entries) this.ctx.listings.changed(dirId);
    } finally {
      dir.pins--;
      // An idle directory (nodes.ts, idleDirs) gives back the descriptor this took.
      nodes.maybeDrop(dir);
    }
  }

  /**
   * The old node's name now leads elsewhere or nowhere; true when it has no
   * name left (gone for good). Only a descriptor can tell (its own, or an
   * open handle's): a file looked up and never opened has none (nodes.ts),
   * and is not named as gone.
   */
  private lost(old: Node): boolean {
    const nodes = this.ctx.nodes;
    let st: HostStat | null = null;
    const fd = old.fd >= 0 ? old.fd : old.opens > 0 ? this.ctx.handles.all().find((h) => h.node === old)?.fd : undefined;
    if (fd !== undefined) {
      try {
        st = this.ctx.host.fstat(fd);
      } catch {
        st = null;
      }
    }
    nodes.lostName(old);
    if (st === null || st.nlink !== 0) return false;
    nodes.removed(st);
    return true;
  }

  /** lstat of `name` in the directory, through an O_PATH open (never following a symlink); null when absent. */
  private statAt(dirfd: number, name: Buffer): HostStat | null {
    let fd: number;
    try {
      fd = this.ctx.host.openAt(dirfd, name);
    } catch {
      return null;
    }
    try {
      return this.ctx.host.fstat(fd);
    } finally {
      this.ctx.host.close(fd);
    }
  }

  /** humfs: a record for a name that has none, none for a name that is gone. */
  private async records(dir: Node, dirfd: number, name: Buffer, st: HostStat | null): Promise<void> {
    const store = this.ctx.store;
    if (store.hostAdded === undefined || store.hostRemoved === undefined) return;
    const path = [...this.ctx.nodes.pathOf(dir), name];
    try {
      if (st === null) {
        await store.hostRemoved(path);
        return;
      }
      const fd = this.ctx.host.openAt(dirfd, name);
      try {
        await store.hostAdded({ path: () => path, st, fd });
      } finally {
        this.ctx.host.close(fd);
      }
    } catch (e) {
      this.ctx.log.warn(`watch: records of a host-changed entry: ${String(e)}`);
    }
  }
}

function keyOf(dir: NodeId, name: string): string {
  return `${dir}/${name}`;
}

function nodeKey(id: NodeId): string {
  return `#${id}`;
}
