// Fids of one connection and the VFS node references behind them.
//
// References: the Vfs counts lookups (every Entry it returns holds one
// reference; forget gives them back). Several fids may point at one node
// (a clone is a walk of zero names, which makes no Vfs call), so the
// session keeps its own count per node: the Vfs references taken, in a
// RefLedger per export (which also records the open handles and gives
// everything back when the connection goes), and `users` (fids, walk
// steps). When the last user goes, all of the node's Vfs references go
// back in one forget. The root needs no reference.
//
// Requests on one fid may run concurrently, and a handler awaits the Vfs
// between reading a fid and changing it. Two rules keep that safe:
//   - a fid being opened or created (`busy`) refuses a second such change
//     (EBUSY) until the first settles;
//   - a fid taken out of the table (clunk, remove, Tversion, close, or
//     replaced by a walk onto itself) is marked `gone`; a handler that
//     acquired a handle or a node reference for it meanwhile gives them
//     back and answers EBADF instead of attaching them to a dead fid
//     (which would leak them).
//
// A fid remembers the directory it was reached from and its name there
// (`parent`, `name`, with a reference held on the parent): remove(5),
// Trename and a .u wstat rename act on that name. Another client may rename
// the file meanwhile, so those operations first check that the name still
// leads to the fid's node, and otherwise follow the node to where the Vfs
// last saw it (nameInParent in handlers/common.ts).

import type { Qid, Stat, StatU } from '../codec/index.js';
import type { Cred, Entry, HandleId, NodeId } from '../../src/types.js';
import type { ServedExport } from './exports.js';
import { RefLedger } from '../../src/ref-ledger.js';
import { protocolError } from './replies.js';
import { discardReadAhead, type ReadAhead } from './handlers/read-ahead.js';
import type { Hold } from './limits.js';

export interface DirReadState {
  /** The byte offset the next sequential read must ask for (read(5)). */
  nextOffset: bigint;
  /** VFS cookie to resume the listing from. */
  cookie: bigint;
  /** Entries fetched but not yet sent. */
  pending: (Stat | StatU)[];
  eof: boolean;
}

/** An open file; `ahead` and `nextOffset` serve sequential readers (handlers/read-ahead.ts). */
export interface FileOpen {
  kind: 'file';
  handle: HandleId;
  flags: number;
  /** This open file counted against the open-file limits (limits.ts). */
  slot: Hold;
  ahead?: ReadAhead;
  nextOffset?: bigint;
}

export type OpenState =
  | FileOpen
  | { kind: 'dir'; handle: HandleId; listing?: DirReadState; slot: Hold }
  /** A .u create of a symlink or device leaves the fid "open" with nothing to read. */
  | { kind: 'none' };

/**
 * An xattr fid. `hold` counts its bytes against the connection's
 * maxXattrBytes: the value read, or the size announced for writing, whose
 * buffer `value` grows only as the data arrives.
 */
export type XattrState =
  | { kind: 'read'; data: Buffer; hold: Hold }
  | { kind: 'write'; name: string; size: number; flags: number; value: Buffer; written: number; hold: Hold };

export interface Fid {
  readonly exp: ServedExport;
  node: NodeId;
  qid: Qid;
  parent: NodeId | undefined;
  /**
   * Name in `parent` ("/" for an attach root): its bytes as a latin1 string,
   * since every fid has one and a short string costs a fraction of a Buffer
   * (nameBytes gives the Buffer back).
   */
  name: string;
  /** The identity the fid acts with (set at attach, inherited by walks). */
  cred: Cred;
  open?: OpenState;
  xattr?: XattrState;
  /** ORCLOSE (open(5)): remove the file when the fid is clunked. */
  orclose: boolean;
  /** The request opening or creating through this fid right now, if any. */
  busy?: string;
  /** Taken out of the table: nothing may be attached to it any more. */
  gone?: boolean;
}

/**
 * Per-connection node references: the Vfs references themselves are kept
 * in one RefLedger per export (src/ref-ledger.ts, which gives back whatever
 * is left when the connection goes); here only how many users (fids, walk
 * steps) each node has.
 */
export class NodeRefs {
  private readonly byExport = new Map<ServedExport, { ledger: RefLedger; users: Map<NodeId, number> }>();

  private of(exp: ServedExport): { ledger: RefLedger; users: Map<NodeId, number> } {
    let o = this.byExport.get(exp);
    if (o === undefined) {
      o = { ledger: new RefLedger(exp.vfs), users: new Map() };
      this.byExport.set(exp, o);
    }
    return o;
  }

  /** What this connection holds in `exp`'s Vfs; open and close handles through it. */
  ledger(exp: ServedExport): RefLedger {
    return this.of(exp).ledger;
  }

  /** Takes over the one reference an Entry from the Vfs carries. */
  adopt(exp: ServedExport, entry: Entry): NodeId {
    const o = this.of(exp);
    o.ledger.took(entry);
    o.users.set(entry.id, (o.users.get(entry.id) ?? 0) + 1);
    return entry.id;
  }

  /** One more user of a node already held (or of the root). */
  share(exp: ServedExport, id: NodeId): NodeId {
    const o = this.of(exp);
    o.users.set(id, (o.users.get(id) ?? 0) + 1);
    return id;
  }

  /** One user fewer; the last one gives all of the node's Vfs references back. */
  release(exp: ServedExport, id: NodeId): void {
    const o = this.of(exp);
    const n = o.users.get(id);
    if (n === undefined) return;
    if (n > 1) {
      o.users.set(id, n - 1);
      return;
    }
    o.users.delete(id);
    o.ledger.forget(id, o.ledger.refsOf(id));
  }

  /** Gives back every handle and reference still held (the connection is gone). */
  async releaseAll(): Promise<{ handles: number; refs: number }> {
    const left = { handles: 0, refs: 0 };
    for (const o of this.byExport.values()) {
      o.users.clear();
      const r = await o.ledger.releaseAll();
      left.handles += r.handles;
      left.refs += r.refs;
    }
    return left;
  }

  /** Nodes held, for tests. */
  get size(): number {
    let n = 0;
    for (const o of this.byExport.values()) n += o.users.size;
    return n;
  }
}

export class FidTable {
  private readonly fids = new Map<number, Fid>();

  constructor(private readonly max: number) {}

  get(fid: number, op: string): Fid {
    const f = this.fids.get(fid);
    if (f === undefined) throw protocolError('EBADF', op, `fid ${fid} unknown`);
    return f;
  }

  has(fid: number): boolean {
    return this.fids.has(fid);
  }

  /** Throws unless `fid` can be added: not in use (EBADF) and below the limit (EMFILE). */
  checkFree(fid: number, op: string): void {
    if (this.fids.has(fid)) throw protocolError('EBADF', op, `fid ${fid} already in use`);
    if (this.fids.size >= this.max) throw protocolError('EMFILE', op, `fid limit of ${this.max} reached`);
  }

  /**
   * Installs `f` as `fid` after a handler's awaits: `replacing` is the fid
   * object the request started from when it reuses its number (walk with
   * newfid == fid), which is returned for release. EBADF when the number
   * was taken meanwhile, or `replacing` was clunked meanwhile.
   */
  install(fid: number, f: Fid, op: string, replacing?: Fid): Fid | undefined {
    const old = this.fids.get(fid);
    if (replacing !== undefined ? old !== replacing : old !== undefined) {
      throw protocolError('EBADF', op, `fid ${fid} changed while the request ran`);
    }
    if (old !== undefined) old.gone = true;
    this.fids.set(fid, f);
    return old;
  }

  delete(fid: number): Fid | undefined {
    const f = this.fids.get(fid);
    this.fids.delete(fid);
    if (f !== undefined) f.gone = true;
    return f;
  }

  /** Removes every fid and returns them. */
  drain(): Fid[] {
    const all = [...this.fids.values()];
    this.fids.clear();
    for (const f of all) f.gone = true;
    return all;
  }

  get size(): number {
    return this.fids.size;
  }
}

/**
 * The fid's file is now `name` in directory `parent` (renamed through this
 * fid, or found there after another client's rename): the fid holds the new
 * parent instead of the old. A fid clunked meanwhile has given its
 * references back and stays as it is.
 */
export function followFile(f: Fid, refs: NodeRefs, parent: NodeId, name: Buffer): void {
  if (f.gone) return;
  refs.share(f.exp, parent);
  if (f.parent !== undefined) refs.release(f.exp, f.parent);
  f.parent = parent;
  f.name = name.toString('latin1');
}

/** The open file handle of a fid, for attribute calls that work after unlink. */
export function handleOf(f: Fid): number | undefined {
  return f.open?.kind === 'file' ? f.open.handle : undefined;
}

/** A fid's name as the bytes the Vfs takes. */
export function nameBytes(f: Fid): Buffer {
  return Buffer.from(f.name, 'latin1');
}

/**
 * Runs `fn`, which opens or creates through `f`, with `f` marked busy; when
 * `f` was taken out of the table meanwhile, `undo` gives back what `fn`
 * acquired and the request fails with EBADF.
 */
export async function changeFid<T>(f: Fid, op: string, fn: () => Promise<T>, undo: (got: T) => Promise<void> | void): Promise<T> {
  if (f.busy !== undefined) throw protocolError('EBUSY', op, `the fid is busy with ${f.busy}`);
  f.busy = op;
  let got: T;
  try {
    got = await fn();
  } finally {
    f.busy = undefined;
  }
  if (f.gone) {
    await undo(got);
    throw protocolError('EBADF', op, 'the fid was clunked while the request ran');
  }
  return got;
}

/** Closes an open file or directory (never throws). */
export async function releaseOpen(ledger: RefLedger, open: OpenState): Promise<void> {
  try {
    // Releasing a handle drops the locks taken through it (and wakes their waiters, in the Vfs).
    if (open.kind !== 'none') await ledger.close(open.handle, open.kind);
  } catch {
    // release only fails for an unknown handle: nothing left to free.
  } finally {
    // Counted until its descriptor is closed.
    if (open.kind !== 'none') open.slot.release();
  }
}

/** Closes what a fid has open (never throws) and drops its node references. */
export async function releaseFid(f: Fid, refs: NodeRefs): Promise<void> {
  const open = f.open;
  f.open = undefined;
  f.xattr?.hold.release();
  try {
    // A read-ahead still running uses the handle: let it finish first.
    if (open?.kind === 'file') await discardReadAhead(open.ahead);
    if (open !== undefined) await releaseOpen(refs.ledger(f.exp), open);
  } finally {
    refs.release(f.exp, f.node);
    if (f.parent !== undefined) refs.release(f.exp, f.parent);
  }
}
