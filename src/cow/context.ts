// What every part of the union shares: the two Vfs, the layer's marks, the
// node map, and the one step everything starts with, finding a name in the
// merged view.

import { VfsError, vfsError } from '../errors.js';
import { isValidName } from '../host/paths.js';
import type { Logger } from '../log.js';
import { S_IFDIR, S_IFMT, type Attr, type Cred, type Entry, type NodeId } from '../types.js';
import type { Vfs } from '../vfs.js';
import type { BaseLinks } from '../host/link-groups.js';
import type { LayerTrees } from '../host/cow-trees.js';
import { UnionNodes, type UNode } from './nodes.js';
import type { PendingLog } from './pending.js';

/** The union's own calls into its inner Vfs (copy-up, listings) act as root: the caller was checked already. */
export const ROOT: Cred = { uid: 0, gid: 0 };

export function isDirAttr(a: Attr): boolean {
  return (a.mode & S_IFMT) === S_IFDIR;
}

function isAbsent(e: unknown): boolean {
  return e instanceof VfsError && (e.code === 'ENOENT' || e.code === 'ENOTDIR');
}

/** A name a client may use: one path component of at most 255 bytes. */
export function checkName(name: Buffer, op: string): void {
  if (name.length > 255) throw vfsError('ENAMETOOLONG', op);
  if (!isValidName(name)) throw vfsError('EINVAL', op);
}

export class UnionContext {
  readonly nodes: UnionNodes;
  /** Bumped on every change of a directory's names: its listings are built again. */
  private readonly versions = new Map<NodeId, number>();

  constructor(
    /** The base, read-only. */
    readonly base: Vfs,
    /** The layer's tree (upper/ or upper/data/). */
    readonly layer: Vfs,
    readonly trees: LayerTrees,
    readonly links: BaseLinks,
    /** Copies keep their base owner only where the layer can record it (humfs, or a root server). */
    readonly keepOwner: boolean,
    readonly log: Logger,
    maxRememberedNodes: number,
    /** The layer's record of a change of several steps under way (pending.ts). */
    readonly pending: PendingLog,
  ) {
    this.nodes = new UnionNodes(
      { base: (id, n) => base.forget(id, n), layer: (id, n) => layer.forget(id, n) },
      maxRememberedNodes,
      base.root,
      layer.root,
    );
  }

  node(id: NodeId): UNode {
    return this.nodes.get(id);
  }

  path(n: UNode): Buffer[] {
    return this.nodes.path(n);
  }

  changed(dir: UNode): void {
    this.versions.set(dir.id, (this.versions.get(dir.id) ?? 0) + 1);
  }

  version(dir: UNode): number {
    return this.versions.get(dir.id) ?? 0;
  }

  /** Whether the base shows through directory `dir` (it has a base side and is not opaque). */
  baseShows(dir: UNode): boolean {
    return dir.base !== null && !dir.opaque;
  }

  /** Whether the base has `name` in `dir` where the view would show it (whiteouts aside). */
  async baseHas(dir: UNode, name: Buffer): Promise<boolean> {
    if (!this.baseShows(dir)) return false;
    try {
      const e = await this.base.lookup(ROOT, dir.base as NodeId, name);
      this.base.forget(e.id, 1);
      return true;
    } catch (e) {
      if (isAbsent(e)) return false;
      throw e;
    }
  }

  /**
   * `name` in directory `parent` as the view shows it, with one new union
   * reference (give it back with put). ENOENT for a whiteout or nothing.
   */
  async resolve(cred: Cred, parent: UNode, name: Buffer): Promise<UNode> {
    checkName(name, 'lookup');
    if (!parent.dir) throw vfsError('ENOTDIR', 'lookup');
    const inLayer = parent.layer !== null ? this.trees.entry(this.path(parent), name) : 'absent';
    if (inLayer === 'whiteout') throw vfsError('ENOENT', 'lookup');
    let le: Entry | null = null;
    let be: Entry | null = null;
    if (inLayer === 'present') le = await this.layer.lookup(cred, parent.layer as NodeId, name);
    try {
      if (this.baseShows(parent) && (le === null || isDirAttr(le.attr))) {
        try {
          be = await this.base.lookup(le === null ? cred : ROOT, parent.base as NodeId, name);
        } catch (e) {
          if (le === null || !isAbsent(e)) throw e;
        }
        // A layer directory over a base non-directory hides it.
        if (le !== null && be !== null && !isDirAttr(be.attr)) {
          this.base.forget(be.id, 1);
          be = null;
        }
      }
      if (le === null && be === null) throw vfsError('ENOENT', 'lookup');
      const dir = isDirAttr((le ?? be as Entry).attr);
      const opaque = le !== null && dir ? await this.trees.isOpaque([...this.path(parent), name]) : false;
      if (opaque && be !== null) {
        this.base.forget(be.id, 1);
        be = null;
      }
      return this.nodes.adopt(parent, name, be?.id ?? null, le?.id ?? null, dir, opaque);
    } catch (e) {
      if (le !== null) this.layer.forget(le.id, 1);
      if (be !== null) this.base.forget(be.id, 1);
      throw e;
    }
  }

  /** Give back a reference resolve took. */
  put(n: UNode): void {
    this.nodes.forget(n, 1);
  }

  /** Attributes as the view shows them: the layer's when it has the node, with the union's NodeId. */
  async attr(n: UNode): Promise<Attr> {
    const a = n.layer !== null ? await this.layer.getattr(n.layer) : await this.base.getattr(n.base as NodeId);
    return { ...a, ino: n.id };
  }

  async entry(n: UNode): Promise<Entry> {
    return { id: n.id, attr: await this.attr(n) };
  }
}
