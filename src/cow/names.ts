// Changes to names in the merged view: making entries (over a whiteout
// when the base had the name), removing them (a whiteout where the base
// still has the name), renaming (a base directory is copied whole first:
// the layer then holds it, opaque, and moves like any layer directory).
// The union runs these one at a time (union.ts).

import { vfsError, VfsError } from '../errors.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE, type Cred, type Entry, type NodeId } from '../types.js';
import { copyUp, copyUpTree } from './copy-up.js';
import { ROOT, type UnionContext } from './context.js';
import { tempName } from '../host/cow-trees.js';
import { mergedNames } from './listing.js';
import type { UNode } from './nodes.js';
import { change } from './pending.js';

async function namesOf(ctx: UnionContext, dir: UNode): Promise<Buffer[]> {
  return (await mergedNames(ctx, dir)).map((n) => n.name);
}

/** The view's node at `name` in `dir` (with a reference), or null when there is none. */
export async function find(ctx: UnionContext, cred: Cred, dir: UNode, name: Buffer): Promise<UNode | null> {
  try {
    return await ctx.resolve(cred, dir, name);
  } catch (e) {
    if (e instanceof VfsError && e.code === 'ENOENT') return null;
    throw e;
  }
}

async function refuseExisting(ctx: UnionContext, dir: UNode, name: Buffer): Promise<void> {
  const there = await find(ctx, ROOT, dir, name);
  if (there !== null) {
    ctx.put(there);
    throw vfsError('EEXIST', 'create');
  }
}

/**
 * Make a non-directory `name` in `dir` with `make` (given the name to use).
 * Over a whiteout it is made under a temporary name and renamed over the
 * whiteout: one step, so the base's entry never shows again.
 */
export async function place<T>(ctx: UnionContext, dir: UNode, name: Buffer, make: (at: Buffer) => Promise<T>): Promise<T> {
  await copyUp(ctx, dir);
  const layerDir = dir.layer as NodeId;
  if (ctx.trees.entry(ctx.path(dir), name) !== 'whiteout') return make(name);
  const tmp = tempName();
  const made = await make(tmp);
  // The data whiteout is replaced in one rename; the record trees' ones go first (the store reads what it replaces).
  ctx.trees.removeMetaWhiteouts(ctx.path(dir), name);
  try {
    await ctx.layer.rename(ROOT, layerDir, tmp, layerDir, name, 0);
  } catch (e) {
    await ctx.layer.unlink(ROOT, layerDir, tmp).catch(() => undefined);
    throw e;
  }
  return made;
}

/** A new non-directory entry made by `make` in the layer, as a union node. */
export async function makeNode(ctx: UnionContext, dir: UNode, name: Buffer, make: (layerDir: NodeId, at: Buffer) => Promise<Entry>): Promise<UNode> {
  await refuseExisting(ctx, dir, name);
  const e = await place(ctx, dir, name, (at) => make(dir.layer as NodeId, at));
  ctx.changed(dir);
  return ctx.nodes.adopt(dir, name, null, e.id, false, false);
}

export async function mkdir(ctx: UnionContext, cred: Cred, dir: UNode, name: Buffer, mode: number): Promise<UNode> {
  await refuseExisting(ctx, dir, name);
  await copyUp(ctx, dir);
  const layerDir = dir.layer as NodeId;
  const at = ctx.path(dir);
  let e: Entry;
  let opaque = false;
  if (ctx.trees.entry(at, name) !== 'whiteout') {
    e = await ctx.layer.mkdir(cred, layerDir, name, mode);
  } else {
    // Over a whiteout: an opaque directory, made aside and moved in (a
    // directory cannot replace the whiteout in one rename, so the whiteout
    // goes first: a pending change, finished on the next open after a crash).
    const tmp = tempName();
    e = await ctx.layer.mkdir(cred, layerDir, tmp, mode);
    try {
      await ctx.trees.setOpaque([...at, tmp]);
      await change(ctx, { op: 'move', from: { dir: at, name: tmp }, to: { dir: at, name }, whiteoutFrom: false, opaqueTo: false }, ROOT);
    } catch (err) {
      if (ctx.trees.entry(at, tmp) === 'present') {
        ctx.layer.forget(e.id, 1);
        await ctx.layer.rmdir(ROOT, layerDir, tmp).catch(() => undefined);
      }
      throw err;
    }
    opaque = true;
  }
  ctx.changed(dir);
  return ctx.nodes.adopt(dir, name, null, e.id, true, opaque);
}

/** Remove `name` from `dir`: from the layer when it has it, and a whiteout when the base has it. */
export async function remove(ctx: UnionContext, cred: Cred, dir: UNode, name: Buffer, wantDir: boolean): Promise<NodeId> {
  const victim = await ctx.resolve(cred, dir, name);
  try {
    if (wantDir && !victim.dir) throw vfsError('ENOTDIR', 'rmdir');
    if (!wantDir && victim.dir) throw vfsError('EISDIR', 'unlink');
    if (wantDir && (await namesOf(ctx, victim)).length > 0) throw vfsError('ENOTEMPTY', 'rmdir');
    const inBase = await ctx.baseHas(dir, name);
    await copyUp(ctx, dir);
    const at = ctx.path(dir);
    if (ctx.trees.entry(at, name) === 'present' && inBase) {
      // The layer's entry hides the base's: removing it and whiting out are one pending change.
      await change(ctx, { op: 'remove', at: { dir: at, name }, dir: wantDir }, cred);
    } else if (ctx.trees.entry(at, name) === 'present') {
      if (wantDir) {
        ctx.trees.clearWhiteouts([...at, name]);
        await ctx.layer.rmdir(cred, dir.layer as NodeId, name);
      } else {
        await ctx.layer.unlink(cred, dir.layer as NodeId, name);
      }
    } else if (inBase) {
      await ctx.trees.whiteout(at, name);
    }
    if (victim.parent === dir && victim.name.equals(name)) ctx.nodes.removed(victim);
    ctx.changed(dir);
    return victim.id;
  } finally {
    ctx.put(victim);
  }
}

function within(n: UNode, ancestor: UNode): boolean {
  for (let c: UNode | null = n; c !== null; c = c.parent) if (c === ancestor) return true;
  return false;
}

/** Copy `n` up whole: a directory with everything below it, opaque. */
async function copyWhole(ctx: UnionContext, n: UNode): Promise<void> {
  if (n.dir) await copyUpTree(ctx, n, (d) => namesOf(ctx, d));
  else await copyUp(ctx, n);
}

/** A directory at `name` in `dir`, about to take a name where the base has an entry (`baseThere`): it must hide it. */
async function hideBaseUnder(ctx: UnionContext, n: UNode, dir: UNode, name: Buffer, baseThere: boolean): Promise<void> {
  if (!n.dir || !baseThere || n.opaque) return;
  await ctx.trees.setOpaque([...ctx.path(dir), name]);
  n.opaque = true;
  ctx.nodes.dropBase(n);
}

export async function rename(ctx: UnionContext, cred: Cred, p: UNode, name: Buffer, q: UNode, newName: Buffer, flags: number): Promise<void> {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) !== 0) throw vfsError('EINVAL', 'rename');
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if (exchange && (flags & RENAME_NOREPLACE) !== 0) throw vfsError('EINVAL', 'rename');
  const src = await ctx.resolve(cred, p, name);
  const dst = await find(ctx, cred, q, newName);
  try {
    if (dst === src) return;
    if (dst !== null && (flags & RENAME_NOREPLACE) !== 0) throw vfsError('EEXIST', 'rename');
    if (dst === null && exchange) throw vfsError('ENOENT', 'rename');
    if (src.dir && within(q, src)) throw vfsError('EINVAL', 'rename');
    if (exchange && dst !== null && dst.dir && within(p, dst)) throw vfsError('EINVAL', 'rename');
    if (dst !== null && !exchange) {
      if (src.dir && !dst.dir) throw vfsError('ENOTDIR', 'rename');
      if (!src.dir && dst.dir) throw vfsError('EISDIR', 'rename');
      if (dst.dir && (await namesOf(ctx, dst)).length > 0) throw vfsError('ENOTEMPTY', 'rename');
    }
    const srcInBase = await ctx.baseHas(p, name);
    const dstInBase = await ctx.baseHas(q, newName);
    await copyWhole(ctx, src);
    if (exchange && dst !== null) await copyWhole(ctx, dst);
    await copyUp(ctx, q);
    const from = ctx.path(p);
    const to = ctx.path(q);
    if (exchange && dst !== null) {
      // Marked opaque where they stand first (a layer directory that is not opaque has
      // no base directory under it, so the view does not change), then swapped in one step.
      await hideBaseUnder(ctx, src, p, name, dstInBase);
      await hideBaseUnder(ctx, dst, q, newName, srcInBase);
      await ctx.layer.rename(cred, p.layer as NodeId, name, q.layer as NodeId, newName, RENAME_EXCHANGE);
      ctx.nodes.move(src, q, newName);
      ctx.nodes.move(dst, p, name);
    } else {
      // One pending change: the move, the opaque mark where it now hides a base
      // directory, the whiteout where the base still has the old name.
      const opaqueTo = src.dir && dstInBase && !src.opaque;
      await change(ctx, { op: 'move', from: { dir: from, name }, to: { dir: to, name: newName }, whiteoutFrom: srcInBase, opaqueTo }, cred);
      if (dst !== null) ctx.nodes.removed(dst);
      ctx.nodes.move(src, q, newName);
      if (opaqueTo) {
        src.opaque = true;
        ctx.nodes.dropBase(src);
      }
    }
    ctx.changed(p);
    ctx.changed(q);
  } finally {
    ctx.put(src);
    if (dst !== null) ctx.put(dst);
  }
}
