// Which base files have several names. Copy-up of such a file copies it
// once and links every other name that still shows it to the copy, in the
// same step, so the layer itself holds the links: they survive a restart
// and `mount -t overlay` sees them too. Filled by the identity walk the
// union makes of the base when it opens (`visit`; the base never changes
// while it is served), so opening walks the base once.

import type { BigIntStats } from 'node:fs';

const SLASH = Buffer.from('/');

function keyOf(comps: readonly Buffer[]): string {
  return Buffer.concat(comps.flatMap((c, i) => (i === 0 ? [c] : [SLASH, c]))).toString('latin1');
}

function components(rel: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = 0; i <= rel.length; i++) {
    if (i === rel.length || rel[i] === 0x2f) {
      out.push(rel.subarray(from, i));
      from = i + 1;
    }
  }
  return out;
}

export class BaseLinks {
  /** Path key → every path of the same inode (only inodes with several names). */
  private readonly groups = new Map<string, Buffer[][]>();
  private readonly byInode = new Map<string, Buffer[][]>();

  /** `under`: the served tree inside the walked base ('data' in humfs mode), or null for the base itself. */
  constructor(private readonly under: string | null) {}

  /** One entry of the base walk (layout.ts BaseVisitor): paths relative to the base. */
  readonly visit = (rel: Buffer, st: BigIntStats): void => {
    if (st.isDirectory() || st.nlink < 2n) return;
    let comps = components(rel);
    if (this.under !== null) {
      if (comps.length < 2 || comps[0]?.toString('latin1') !== this.under) return;
      comps = comps.slice(1);
    }
    const k = `${st.dev}:${st.ino}`;
    let paths = this.byInode.get(k);
    if (paths === undefined) this.byInode.set(k, (paths = []));
    paths.push(comps.map((c) => Buffer.from(c)));
    // Every name of the group maps to the same (growing) list.
    if (paths.length >= 2) for (const p of paths) this.groups.set(keyOf(p), paths);
  };

  /** The base paths of the file at `path` other than `except` (none for a single name). */
  others(path: readonly Buffer[], except: readonly Buffer[]): Buffer[][] {
    const k = keyOf(except);
    return (this.groups.get(keyOf(path)) ?? []).filter((p) => keyOf(p) !== k);
  }
}
