// The node table: NodeId → what the server knows of one host inode.
//
// - NodeIds come from NodeIds (node-ids.ts): never given to another file
//   (intro(5): a qid path must not come back for another file), and kept by
//   a file after its node is dropped, so the same file shows the same NodeId
//   for the life of the server (up to `maxRememberedNodes` forgotten files).
//   The root is NodeId 1.
// - A node is keyed by host (dev, ino): every name of a hard-linked inode
//   finds the same NodeId, and equal inode numbers on two filesystems do
//   not collide. The host birth time tells two lives of one inode number
//   apart: a live node whose inode number now belongs to a file born later
//   is retired (ESTALE), and the new file gets a new node.
// - A node does not keep a descriptor open. It remembers how to find its
//   inode again (parent NodeId, name, dev, ino); an LRU keeps at most
//   `maxCachedFds` O_PATH descriptors of live nodes. An evicted node is
//   re-resolved one name at a time from its parent's descriptor and checked
//   against (dev, ino): ESTALE when the host changed under us. A lookup
//   opens directories only (they are resolved through); other nodes get a
//   descriptor when a call needs one, and are stated by name until then
//   (lstatOf), as a path-based server does: a walk and a stat of a file
//   cost one lstat each, not an open, a stat and a close.
// - Up to `idleDirs` directories nothing needs any more stay in the table
//   (least recently idle dropped first), as the kernel keeps unused
//   dentries: a client that walks every path from the root (diodcat, a
//   9P client without a dentry cache) would otherwise make and drop the
//   same directory node, and its host watch, once per file. An idle
//   directory keeps no descriptor (the next lookup brings one), nor does a
//   node that only its children need; an idle directory is dropped at once
//   when its name goes.
// - A node stays in the table while anything needs it: lookup references,
//   open handles, in-flight calls (pins) and live children (a child is
//   resolved through its parent, so a directory rename costs O(1): the
//   children keep pointing at the same parent NodeId).
// - A node whose name no longer leads to it (unlinked or replaced through
//   the Vfs) is "detached": its descriptor is kept out of the LRU so it
//   stays reachable until the node is dropped. When that was the file's last
//   name it is also "gone": no lookup finds it again and its identity is
//   not remembered.
// Resolution is synchronous, so no other request interleaves with a walk;
// a pinned descriptor is never evicted while an async call uses it.

import { vfsError } from './errors.js';
import type { HostStat } from './host/stat.js';
import { identityKey } from './host/stat.js';
import { NodeIds } from './node-ids.js';
import type { NodeId } from './types.js';
import { S_IFDIR, S_IFMT, S_IFREG } from './types.js';

/** What the table needs from host access (src/host/host.ts Host implements it). */
export interface Resolver {
  openAt(dirfd: number, name: Buffer): number;
  /** The regular file `name` opened for I/O with its stat; undefined when the host cannot in one step. */
  openFileAt(dirfd: number, name: Buffer, flags: number): { fd: number; st: HostStat } | undefined;
  fstat(fd: number): HostStat;
  lstatAt(dirfd: number, name: Buffer): HostStat;
  close(fd: number): void;
}

export interface Node {
  readonly id: NodeId;
  /** Parent directory's NodeId (the root is its own parent). */
  parent: NodeId;
  /** Name in the parent (empty for the root). */
  name: Buffer;
  readonly dev: bigint;
  readonly ino: bigint;
  /** Host birth time (0n where the filesystem has none): which life of `ino` this is. */
  readonly birthtimeNs: bigint;
  /** Host file type bits (S_IFMT of the host lstat); a node never changes type. */
  readonly hostType: number;
  /** identityKey(dev, ino), made once: the byIdentity key. */
  readonly key: string;
  refs: number;
  opens: number;
  pins: number;
  children: number;
  /** Cached O_PATH descriptor, -1 when evicted. */
  fd: number;
  detached: boolean;
  /**
   * Detached because the host removed or replaced its name (lostName), not
   * through the Vfs: `parent` and `name` still say where it was last seen.
   */
  hostLost: boolean;
  /** Its last name was removed: never found again, its identity is not remembered. */
  gone: boolean;
  dropped: boolean;
  /**
   * Its mode had setuid, or setgid with group execute, when last stated
   * (every open and chmod states it): a write by a non-root caller then
   * looks again and clears them. Absent means no.
   */
  setid?: boolean;
}

/** Idle directories a table keeps (idleDirs): a few hundred nodes and host watches, far inside the watch budget. */
export const IDLE_DIRS = 256;

/** Told when a directory node comes and goes (the host watcher watches exactly these). */
export interface DirNodeHooks {
  added(node: Node): void;
  dropped(node: Node): void;
}

export class NodeTable {
  /** Set by the host watcher (src/watch/); the root is added by it directly. */
  dirHooks: DirNodeHooks | undefined;
  private readonly ids: NodeIds;
  private readonly byId = new Map<NodeId, Node>();
  private readonly byIdentity = new Map<string, Node>();
  /** Nodes holding an evictable descriptor, least recently used first. */
  private readonly lru = new Map<NodeId, Node>();
  /** Directories kept though nothing needs them (see idleDirs), least recently idle first. */
  private readonly idle = new Map<NodeId, Node>();
  readonly root: Node;

  constructor(
    private readonly host: Resolver,
    rootFd: number,
    private readonly maxCachedFds: number,
    maxRememberedNodes: number,
    private readonly idleDirs: number,
  ) {
    this.ids = new NodeIds(maxRememberedNodes);
    const st = host.fstat(rootFd);
    this.root = this.insert(0, Buffer.alloc(0), st, identityKey(st), rootFd);
    this.root.parent = this.root.id;
  }

  private insert(parent: NodeId, name: Buffer, st: HostStat, key: string, fd: number): Node {
    const node: Node = {
      id: this.ids.take(st),
      parent,
      name,
      dev: st.dev,
      ino: st.ino,
      birthtimeNs: st.birthtimeNs,
      hostType: st.mode & S_IFMT,
      key,
      refs: 0,
      opens: 0,
      pins: 0,
      children: 0,
      fd,
      detached: false,
      hostLost: false,
      gone: false,
      dropped: false,
      setid: false,
    };
    this.byId.set(node.id, node);
    this.byIdentity.set(key, node);
    if (node.hostType === S_IFDIR) this.dirHooks?.added(node);
    return node;
  }

  /** The live node `id`; ESTALE when it was never handed out or already dropped. */
  get(id: NodeId): Node {
    const node = this.byId.get(id);
    if (node === undefined) throw vfsError('ESTALE', 'node', String(id));
    return node;
  }

  /** Every live node (the root included), for a scan. */
  live(): IterableIterator<Node> {
    return this.byId.values();
  }

  /** The live node for a host inode, if any (and if it is still the same life of that inode). */
  find(st: HostStat): Node | undefined {
    const node = this.byIdentity.get(identityKey(st));
    return node !== undefined && node.birthtimeNs === st.birthtimeNs ? node : undefined;
  }

  /** The NodeId a host inode has, live or remembered, without adding a reference. */
  knownId(st: HostStat): NodeId | undefined {
    return this.find(st)?.id ?? this.ids.peek(st);
  }

  /** Forgotten identities kept for the next lookup. */
  get remembered(): number {
    return this.ids.remembered;
  }

  /** Live nodes (the root included). */
  get size(): number {
    return this.byId.size;
  }

  /** Nodes kept though nothing below them is in use: idle directories and the directories above them (a scan, for tests). */
  get unused(): number {
    const used = new Set<NodeId>([this.root.id]);
    for (const node of this.byId.values()) {
      if (node.refs === 0 && node.opens === 0 && node.pins === 0) continue;
      for (let cur: Node | undefined = node; cur !== undefined && !used.has(cur.id); cur = this.byId.get(cur.parent)) used.add(cur.id);
    }
    return this.byId.size - used.size;
  }

  /** Descriptors the table holds open (LRU, detached nodes and the root). */
  get openDescriptors(): number {
    let n = 0;
    for (const node of this.byId.values()) if (node.fd >= 0) n++;
    return n;
  }

  /**
   * The node for `name` in `parent`, found with O_PATH descriptor `fd` (-1:
   * found by lstat, not opened) and its host stat; adds one reference. The
   * table takes ownership of `fd`.
   * A name found last is where the node is resolved from next time (a hard
   * link or a rename done behind our back moves it).
   */
  adopt(parent: Node, name: Buffer, fd: number, st: HostStat): Node {
    const key = identityKey(st);
    let node = this.byIdentity.get(key);
    if (node !== undefined && node !== this.root && node.birthtimeNs !== st.birthtimeNs) {
      // The host freed that inode number and gave it to a new file.
      this.retire(node);
      node = undefined;
    }
    if (node === undefined) {
      node = this.insert(parent.id, Buffer.from(name), st, key, fd);
      parent.children++;
      if (fd >= 0) this.cache(node);
    } else {
      if (node !== this.root && (node.detached || node.parent !== parent.id || !node.name.equals(name))) this.move(node, parent, name);
      if (node.fd < 0 && fd >= 0) {
        node.fd = fd;
        this.cache(node);
      } else {
        if (fd >= 0) this.host.close(fd);
        this.touch(node);
      }
    }
    node.refs++;
    return node;
  }

  /**
   * Record that `node` is now `name` in `parent` (a rename through the Vfs).
   * A node dropped while the rename ran (its last reference was given back
   * meanwhile) is no longer in the table: there is nothing to record, and
   * counting it as a child would keep `parent` alive for ever.
   */
  move(node: Node, parent: Node, name: Buffer): void {
    if (node === this.root || node.dropped) return;
    if (node.parent !== parent.id) {
      const old = this.byId.get(node.parent);
      parent.children++;
      node.parent = parent.id;
      if (old !== undefined) {
        old.children--;
        this.maybeDrop(old);
      }
    }
    node.name = Buffer.from(name);
    node.hostLost = false;
    if (node.detached) {
      node.detached = false;
      if (node.fd >= 0) this.cache(node);
    }
  }

  /**
   * `node`'s name is gone (unlink, rmdir, replaced by a rename). Its
   * descriptor is opened now if needed and kept until the node is dropped.
   */
  detach(node: Node): void {
    if (node === this.root || node.detached) return;
    try {
      this.fdOf(node);
    } catch {
      // Already unreachable: it stays stale.
    }
    node.detached = true;
    node.hostLost = false;
    this.lru.delete(node.id);
    this.dropIfIdle(node);
  }

  /**
   * The name just removed through the Vfs led to the file `st` describes
   * (its stat from before the removal). When that was its last name the file
   * is gone: a live node is retired and a remembered identity discarded, so
   * a new file with the same inode number gets a new NodeId.
   */
  removed(st: HostStat): void {
    if ((st.mode & S_IFMT) !== S_IFDIR && st.nlink > 1) return;
    this.ids.discard(st);
    const live = this.find(st);
    if (live !== undefined && live !== this.root) this.retire(live);
  }

  /**
   * The host removed or replaced `node`'s name behind the Vfs (the watcher
   * saw it): like detach, but without resolving the name, which now leads
   * elsewhere or nowhere. A later lookup that finds the same inode under
   * any name attaches it there again (adopt).
   */
  lostName(node: Node): void {
    if (node === this.root || node.detached) return;
    node.detached = true;
    node.hostLost = true;
    this.lru.delete(node.id);
    this.dropIfIdle(node);
  }

  /** No lookup finds `node` again; it lives on for the references it has. */
  private retire(node: Node): void {
    // Detached without re-resolving: its name leads elsewhere now. A
    // descriptor it still holds is kept (out of the LRU) until it is dropped.
    node.detached = true;
    node.gone = true;
    this.lru.delete(node.id);
    if (this.byIdentity.get(node.key) === node) this.byIdentity.delete(node.key);
    this.dropIfIdle(node);
  }

  /** The node's O_PATH descriptor, re-resolving it when it was evicted. Pin first when awaiting. */
  fdOf(node: Node): number {
    if (node.dropped) throw vfsError('ESTALE', 'node', String(node.id));
    if (node.fd >= 0) {
      this.touch(node);
      return node.fd;
    }
    // Up to the nearest ancestor that still has a descriptor (iteratively:
    // a deep tree must not exhaust the stack), then down one name at a time.
    const chain: Node[] = [];
    let cur = node;
    while (cur.fd < 0) {
      if (cur.detached) throw stale(node);
      chain.push(cur);
      cur = this.get(cur.parent);
      if (cur.hostType !== S_IFDIR) throw stale(node);
    }
    this.touch(cur);
    for (let i = chain.length - 1; i >= 0; i--) this.resolveChild(chain[i] as Node);
    return node.fd;
  }

  /** Open `child` by name in its parent (which has a descriptor) and check it is the same inode. */
  private resolveChild(child: Node): void {
    const fd = this.byName(child, (pfd) => this.host.openAt(pfd, child.name));
    if (!sameInode(this.host.fstat(fd), child)) {
      this.host.close(fd);
      throw stale(child);
    }
    child.fd = fd;
    this.cache(child);
  }

  /**
   * Host lstat of a node that has no descriptor, by its name in its parent,
   * checked as a resolution is (ESTALE when the name leads elsewhere or
   * nowhere now); undefined when it has a descriptor to fstat. No
   * descriptor is opened for it.
   */
  lstatOf(node: Node): HostStat | undefined {
    if (node.fd >= 0 || node === this.root) return undefined;
    if (node.dropped || node.detached || this.get(node.parent).hostType !== S_IFDIR) throw stale(node);
    const st = this.byName(node, (pfd) => this.host.lstatAt(pfd, node.name));
    if (!sameInode(st, node)) throw stale(node);
    return st;
  }

  /**
   * A regular file's node without a descriptor opened for I/O by its name
   * in its parent (no O_PATH descriptor first, nor a reopen through /proc),
   * with its stat, checked as a resolution is; undefined when the node has
   * a descriptor to reopen or the host cannot (then fdOf and a reopen).
   */
  openByName(node: Node, flags: number): { fd: number; st: HostStat } | undefined {
    if (node.fd >= 0 || node.hostType !== S_IFREG || node.dropped || node.detached) return undefined;
    // EACCES and the like are the open's own answer; a name that leads nowhere or elsewhere is stale.
    const got = this.byName(node, (pfd) => this.host.openFileAt(pfd, node.name, flags), (code) => NAME_MOVED_ON.has(code));
    if (got !== undefined && !sameInode(got.st, node)) {
      this.host.close(got.fd);
      throw stale(node);
    }
    return got;
  }

  /**
   * `call` with the descriptor of `node`'s parent, pinned meanwhile (filling
   * the cache could otherwise evict it between two calls). A failure whose
   * code `moved` accepts (by default any) means the name no longer leads to
   * `node`: ESTALE.
   */
  private byName<T>(node: Node, call: (parentFd: number) => T, moved: (code: unknown) => boolean = () => true): T {
    const parent = this.get(node.parent);
    parent.pins++;
    try {
      return call(this.fdOf(parent));
    } catch (e) {
      if (moved((e as { code?: unknown }).code)) throw stale(node);
      throw e;
    } finally {
      parent.pins--;
    }
  }

  /** Run `fn` with the node's descriptor, which stays open until `fn` settles. */
  async withFd<T>(node: Node, fn: (fd: number) => Promise<T> | T): Promise<T> {
    node.pins++;
    try {
      return await fn(this.fdOf(node));
    } finally {
      node.pins--;
      this.maybeDrop(node);
      this.trim();
    }
  }

  /** withFd for a synchronous `fn` (lookups, stats): no promise in between. */
  withFdSync<T>(node: Node, fn: (fd: number) => T): T {
    node.pins++;
    try {
      return fn(this.fdOf(node));
    } finally {
      node.pins--;
      this.maybeDrop(node);
      this.trim();
    }
  }

  /** Components from the root to `node` (the root is []). */
  pathOf(node: Node): Buffer[] {
    const out: Buffer[] = [];
    let cur = node;
    while (cur !== this.root) {
      out.push(cur.name);
      cur = this.get(cur.parent);
    }
    return out.reverse();
  }

  /** Give back `count` lookup references. */
  forget(id: NodeId, count: number): void {
    const node = this.byId.get(id);
    if (node === undefined || node === this.root) return;
    node.refs = Math.max(0, node.refs - count);
    this.maybeDrop(node);
  }

  /** Drop the node when nothing needs it any more (an idle directory may be kept: idleDirs). */
  maybeDrop(node: Node): void {
    if (node === this.root || node.dropped || node.refs > 0 || node.opens > 0 || node.pins > 0) return;
    // Only its children need it (to resolve through): it keeps no descriptor,
    // so idle directories below hold none either.
    if (node.children > 0) {
      this.closeFd(node);
      return;
    }
    if (node.hostType === S_IFDIR && !node.detached && this.idleDirs > 0) {
      this.closeFd(node);
      this.idle.delete(node.id);
      this.idle.set(node.id, node);
      if (this.idle.size > this.idleDirs) {
        const [, oldest] = this.idle.entries().next().value as [NodeId, Node];
        this.dropIfIdle(oldest);
      }
      return;
    }
    this.drop(node);
  }

  /** Gives back a resolvable node's descriptor (a detached node's is its only way to its inode: kept). */
  private closeFd(node: Node): void {
    if (node.fd < 0 || node.detached) return;
    this.lru.delete(node.id);
    this.host.close(node.fd);
    node.fd = -1;
  }

  /** A kept idle directory is dropped now (its name went, or the idle set is full). */
  private dropIfIdle(node: Node): void {
    if (!this.idle.delete(node.id)) return;
    if (!node.dropped && unneeded(node)) this.drop(node);
  }

  private drop(node: Node): void {
    node.dropped = true;
    this.idle.delete(node.id);
    this.byId.delete(node.id);
    this.lru.delete(node.id);
    if (this.byIdentity.get(node.key) === node) this.byIdentity.delete(node.key);
    if (!node.gone) this.ids.remember(node, node.id);
    if (node.hostType === S_IFDIR) this.dirHooks?.dropped(node);
    if (node.fd >= 0) this.host.close(node.fd);
    node.fd = -1;
    const parent = this.byId.get(node.parent);
    if (parent !== undefined) {
      parent.children--;
      this.maybeDrop(parent);
    }
  }

  /** Close every descriptor and forget every node. */
  closeAll(): void {
    for (const node of this.byId.values()) {
      if (node.fd >= 0) this.host.close(node.fd);
      node.fd = -1;
      node.dropped = true;
    }
    this.byId.clear();
    this.byIdentity.clear();
    this.lru.clear();
    this.idle.clear();
    this.ids.clear();
  }

  private touch(node: Node): void {
    if (this.lru.delete(node.id)) this.lru.set(node.id, node);
  }

  private cache(node: Node): void {
    if (node === this.root || node.detached) return;
    this.lru.delete(node.id);
    this.lru.set(node.id, node);
    this.trim(node);
  }

  /** Close least recently used descriptors beyond the limit; pinned ones are skipped. */
  private trim(keep?: Node): void {
    if (this.lru.size <= this.maxCachedFds) return;
    for (const node of this.lru.values()) {
      if (this.lru.size <= this.maxCachedFds) break;
      if (node.pins > 0 || node === keep) continue;
      this.lru.delete(node.id);
      this.host.close(node.fd);
      node.fd = -1;
    }
  }
}

/** Errors of an open by name that say the name leads elsewhere or nowhere now. */
const NAME_MOVED_ON = new Set<unknown>(['ENOENT', 'ELOOP', 'ENXIO', 'ENOTDIR', 'EISDIR']);

/** The node's name no longer leads to it. */
function stale(node: Node): Error {
  return vfsError('ESTALE', 'resolve', String(node.id));
}

/** `st` is the life of the inode `node` stands for. */
function sameInode(st: HostStat, node: Node): boolean {
  return st.dev === node.dev && st.ino === node.ino && st.birthtimeNs === node.birthtimeNs;
}

/** Nothing holds the node: no lookup reference, open handle, call in flight or live child. */
function unneeded(node: Node): boolean {
  return node.refs === 0 && node.opens === 0 && node.pins === 0 && node.children === 0;
}
