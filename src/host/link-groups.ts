// Which base files have several names. Copy-up of such a file copies it
// once and links every other name that still shows it to the copy, in the
// same step, so the layer itself holds the links: they survive a restart
// and `mount -t overlay` sees them too. Found by one walk of the base when
// the union opens (the base never changes while it is served; opening
// already walks it once for the identity check).

import fs from 'node:fs';

const SLASH = Buffer.from('/');

function keyOf(comps: readonly Buffer[]): string {
  return Buffer.concat(comps.flatMap((c, i) => (i === 0 ? [c] : [SLASH, c]))).toString('latin1');
}

export class BaseLinks {
  /** Path key → every path of the same inode (only inodes with several names). */
  private readonly groups = new Map<string, Buffer[][]>();

  /** Walks `root` (the served base tree: BASE, or BASE/data in humfs mode). */
  constructor(root: string) {
    const byInode = new Map<string, Buffer[][]>();
    const walk = (dir: Buffer, rel: Buffer[]): void => {
      for (const d of fs.readdirSync(dir, { encoding: 'buffer', withFileTypes: true })) {
        const name = d.name as unknown as Buffer;
        const full = Buffer.concat([dir, SLASH, name]);
        if (d.isDirectory()) {
          walk(full, [...rel, name]);
          continue;
        }
        const st = fs.lstatSync(full, { bigint: true });
        if (st.nlink < 2n) continue;
        const k = `${st.dev}:${st.ino}`;
        const list = byInode.get(k) ?? [];
        list.push([...rel, name]);
        byInode.set(k, list);
      }
    };
    walk(Buffer.from(root), []);
    for (const paths of byInode.values()) {
      if (paths.length < 2) continue;
      for (const p of paths) this.groups.set(keyOf(p), paths);
    }
  }

  /** The base paths of the file at `path` other than `except` (none for a single name). */
  others(path: readonly Buffer[], except: readonly Buffer[]): Buffer[][] {
    const k = keyOf(except);
    return (this.groups.get(keyOf(path)) ?? []).filter((p) => keyOf(p) !== k);
  }
}
