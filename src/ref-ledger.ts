// What one front end connection (a 9P connection, a FUSE mount) holds in a
// Vfs: node references (each Entry a lookup-like call returns carries one)
// and open handles. The front end makes those calls through its ledger, so
// that at disconnect or unmount releaseAll() gives back everything it still
// holds, whatever state its own tables were left in.

import type { Attr, Cred, Entry, HandleId, NodeId } from './types.js';
import { openWithAttrOf, type Vfs } from './vfs.js';

export class RefLedger {
  /** Vfs references held per node. */
  private readonly refs = new Map<NodeId, number>();
  private readonly handles = new Map<HandleId, 'file' | 'dir'>();

  constructor(readonly vfs: Vfs) {}

  /** Takes over the one reference `entry` carries (from any lookup-like call); returns its id. */
  took(entry: Entry): NodeId {
    this.refs.set(entry.id, (this.refs.get(entry.id) ?? 0) + 1);
    return entry.id;
  }

  /** References held on `id`. */
  refsOf(id: NodeId): number {
    return this.refs.get(id) ?? 0;
  }

  /** Gives back `count` references on `id` (never more than held). */
  forget(id: NodeId, count = 1): void {
    const held = this.refs.get(id) ?? 0;
    const n = Math.min(count, held);
    if (n <= 0) return;
    if (held === n) this.refs.delete(id);
    else this.refs.set(id, held - n);
    this.vfs.forget(id, n);
  }

  async lookup(cred: Cred, parent: NodeId, name: Buffer): Promise<Entry> {
    const e = await this.vfs.lookup(cred, parent, name);
    this.took(e);
    return e;
  }

  async open(cred: Cred, id: NodeId, flags: number): Promise<HandleId> {
    const h = await this.vfs.open(cred, id, flags);
    this.handles.set(h, 'file');
    return h;
  }

  /** open with the attributes the open found (Vfs.openWithAttr, or open then getattr). */
  async openWithAttr(cred: Cred, id: NodeId, flags: number): Promise<{ handle: HandleId; attr: Attr }> {
    const got = await openWithAttrOf(this.vfs, cred, id, flags);
    this.handles.set(got.handle, 'file');
    return got;
  }

  async opendir(cred: Cred, id: NodeId): Promise<HandleId> {
    const h = await this.vfs.opendir(cred, id);
    this.handles.set(h, 'dir');
    return h;
  }

  /**
   * Records a handle the front end got from the Vfs itself (create, whose
   * entry reference it takes over separately with took()).
   */
  opened(handle: HandleId, kind: 'file' | 'dir'): HandleId {
    this.handles.set(handle, kind);
    return handle;
  }

  /**
   * Closes a handle: release or releasedir as it was opened (`kind` for one
   * the ledger has no record of).
   */
  async close(handle: HandleId, kind?: 'file' | 'dir'): Promise<void> {
    const k = this.handles.get(handle) ?? kind;
    this.handles.delete(handle);
    if (k === 'file') await this.vfs.release(handle);
    else if (k === 'dir') await this.vfs.releasedir(handle);
  }

  /** Closes every handle and gives back every reference still held; what was given back, for logs. */
  async releaseAll(): Promise<{ handles: number; refs: number }> {
    const handles = [...this.handles.keys()];
    for (const h of handles) {
      try {
        await this.close(h);
      } catch {
        // Already gone (the Vfs closed): nothing left to give back.
      }
    }
    let refs = 0;
    for (const [id, n] of [...this.refs]) {
      refs += n;
      this.forget(id, n);
    }
    return { handles: handles.length, refs };
  }

  /** Nodes referenced, references and handles held, for tests and measurements. */
  get stats(): { nodes: number; refs: number; handles: number } {
    let refs = 0;
    for (const n of this.refs.values()) refs += n;
    return { nodes: this.refs.size, refs, handles: this.handles.size };
  }
}
