// opendir, readdir, releasedir: listings with resumable cookies
// (readdir-cookies.ts). A handle takes a snapshot of the names at cookie 0
// and serves every later cookie from it, so one listing is consistent; a
// cookie given to a handle without a snapshot lists the directory afresh and
// resumes after it, which the hash order makes equally valid. Each returned
// entry is lstat'ed (its d_ino is its NodeId when it has one, live or
// remembered); a name that vanished since the snapshot is left out.

import { vfsError } from '../errors.js';
import type { DirHandle } from '../handles.js';
import { assignCookies, DOT_COOKIE, DOTDOT_COOKIE, resumeIndex, type Cookied } from '../readdir-cookies.js';
import { type Cred, DT_DIR, type DirEntry, type HandleId, type NodeId, dtypeOf } from '../types.js';
import type { CoreContext } from './context.js';

const INO_HOST_BIT = 1n << 63n;

export async function opendir(ctx: CoreContext, cred: Cred, id: NodeId): Promise<HandleId> {
  const node = ctx.node(id);
  return ctx.inDir(cred, node, 4, 'opendir', (fd) => ctx.handles.addDir(node, ctx.host.dupPath(fd)).id);
}

export async function releasedir(ctx: CoreContext, handle: HandleId): Promise<void> {
  const h = ctx.handles.dir(handle);
  ctx.handles.remove(handle);
  await ctx.handles.drained(h);
  ctx.host.close(h.fd);
  ctx.nodes.maybeDrop(h.node);
}

async function listing(ctx: CoreContext, h: DirHandle, fd: number, cookie: bigint): Promise<Cookied[]> {
  if (cookie === 0n || h.snapshot === null) h.snapshot = assignCookies(await ctx.host.list(fd));
  return h.snapshot;
}

export async function readdir(ctx: CoreContext, handle: HandleId, cookie: bigint, max: number): Promise<DirEntry[]> {
  const h = ctx.handles.dir(handle);
  if (cookie < 0n) throw vfsError('EINVAL', 'readdir');
  const out: DirEntry[] = [];
  if (max <= 0) return out;
  if (cookie < DOT_COOKIE) out.push({ name: Buffer.from('.'), type: DT_DIR, ino: BigInt(h.node.id), cookie: DOT_COOKIE });
  if (cookie < DOTDOT_COOKIE && out.length < max) {
    out.push({ name: Buffer.from('..'), type: DT_DIR, ino: BigInt(h.node.parent), cookie: DOTDOT_COOKIE });
  }
  if (out.length >= max) return out;
  return ctx.handles.use(h, async (fd) => {
    const names = await listing(ctx, h, fd, cookie);
    for (let i = resumeIndex(names, cookie); i < names.length && out.length < max; i++) {
      const e = names[i] as Cookied;
      const st = ctx.host.lstatAtMaybe(fd, e.name);
      if (st === null) continue;
      const v = ctx.store.attr({ path: () => [...ctx.nodes.pathOf(h.node), e.name], st });
      if (v === null) continue;
      const known = ctx.nodes.knownId(st);
      out.push({ name: e.name, type: dtypeOf(v.mode), ino: known !== undefined ? BigInt(known) : st.ino | INO_HOST_BIT, cookie: e.cookie });
    }
    return out;
  });
}
