// A copy-on-write layer's own bookkeeping on the host (src/cow/ serves it), below what its Vfs shows:
// whiteouts (char 0/0) and opaque marks (user.overlay.opaque=y). The layer
// Vfs serves upper/ (hostfs) or upper/data/ (humfs) and knows nothing of
// them; the union asks here. In humfs mode every mark is made in data/ and
// in the two metadata trees alike (layout.ts), so that the overlay of base
// and upper is again a consistent humfs tree.
//
// Paths are lists of components walked one at a time from descriptors
// opened once (src/host/tree.ts: never through a symlink, so a guest's
// symlink in the layer cannot lead a mark out of it).

import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { getAttribute, setAttribute } from 'fs-xattr';
import { fromNodeError } from '../errors.js';
import type { Host } from './host.js';
import { closeMeta } from './meta-files.js';
import { childPath, fdPath } from './paths.js';
import { mknodAt } from './special.js';
import { removeAt, walkBeneath } from './tree.js';
import { HUMFS_LAYOUT } from '../meta/humfs-format.js';
import { S_IFCHR } from '../types.js';
import { isWhiteout, OPAQUE_VALUE, OPAQUE_XATTR, type CowMode } from '../cow/layout.js';

/** Names the union makes for an instant in the layer (copy-up, re-creation); hidden from listings. */
export const TEMP_PREFIX = '.humbridge-cow-';

export function tempName(): Buffer {
  return Buffer.from(`${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
}

export function isTempName(name: Buffer): boolean {
  return name.length > TEMP_PREFIX.length && name.subarray(0, TEMP_PREFIX.length).equals(Buffer.from(TEMP_PREFIX));
}

export type LayerEntry = 'absent' | 'whiteout' | 'present';

export interface LayerName {
  name: Buffer;
  whiteout: boolean;
  /** dirent d_type. */
  type: number;
  ino: bigint;
}

const DIR_MODE = 0o755;

export class LayerTrees {
  /** O_PATH descriptors: [served tree, ...metadata trees]. */
  private readonly fds: number[] = [];

  constructor(
    upper: string,
    readonly mode: CowMode,
    private readonly host: Host,
  ) {
    const root = host.openRoot(upper);
    if (mode === 'hostfs') {
      this.fds.push(root);
      return;
    }
    try {
      for (const t of [HUMFS_LAYOUT.data, HUMFS_LAYOUT.fileMetadata, HUMFS_LAYOUT.dirMetadata]) this.fds.push(walkBeneath(root, [Buffer.from(t)]));
    } finally {
      closeMeta(root);
    }
  }

  /** What the served tree holds at `dir`/`name`. */
  entry(dir: readonly Buffer[], name: Buffer): LayerEntry {
    return this.inDir(this.served, dir, (fd) => {
      try {
        const st = fs.lstatSync(childPath(fd, name), { bigint: true });
        return isWhiteout(st) ? 'whiteout' : 'present';
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
        throw fromNodeError(e, 'cow: stat layer');
      }
    }) ?? 'absent';
  }

  /** Whether the served tree's `dir`/`name` is a directory. */
  isDir(dir: readonly Buffer[], name: Buffer): boolean {
    return this.inDir(this.served, dir, (fd) => fs.lstatSync(childPath(fd, name), { throwIfNoEntry: false })?.isDirectory() ?? false) ?? false;
  }

  /** Whether directory `dir` is marked opaque (hides the base's directory of the same path). */
  async isOpaque(dir: readonly Buffer[]): Promise<boolean> {
    const fd = this.open(this.served, dir);
    if (fd === null) return false;
    try {
      return (await getAttribute(fdPath(fd), OPAQUE_XATTR)).toString() === OPAQUE_VALUE;
    } catch {
      return false;
    } finally {
      closeMeta(fd);
    }
  }

  /** Mark directory `dir` opaque in every tree (the metadata folders are made when missing). */
  async setOpaque(dir: readonly Buffer[]): Promise<void> {
    for (const tree of this.fds) {
      const fd = this.open(tree, dir, tree !== this.served);
      if (fd === null) continue;
      try {
        await setAttribute(fdPath(fd), OPAQUE_XATTR, Buffer.from(OPAQUE_VALUE));
      } catch (e) {
        throw fromNodeError(e, 'cow: mark opaque');
      } finally {
        closeMeta(fd);
      }
    }
  }

  /**
   * Put a whiteout at `dir`/`name` in every tree, replacing what is there
   * (the served tree's entry must already be gone or a non-directory; a
   * metadata folder is removed). Made under a temporary name and renamed
   * into place, so the name never shows the base's entry in between.
   */
  async whiteout(dir: readonly Buffer[], name: Buffer): Promise<void> {
    for (const tree of this.fds) {
      const fd = this.open(tree, dir, true);
      if (fd === null) continue;
      try {
        const tmp = tempName();
        await mknodAt(this.host, fd, tmp, S_IFCHR, 0, 0);
        try {
          if (tree !== this.served) removeFolder(fd, name);
          fs.renameSync(childPath(fd, tmp), childPath(fd, name));
        } catch (e) {
          removeAt(fd, tmp);
          throw fromNodeError(e, 'cow: whiteout');
        }
      } finally {
        closeMeta(fd);
      }
    }
  }

  /** Remove a whiteout at `dir`/`name` from every tree (before a new entry takes the name). */
  removeWhiteout(dir: readonly Buffer[], name: Buffer): void {
    for (const tree of this.fds) {
      this.inDir(tree, dir, (fd) => {
        if (whiteoutAt(fd, name)) removeAt(fd, name);
      });
    }
  }

  /** humfs: remove a whiteout at `dir`/`name` from the metadata trees only (data/'s is replaced by a rename). */
  removeMetaWhiteouts(dir: readonly Buffer[], name: Buffer): void {
    for (const tree of this.fds.slice(1)) {
      this.inDir(tree, dir, (fd) => {
        if (whiteoutAt(fd, name)) removeAt(fd, name);
      });
    }
  }

  /** Remove every whiteout inside directory `dir`, in every tree (before the directory is removed or replaced). */
  clearWhiteouts(dir: readonly Buffer[]): void {
    for (const tree of this.fds) {
      this.inDir(tree, dir, (fd) => {
        for (const n of fs.readdirSync(fdPath(fd), { encoding: 'buffer' })) if (whiteoutAt(fd, n)) removeAt(fd, n);
      });
    }
  }

  /** The served tree's entries of `dir` (temporary names left out), whiteouts flagged. */
  list(dir: readonly Buffer[]): LayerName[] {
    return this.inDir(this.served, dir, (fd) => {
      const out: LayerName[] = [];
      for (const d of fs.readdirSync(fdPath(fd), { encoding: 'buffer', withFileTypes: true })) {
        const name = d.name as unknown as Buffer;
        if (isTempName(name)) continue;
        let st: fs.BigIntStats;
        try {
          st = fs.lstatSync(childPath(fd, name), { bigint: true });
        } catch {
          continue;
        }
        out.push({ name, whiteout: isWhiteout(st), type: Number((st.mode & 0o170000n) >> 12n), ino: st.ino });
      }
      return out;
    }) ?? [];
  }

  close(): void {
    for (const fd of this.fds.splice(0)) closeMeta(fd);
  }

  private get served(): number {
    return this.fds[0] as number;
  }

  private open(tree: number, dir: readonly Buffer[], create = false): number | null {
    try {
      return walkBeneath(tree, dir, create ? { mode: DIR_MODE } : undefined);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (!create && (code === 'ENOENT' || code === 'ENOTDIR')) return null;
      throw e;
    }
  }

  private inDir<T>(tree: number, dir: readonly Buffer[], fn: (fd: number) => T): T | null {
    const fd = this.open(tree, dir);
    if (fd === null) return null;
    try {
      return fn(fd);
    } finally {
      closeMeta(fd);
    }
  }
}

function whiteoutAt(fd: number, name: Buffer): boolean {
  try {
    return isWhiteout(fs.lstatSync(childPath(fd, name), { bigint: true }));
  } catch {
    return false;
  }
}

/** A metadata tree's folder of a directory being whited out: its records go with it. */
function removeFolder(fd: number, name: Buffer): void {
  try {
    if (fs.lstatSync(childPath(fd, name)).isDirectory()) removeAt(fd, name, true);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
}
