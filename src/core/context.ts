// What every operation of the core shares: host access, the node and
// handle tables, the lock table, the metadata store, and the helpers that
// turn a host stat into the contract's Attr.

import { vfsError } from '../errors.js';
import type { DirListings } from '../dir-listings.js';
import type { HandleTable } from '../handles.js';
import type { Host } from '../host/host.js';
import { isValidName } from '../host/paths.js';
import type { HostStat } from '../host/stat.js';
import type { HostXattr } from '../host/xattr.js';
import type { HostLimits } from './host-limits.js';
import { setidToClear } from './host-limits.js';
import type { LockTable } from '../locks.js';
import type { Logger } from '../log.js';
import type { EntryInfo, MetadataStore, StoreEntry, VirtualAttr } from '../meta/store.js';
import type { Node, NodeTable } from '../nodes.js';
import type { Attr, Cred, Entry, NodeId } from '../types.js';
import { requireAccess } from './permissions.js';
import { S_IFDIR, S_IFMT } from '../types.js';

export interface Stated {
  st: HostStat;
  v: VirtualAttr;
  attr: Attr;
}

/**
 * A directory's own attributes, read on first use only (permission checks,
 * the owner of a new entry): a plain lookup then costs one open and one
 * fstat. A class rather than an object literal with getters, which is
 * several times dearer to make on every lookup.
 */
class LazyStated implements Stated {
  private got: Stated | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly node: Node,
    private readonly fd: number,
  ) {}

  private get stated(): Stated {
    return (this.got ??= this.ctx.statFd(this.node, this.fd));
  }
  get st(): HostStat {
    return this.stated.st;
  }
  get v(): VirtualAttr {
    return this.stated.v;
  }
  get attr(): Attr {
    return this.stated.attr;
  }
}

export class CoreContext {
  constructor(
    readonly host: Host,
    readonly xattr: HostXattr,
    readonly store: MetadataStore,
    readonly nodes: NodeTable,
    readonly handles: HandleTable,
    readonly locks: LockTable,
    readonly listings: DirListings,
    readonly checkPermissions: boolean,
    readonly log: Logger,
    readonly limits: HostLimits,
  ) {}

  node(id: NodeId): Node {
    return this.nodes.get(id);
  }

  checkName(name: Buffer, op: string): void {
    if (name.length > 255) throw vfsError('ENAMETOOLONG', op);
    if (!isValidName(name)) throw vfsError('EINVAL', op);
  }

  entry(node: Node, fd: number, st: HostStat): StoreEntry {
    return { path: () => this.nodes.pathOf(node), st, fd, detached: node.detached };
  }

  /** Entry for `name` in `parent`, before or without a node of its own. */
  childEntry(parent: Node, name: Buffer, fd: number, st: HostStat): StoreEntry {
    return { path: () => [...this.nodes.pathOf(parent), name], st, fd };
  }

  virtual(e: EntryInfo): VirtualAttr {
    const v = this.store.attr(e);
    if (v === null) throw vfsError('ENOENT', 'attr');
    return v;
  }

  attrOf(id: NodeId, st: HostStat, v: VirtualAttr): Attr {
    return {
      ino: id,
      mode: v.mode,
      nlink: st.nlink,
      uid: v.uid,
      gid: v.gid,
      rdev: v.rdev,
      size: st.size,
      blocks: st.blocks,
      blksize: st.blksize,
      atime: st.atimeNs,
      mtime: st.mtimeNs,
      ctime: st.ctimeNs,
      btime: st.birthtimeNs,
      gen: 0,
    };
  }

  /** Host stat, virtual attributes and Attr of `node` through descriptor `fd`. */
  statFd(node: Node, fd: number): Stated {
    return this.stated(node, this.host.fstat(fd));
  }

  /** Virtual attributes and Attr of `node` from its host stat `st`. */
  stated(node: Node, st: HostStat): Stated {
    const v = this.virtual({ path: () => this.nodes.pathOf(node), st, detached: node.detached });
    // Every open, create and chmod stats: writes learn here, for free,
    // whether they may have setuid/setgid bits to clear.
    node.setid = setidToClear(v.mode) !== 0;
    return { st, v, attr: this.attrOf(node.id, st, v) };
  }

  /**
   * Stat of a node: through its descriptor when it has one, by name in its
   * parent when not (sync: resolution never interleaves).
   */
  stat(node: Node): Stated {
    const st = this.nodes.lstatOf(node);
    return st !== undefined ? this.stated(node, st) : this.statFd(node, this.nodes.fdOf(node));
  }

  /**
   * Run `fn` with the descriptor of directory `node`; ENOTDIR otherwise.
   * With `mask`, and permission checks on, cred needs it on the directory.
   */
  async inDir<T>(cred: Cred | null, node: Node, mask: number, op: string, fn: (dirfd: number, dir: Stated) => Promise<T> | T): Promise<T> {
    if (node.hostType !== S_IFDIR) throw vfsError('ENOTDIR', op);
    return this.nodes.withFd(node, (dirfd) => this.dirCall(cred, node, dirfd, mask, op, fn));
  }

  /** inDir for a synchronous `fn` (a lookup): it answers without a promise hop per layer. */
  inDirSync<T>(cred: Cred | null, node: Node, mask: number, op: string, fn: (dirfd: number, dir: Stated) => T): T {
    if (node.hostType !== S_IFDIR) throw vfsError('ENOTDIR', op);
    return this.nodes.withFdSync(node, (dirfd) => this.dirCall(cred, node, dirfd, mask, op, fn));
  }

  private dirCall<T>(cred: Cred | null, node: Node, dirfd: number, mask: number, op: string, fn: (dirfd: number, dir: Stated) => T): T {
    const dir = new LazyStated(this, node, dirfd);
    if (cred !== null && this.checkPermissions && mask !== 0) requireAccess(cred, dir.v, mask, op);
    return fn(dirfd, dir);
  }

  /**
   * Find `name` in directory `parent` (descriptor `dirfd`) and add one
   * reference. Only a directory is opened (nodes.ts: others are stated by
   * name until a call needs their descriptor), and only when its node has
   * no descriptor already.
   */
  lookupIn(parent: Node, dirfd: number, name: Buffer): Entry {
    let st = this.host.lstatAt(dirfd, name, 'lookup');
    let fd = -1;
    if ((st.mode & S_IFMT) === S_IFDIR && (this.nodes.find(st)?.fd ?? -1) < 0) {
      fd = this.host.openAt(dirfd, name);
    }
    let v: VirtualAttr | null;
    try {
      // The descriptor's stat is the one that counts: the name may have moved on since the lstat.
      if (fd >= 0) st = this.host.fstat(fd);
      v = this.store.attr(this.childEntry(parent, name, fd, st));
    } catch (e) {
      if (fd >= 0) this.host.close(fd);
      throw e;
    }
    if (v === null) {
      if (fd >= 0) this.host.close(fd);
      throw vfsError('ENOENT', 'lookup');
    }
    const node = this.nodes.adopt(parent, name, fd, st);
    return { id: node.id, attr: this.attrOf(node.id, st, v) };
  }

  /** Give back a reference taken by lookupIn when a later step fails. */
  unref(id: NodeId): void {
    this.nodes.forget(id, 1);
  }
}
