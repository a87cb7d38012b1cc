// Copy-up: the first change to a base node copies it into the layer. Crash
// safe: the copy is made under a temporary name in the layer directory
// (data, then owner, mode, extended attributes and times), synced, and
// renamed into place, so a crash leaves either no copy or a whole one (a
// stray temporary name is hidden from listings). Parents are copied first,
// as directories with the base directory's attributes. Data moves in 1 MiB
// ranges; a 64 KiB block of zeros is not written, so holes stay holes (and runs of
// zeros become holes). A file with several names is copied once and its
// other names still showing it are linked to the copy (src/host/link-groups.ts).

import { VfsError } from '../errors.js';
import { O_CREAT, O_EXCL, O_RDONLY, O_RDWR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, S_ISUID, type Attr, type NodeId, type SetAttr } from '../types.js';
import { ROOT, type UnionContext } from './context.js';
import { tempName } from '../host/cow-trees.js';
import type { UNode } from './nodes.js';
import { isHiddenXattr } from './xattr-names.js';

const CHUNK = 1 << 20;
/** Zeros are looked for (and left unwritten) in blocks of this size. */
const BLOCK = 64 << 10;
const ZEROS = Buffer.alloc(BLOCK);

/** Errors a copy may meet where the layer cannot record what the base has (an ordinary user's hostfs layer). */
function tolerable(e: unknown): boolean {
  return e instanceof VfsError && (e.code === 'EPERM' || e.code === 'ENOTSUP' || e.code === 'EACCES');
}

/** Make sure `n` has its layer node (a directory: without its children). */
export async function copyUp(ctx: UnionContext, n: UNode): Promise<void> {
  if (n.layer !== null) return;
  if (n.parent === null) return;
  await copyUp(ctx, n.parent);
  if (n.layer !== null) return;
  const parent = n.parent;
  const a = await ctx.base.getattr(n.base as NodeId);
  const tmp = tempName();
  const layerParent = parent.layer as NodeId;
  let id: NodeId;
  if (n.dir) {
    id = (await ctx.layer.mkdir(ROOT, layerParent, tmp, a.mode & 0o7777)).id;
    await finish(ctx, n, id, a);
  } else if ((a.mode & S_IFMT) === S_IFREG) {
    const made = await ctx.layer.create(ROOT, layerParent, tmp, O_RDWR | O_CREAT | O_EXCL, 0o600);
    id = made.entry.id;
    try {
      await copyData(ctx, n.base as NodeId, made.handle, id, a.size);
      await ctx.layer.fsync(made.handle, false);
    } finally {
      await ctx.layer.release(made.handle);
    }
    await finish(ctx, n, id, a);
  } else if ((a.mode & S_IFMT) === S_IFLNK) {
    id = (await ctx.layer.symlink(ROOT, layerParent, tmp, await ctx.base.readlink(n.base as NodeId))).id;
    await finish(ctx, n, id, a);
  } else {
    id = (await ctx.layer.mknod(ROOT, layerParent, tmp, a.mode, a.rdev)).id;
    await finish(ctx, n, id, a);
  }
  await ctx.layer.rename(ROOT, layerParent, tmp, layerParent, n.name, 0);
  ctx.nodes.setLayer(n, id);
  if (!n.dir && a.nlink > 1 && n.basePath !== null) await linkOthers(ctx, n, n.basePath);
}

/** Copy the data of base node `from` through layer handle `h`, skipping ranges of zeros. */
async function copyData(ctx: UnionContext, from: NodeId, h: number, to: NodeId, size: bigint): Promise<void> {
  const rh = await ctx.base.open(ROOT, from, O_RDONLY);
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    let off = 0n;
    for (;;) {
      const n = await ctx.base.read(rh, off, buf);
      if (n === 0) break;
      for (let at = 0; at < n; at += BLOCK) {
        const end = Math.min(n, at + BLOCK);
        if (buf.compare(ZEROS, 0, end - at, at, end) === 0) continue;
        for (let put = at; put < end; ) put += await ctx.layer.write(h, off + BigInt(put), buf.subarray(put, end));
      }
      off += BigInt(n);
    }
    // Trailing zeros (or a trailing hole) were not written: the size says where the file ends.
    if (off < size) off = size;
    await ctx.layer.setattr(ROOT, to, { size: off }, h);
  } finally {
    await ctx.base.release(rh);
  }
}

/** Owner, mode, extended attributes and times of the copy `id`, from the base's `a`. */
async function finish(ctx: UnionContext, n: UNode, id: NodeId, a: Attr): Promise<void> {
  const link = (a.mode & S_IFMT) === S_IFLNK;
  if (ctx.keepOwner) {
    try {
      await ctx.layer.setattr(ROOT, id, { uid: a.uid, gid: a.gid });
    } catch (e) {
      if (!tolerable(e)) throw e;
    }
  }
  if (!link) {
    try {
      await ctx.layer.setattr(ROOT, id, { mode: a.mode & 0o7777 });
    } catch (e) {
      // A nosuid layer refuses setuid/setgid bits as it refuses them to a client.
      if (!tolerable(e)) throw e;
      await ctx.layer.setattr(ROOT, id, { mode: a.mode & 0o7777 & ~(S_ISUID | S_ISGID) });
    }
  }
  for (const name of await ctx.base.listxattr(ROOT, n.base as NodeId)) {
    if (isHiddenXattr(name)) continue;
    try {
      await ctx.layer.setxattr(ROOT, id, name, await ctx.base.getxattr(ROOT, n.base as NodeId, name), 0);
    } catch (e) {
      if (!tolerable(e)) throw e;
    }
  }
  if (!link) await ctx.layer.setattr(ROOT, id, { atime: a.atime, mtime: a.mtime } satisfies SetAttr);
}

/** Link the other base names of `n`'s file that still show it to its copy (`path`: any base name of it). */
async function linkOthers(ctx: UnionContext, n: UNode, path: readonly Buffer[]): Promise<void> {
  for (const other of ctx.links.others(path, ctx.path(n))) {
    const dir = await walkView(ctx, other.slice(0, -1));
    if (dir === null) continue;
    const name = other[other.length - 1] as Buffer;
    try {
      if (ctx.trees.entry(ctx.path(dir), name) !== 'absent') continue;
      let found: UNode;
      try {
        found = await ctx.resolve(ROOT, dir, name);
      } catch {
        continue;
      }
      ctx.put(found);
      if (found !== n) continue;
      await copyUp(ctx, dir);
      const e = await ctx.layer.link(ROOT, n.layer as NodeId, dir.layer as NodeId, name);
      ctx.layer.forget(e.id, 1);
      ctx.changed(dir);
    } finally {
      ctx.put(dir);
    }
  }
}

/** The directory at `comps` in the view (with a reference), or null. */
async function walkView(ctx: UnionContext, comps: readonly Buffer[]): Promise<UNode | null> {
  let cur = ctx.nodes.root;
  ctx.nodes.ref(cur);
  for (const c of comps) {
    try {
      const next = await ctx.resolve(ROOT, cur, c);
      ctx.put(cur);
      cur = next;
    } catch {
      ctx.put(cur);
      return null;
    }
  }
  return cur;
}

/**
 * Copy directory `n` and everything below it into the layer and mark it
 * opaque: afterwards the layer alone holds what the view shows there (a
 * base directory about to be renamed).
 */
export async function copyUpTree(ctx: UnionContext, n: UNode, names: (dir: UNode) => Promise<Buffer[]>): Promise<void> {
  await copyUp(ctx, n);
  if (ctx.baseShows(n)) {
    for (const name of await names(n)) {
      const child = await ctx.resolve(ROOT, n, name);
      try {
        if (child.dir) await copyUpTree(ctx, child, names);
        else await copyUp(ctx, child);
      } finally {
        ctx.put(child);
      }
    }
    await ctx.trees.setOpaque(ctx.path(n));
    n.opaque = true;
    ctx.nodes.dropBase(n);
  }
}
