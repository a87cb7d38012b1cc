// opendir, readdir, releasedir: listings with resumable cookies
// (readdir-cookies.ts). The names come from the directory's listing shared
// by all its handles (dir-listings.ts): cookie 0, and a handle's first
// readdir, check that it is current and rebuild it if not; later cookies
// resume from it as it is. The hash order makes resuming from any listing
// of the directory valid. Each returned entry is lstat'ed (its d_ino is its
// NodeId when it has one, live or remembered); a name that vanished since
// the listing was taken is left out. A readdir for many entries (a 1 MiB
// Treaddir asks for about 20,000) lets other requests run after every
// STAT_SLICE entries stat'ed, so one client's listing never holds the event
// loop for long.

import { vfsError } from '../errors.js';
import type { DirHandle } from '../handles.js';
import { DOT_COOKIE, DOTDOT_COOKIE, type CookieList } from '../readdir-cookies.js';
import type { HostStat } from '../host/stat.js';
import { type Cred, DT_DIR, type DirEntry, type HandleId, type NodeId, dtypeOf } from '../types.js';
import type { CoreContext } from './context.js';
import { pause } from '../dir-listings.js';

const INO_HOST_BIT = 1n << 63n;
const STAT_SLICE = 128;

export async function opendir(ctx: CoreContext, cred: Cred, id: NodeId): Promise<HandleId> {
  const node = ctx.node(id);
  return ctx.inDir(cred, node, 4, 'opendir', (fd) => {
    const h = ctx.handles.addDir(node, ctx.host.dupPath(fd));
    ctx.listings.open(node.id);
    return h.id;
  });
}

export async function releasedir(ctx: CoreContext, handle: HandleId): Promise<void> {
  const h = ctx.handles.dir(handle);
  ctx.handles.remove(handle);
  ctx.listings.close(h.node.id);
  await ctx.handles.drained(h);
  ctx.host.close(h.fd);
  ctx.nodes.maybeDrop(h.node);
}

/** What tells a directory's state apart on the host (see dir-listings.ts). */
function stampOf(st: HostStat): string {
  return `${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}`;
}

function listing(ctx: CoreContext, h: DirHandle, fd: number, cookie: bigint): Promise<CookieList> {
  const fresh = cookie === 0n || !h.listed;
  h.listed = true;
  return ctx.listings.get(h.node.id, fresh, () => stampOf(ctx.host.fstat(fd)), () => ctx.host.list(fd));
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
    const list = await listing(ctx, h, fd, cookie);
    let stated = 0;
    for (let i = list.resumeIndex(cookie); i < list.length && out.length < max; i++) {
      if (++stated % STAT_SLICE === 0) await pause();
      const name = list.names[i] as Buffer;
      const st = ctx.host.lstatAtMaybe(fd, name);
      if (st === null) continue;
      const v = ctx.store.attr({ path: () => [...ctx.nodes.pathOf(h.node), name], st });
      if (v === null) continue;
      const known = ctx.nodes.knownId(st);
      out.push({ name, type: dtypeOf(v.mode), ino: known !== undefined ? BigInt(known) : st.ino | INO_HOST_BIT, cookie: list.cookieAt(i) });
    }
    return out;
  });
}
