// A layer change that takes several host steps is written down before its
// first step and struck off after its last, so that a crash in between is
// finished when the layer is next opened (rolled forward; every step looks
// whether it is done, so none is repeated):
// - a move whose old name must then be whited out or whose new name must
//   be marked opaque (a base directory renamed; a directory made over a
//   whiteout, made aside and moved in);
// - the removal of a layer entry that hid a base entry, then the whiteout.
// Without this a crash between the steps shows the base's entry again, or
// the same directory twice. One change at a time: the union runs name
// changes one by one, and a record still there refuses the next (EIO) so
// that an unfinished change is never overwritten.

import { vfsError } from '../errors.js';
import type { Cred, NodeId } from '../types.js';
import { COW_LAYOUT } from './layout.js';
import { layerFileExists, readLayerFile, removeLayerFile, writeLayerFile } from '../host/layer-files.js';
import type { UnionContext } from './context.js';
import { ROOT } from './context.js';

/** A name in the layer's tree: its directory's components and its own. */
export interface LayerPath {
  dir: Buffer[];
  name: Buffer;
}

export type Pending =
  | { op: 'move'; from: LayerPath; to: LayerPath; whiteoutFrom: boolean; opaqueTo: boolean }
  | { op: 'remove'; at: LayerPath; dir: boolean };

type Wire = { op: string; [k: string]: unknown };

const toWire = (p: LayerPath): { dir: string[]; name: string } => ({ dir: p.dir.map((c) => c.toString('hex')), name: p.name.toString('hex') });

function fromWire(v: unknown): LayerPath {
  const o = v as { dir?: unknown; name?: unknown } | null;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.dir) || typeof o.name !== 'string' || !o.dir.every((c) => typeof c === 'string')) {
    throw new Error('not a layer path');
  }
  return { dir: (o.dir as string[]).map((c) => Buffer.from(c, 'hex')), name: Buffer.from(o.name, 'hex') };
}

/** pending.json in the layer folder. */
export class PendingLog {
  constructor(private readonly layer: string) {}

  read(): Pending | undefined {
    const text = readLayerFile(this.layer, COW_LAYOUT.pending);
    if (text === undefined) return undefined;
    try {
      const w = JSON.parse(text) as Wire;
      if (w.op === 'move') return { op: 'move', from: fromWire(w.from), to: fromWire(w.to), whiteoutFrom: w.whiteoutFrom === true, opaqueTo: w.opaqueTo === true };
      if (w.op === 'remove') return { op: 'remove', at: fromWire(w.at), dir: w.dir === true };
    } catch {
      // Written to a temporary name and renamed: a torn record cannot be here.
    }
    throw new Error(`${this.layer}/${COW_LAYOUT.pending}: not a pending layer change; the layer was changed by something else`);
  }

  /** Written durably before the change's first step. */
  write(p: Pending): void {
    if (layerFileExists(this.layer, COW_LAYOUT.pending)) throw vfsError('EIO', 'cow: an earlier layer change is unfinished (it is finished when the layer is opened again)');
    const w = p.op === 'move' ? { ...p, from: toWire(p.from), to: toWire(p.to) } : { ...p, at: toWire(p.at) };
    writeLayerFile(this.layer, COW_LAYOUT.pending, `${JSON.stringify(w)}\n`);
  }

  /** Struck off after the last step (the layer's own changes are on disk by then: each was synced or renamed). */
  clear(): void {
    removeLayerFile(this.layer, COW_LAYOUT.pending);
  }
}

/** The layer Vfs's node of directory `comps`, and how to give back the reference the walk took. */
async function layerDir(ctx: UnionContext, comps: readonly Buffer[]): Promise<{ id: NodeId; done: () => void }> {
  let id = ctx.layer.root;
  for (const c of comps) {
    const e = await ctx.layer.lookup(ROOT, id, c);
    if (id !== ctx.layer.root) ctx.layer.forget(id, 1);
    id = e.id;
  }
  const found = id;
  return { id: found, done: () => found !== ctx.layer.root && ctx.layer.forget(found, 1) };
}

const at = (p: LayerPath): Buffer[] => [...p.dir, p.name];

/**
 * Carry out `p` from wherever it stands. `cred` makes the first host change
 * (the client's, so the layer checks it as it would any; root on recovery).
 */
export async function carryOut(ctx: UnionContext, p: Pending, cred: Cred = ROOT): Promise<void> {
  const t = ctx.trees;
  if (p.op === 'remove') {
    if (t.entry(p.at.dir, p.at.name) === 'present') {
      const dir = await layerDir(ctx, p.at.dir);
      try {
        if (p.dir) {
          t.clearWhiteouts(at(p.at));
          await ctx.layer.rmdir(cred, dir.id, p.at.name);
        } else {
          await ctx.layer.unlink(cred, dir.id, p.at.name);
        }
      } finally {
        dir.done();
      }
    }
    if (t.entry(p.at.dir, p.at.name) !== 'whiteout') await t.whiteout(p.at.dir, p.at.name);
    return;
  }
  if (t.entry(p.from.dir, p.from.name) === 'present') {
    const there = t.entry(p.to.dir, p.to.name);
    const movingDir = t.isDir(p.from.dir, p.from.name);
    // A directory replaces only an empty directory (whiteouts inside count) and never a whiteout.
    if (there === 'present' && t.isDir(p.to.dir, p.to.name)) t.clearWhiteouts(at(p.to));
    if (there === 'whiteout' && movingDir) t.removeWhiteout(p.to.dir, p.to.name);
    t.removeMetaWhiteouts(p.to.dir, p.to.name);
    const from = await layerDir(ctx, p.from.dir);
    try {
      const to = await layerDir(ctx, p.to.dir);
      try {
        await ctx.layer.rename(cred, from.id, p.from.name, to.id, p.to.name, 0);
      } finally {
        to.done();
      }
    } finally {
      from.done();
    }
  }
  if (p.opaqueTo) await t.setOpaque(at(p.to));
  if (p.whiteoutFrom && t.entry(p.from.dir, p.from.name) !== 'whiteout') await t.whiteout(p.from.dir, p.from.name);
}

/** Write `p` down, carry it out, strike it off. A failure before anything changed strikes it off too. */
export async function change(ctx: UnionContext, p: Pending, cred: Cred): Promise<void> {
  const first = p.op === 'move' ? p.from : p.at;
  ctx.pending.write(p);
  try {
    await carryOut(ctx, p, cred);
  } catch (e) {
    // Nothing moved or removed yet: as if it never started. Otherwise the record stays for the next open.
    if (ctx.trees.entry(first.dir, first.name) === 'present') ctx.pending.clear();
    throw e;
  }
  ctx.pending.clear();
}
