// Merged directory listings: the layer's names (whiteouts and temporary
// names left out) and, where the base shows through, the base's names the
// layer neither replaces nor whites out. Cookies are the core's name-hash
// cookies (readdir-cookies.ts), so a resumed listing stays valid however
// the names it came from changed.

import { assignCookies, type Cookied } from '../readdir-cookies.js';
import type { NodeId } from '../types.js';
import { ROOT, type UnionContext } from './context.js';
import type { UNode } from './nodes.js';

const INO_HOST_BIT = 1n << 63n;

export interface Named {
  name: Buffer;
  type: number;
  ino: bigint;
}

export interface MergedListing {
  version: number;
  sorted: (Cookied & Named)[];
}

/** Every name directory `dir` shows, unordered. */
export async function mergedNames(ctx: UnionContext, dir: UNode): Promise<Named[]> {
  const out: Named[] = [];
  const taken = new Set<string>();
  if (dir.layer !== null) {
    for (const e of ctx.trees.list(ctx.path(dir))) {
      taken.add(e.name.toString('latin1'));
      if (!e.whiteout) out.push({ name: e.name, type: e.type, ino: inoOf(ctx, dir, e.name, e.ino) });
    }
  }
  if (ctx.baseShows(dir)) {
    const h = await ctx.base.opendir(ROOT, dir.base as NodeId);
    try {
      for (let cookie = 0n; ; ) {
        const batch = await ctx.base.readdir(h, cookie, 1024);
        if (batch.length === 0) break;
        for (const e of batch) {
          cookie = e.cookie;
          if (e.name.equals(DOT) || e.name.equals(DOTDOT) || taken.has(e.name.toString('latin1'))) continue;
          out.push({ name: e.name, type: e.type, ino: inoOf(ctx, dir, e.name, e.ino) });
        }
      }
    } finally {
      await ctx.base.releasedir(h);
    }
  }
  return out;
}

/** d_ino: the union's NodeId of a live node, else the inner number with bit 63 set (never a NodeId). */
function inoOf(ctx: UnionContext, dir: UNode, name: Buffer, inner: bigint): bigint {
  const live = ctx.nodes.childAt(dir, name);
  return live !== undefined ? BigInt(live.id) : inner | INO_HOST_BIT;
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** The listing of `dir` in cookie order. */
export async function mergedListing(ctx: UnionContext, dir: UNode): Promise<MergedListing> {
  const version = ctx.version(dir);
  const named = await mergedNames(ctx, dir);
  const byName = new Map(named.map((n) => [n.name.toString('latin1'), n]));
  const sorted = assignCookies(named.map((n) => n.name)).map((c) => ({ ...(byName.get(c.name.toString('latin1')) as Named), cookie: c.cookie }));
  return { version, sorted };
}
