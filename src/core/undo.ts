// Taking back a create that failed after its data step (a create, mkdir,
// mknod, symlink or link whose record step, lookup or answer failed), so
// that data and records are as they were before the call.

import type { Node } from '../nodes.js';
import { S_IFDIR, S_IFMT } from '../types.js';
import type { CoreContext } from './context.js';

/**
 * A create failed after its data step: remove the new entry `name` (when it
 * is still the one made: `made`, if known) and its record, so data and
 * records are as they were. Only calls that need no new descriptor are
 * used on the data side, since running out of them is one way to get here.
 * What cannot be undone is logged (humfsify --check reports it).
 */
export async function undoCreate(
  ctx: CoreContext,
  parent: Node,
  dirfd: number,
  name: Buffer,
  made: { dev: bigint; ino: bigint } | null,
  op: string,
): Promise<void> {
  const where = [...ctx.nodes.pathOf(parent), name];
  try {
    const st = ctx.host.lstatAtMaybe(dirfd, name);
    if (st === null || (made !== null && (st.dev !== made.dev || st.ino !== made.ino))) return;
    if ((st.mode & S_IFMT) === S_IFDIR) await ctx.host.rmdirAt(dirfd, name);
    else await ctx.host.unlinkAt(dirfd, name);
    ctx.nodes.removed(st);
    await ctx.store.uncreated?.(where, st);
  } catch (e) {
    ctx.log.error(`${op}: could not take back the half-made ${where.map((c) => c.toString()).join('/')}: ${String(e)}`);
  }
}

