// The union's own NodeId space. Each union node maps to its node in the
// base Vfs, in the layer Vfs, or both (a merged directory, a copied-up
// file), and holds exactly one reference on each. A node keeps its NodeId
// across copy-up (the layer node is added to it), and after it is dropped
// its NodeId is remembered by its inner NodeIds (which the inner Vfs keep
// stable), so the next lookup of the same file gets it back.
//
// A node holds its parent (the union keeps each node's name: the layer's
// path of a directory is its path in the view), so a parent is dropped only
// after its children.

import { vfsError } from '../errors.js';
import type { NodeId } from '../types.js';

export interface UNode {
  readonly id: NodeId;
  parent: UNode | null;
  name: Buffer;
  base: NodeId | null;
  layer: NodeId | null;
  /** Where the base node lives in the base tree (base nodes never move). */
  basePath: Buffer[] | null;
  dir: boolean;
  /** A layer directory that hides the base's directory of the same path. */
  opaque: boolean;
  /** References the front ends hold (lookups not yet forgotten). */
  refs: number;
  /** Open handles and live children. */
  pins: number;
  /** Its name was removed from the view. */
  removed: boolean;
}

/** Gives inner references back when a node no longer needs them. */
export interface InnerForget {
  base(id: NodeId, n: number): void;
  layer(id: NodeId, n: number): void;
}

export class UnionNodes {
  private next = 1;
  private readonly byId = new Map<NodeId, UNode>();
  private readonly byBase = new Map<NodeId, UNode>();
  private readonly byLayer = new Map<NodeId, UNode>();
  /** Live nodes by their parent and name (the d_ino of listings). */
  private readonly byName = new Map<string, UNode>();
  /** NodeIds of dropped nodes by inner NodeId ('b'/'l' + id), least recently dropped first. */
  private readonly remembered = new Map<string, NodeId>();
  readonly root: UNode;

  constructor(
    private readonly inner: InnerForget,
    private readonly cap: number,
    baseRoot: NodeId,
    layerRoot: NodeId,
  ) {
    this.root = this.make(null, Buffer.alloc(0), baseRoot, layerRoot, [], true, false);
    this.root.refs = 1;
  }

  get size(): number {
    return this.byId.size;
  }

  /** The live node `id`; ESTALE when unknown. */
  get(id: NodeId): UNode {
    const n = this.byId.get(id);
    if (n === undefined) throw vfsError('ESTALE', 'cow: node');
    return n;
  }

  /**
   * The node found as `name` in `parent` with these inner nodes (each
   * carrying one new inner reference, which this takes over), with one new
   * union reference.
   */
  adopt(parent: UNode, name: Buffer, base: NodeId | null, layer: NodeId | null, dir: boolean, opaque: boolean): UNode {
    let n = (layer !== null ? this.byLayer.get(layer) : undefined) ?? (base !== null ? this.byBase.get(base) : undefined);
    if (n === undefined) {
      const basePath = base === null || parent.basePath === null ? null : [...parent.basePath, name];
      n = this.make(parent, name, base, layer, basePath, dir, opaque);
    } else {
      this.setInner(n, 'base', base);
      this.setInner(n, 'layer', layer);
      n.opaque = opaque;
      if (n.opaque && n.base !== null) this.setInner(n, 'base', null, true);
      this.move(n, parent, name);
      n.removed = false;
    }
    n.refs += 1;
    return n;
  }

  /** The live node last found as `name` in `parent`, if any. */
  childAt(parent: UNode, name: Buffer): UNode | undefined {
    const n = this.byName.get(nameKey(parent, name));
    return n !== undefined && !n.removed ? n : undefined;
  }

  /** `n`'s name was removed from the view. */
  removed(n: UNode): void {
    n.removed = true;
    if (n.parent !== null && this.byName.get(nameKey(n.parent, n.name)) === n) this.byName.delete(nameKey(n.parent, n.name));
  }

  /** `n` now has layer node `layer` (copy-up), carrying one inner reference. */
  setLayer(n: UNode, layer: NodeId): void {
    this.setInner(n, 'layer', layer);
  }

  /** `n` no longer shows the base (an opaque directory replaced it). */
  dropBase(n: UNode): void {
    this.setInner(n, 'base', null, true);
  }

  /** `n` is now found as `name` in `parent`. */
  move(n: UNode, parent: UNode, name: Buffer): void {
    if (n.parent !== null && this.byName.get(nameKey(n.parent, n.name)) === n) this.byName.delete(nameKey(n.parent, n.name));
    this.byName.set(nameKey(parent, name), n);
    if (n.parent !== parent) {
      parent.pins += 1;
      const old = n.parent;
      n.parent = parent;
      if (old !== null) this.unpin(old);
    }
    n.name = name;
  }

  /** Path from the root (the layer's path of a directory). */
  path(n: UNode): Buffer[] {
    const out: Buffer[] = [];
    for (let c: UNode | null = n; c !== null && c.parent !== null; c = c.parent) out.push(c.name);
    return out.reverse();
  }

  ref(n: UNode, count = 1): void {
    n.refs += count;
  }

  forget(n: UNode, count: number): void {
    if (n === this.root) return;
    n.refs = Math.max(0, n.refs - count);
    this.maybeDrop(n);
  }

  pin(n: UNode): void {
    n.pins += 1;
  }

  unpin(n: UNode): void {
    n.pins -= 1;
    this.maybeDrop(n);
  }

  /** Drop every node (close). */
  clear(): void {
    this.byId.clear();
    this.byBase.clear();
    this.byLayer.clear();
    this.byName.clear();
    this.remembered.clear();
  }

  private make(parent: UNode | null, name: Buffer, base: NodeId | null, layer: NodeId | null, basePath: Buffer[] | null, dir: boolean, opaque: boolean): UNode {
    const id = this.takeId(base, layer);
    const n: UNode = { id, parent, name, base: null, layer: null, basePath, dir, opaque, refs: 0, pins: 0, removed: false };
    this.byId.set(id, n);
    this.setInner(n, 'base', base);
    this.setInner(n, 'layer', layer);
    if (parent !== null) {
      parent.pins += 1;
      this.byName.set(nameKey(parent, name), n);
    }
    return n;
  }

  private takeId(base: NodeId | null, layer: NodeId | null): NodeId {
    for (const key of [layer !== null ? `l${layer}` : null, base !== null ? `b${base}` : null]) {
      if (key === null) continue;
      const id = this.remembered.get(key);
      if (id !== undefined && !this.byId.has(id)) {
        this.remembered.delete(key);
        return id;
      }
    }
    return this.next++;
  }

  /** Set one side's inner node, giving back the reference of the old one (or of `id`, when it is the same). */
  private setInner(n: UNode, side: 'base' | 'layer', id: NodeId | null, force = false): void {
    const map = side === 'base' ? this.byBase : this.byLayer;
    const old = n[side];
    if (id === null && !force) return;
    if (old === id) {
      if (id !== null) this.inner[side](id, 1);
      return;
    }
    if (old !== null) {
      if (map.get(old) === n) map.delete(old);
      this.inner[side](old, 1);
    }
    n[side] = id;
    if (id !== null) map.set(id, n);
  }

  private maybeDrop(n: UNode): void {
    if (n === this.root || n.refs > 0 || n.pins > 0 || this.byId.get(n.id) !== n) return;
    this.byId.delete(n.id);
    for (const side of ['base', 'layer'] as const) {
      const id = n[side];
      if (id === null) continue;
      const map = side === 'base' ? this.byBase : this.byLayer;
      if (map.get(id) === n) map.delete(id);
      if (!n.removed) this.remember(`${side[0]}${id}`, n.id);
      this.inner[side](id, 1);
    }
    const parent = n.parent;
    n.parent = null;
    if (parent !== null) {
      if (this.byName.get(nameKey(parent, n.name)) === n) this.byName.delete(nameKey(parent, n.name));
      this.unpin(parent);
    }
  }

  private remember(key: string, id: NodeId): void {
    if (this.cap === 0) return;
    this.remembered.delete(key);
    this.remembered.set(key, id);
    if (this.remembered.size > this.cap) {
      const oldest = this.remembered.keys().next();
      if (oldest.done !== true) this.remembered.delete(oldest.value);
    }
  }
}

function nameKey(parent: UNode, name: Buffer): string {
  return `${parent.id}/${name.toString('latin1')}`;
}
