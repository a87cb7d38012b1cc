// The layer walker: the entries of a layer's upper tree, in path order, each
// with the base entry it covers. What `cow diff` reports and what `cow merge`
// plans are both read off this one walk, so they agree on what a layer means
// (overlayfs's rules):
//   - a whiteout hides the base entry of its name;
//   - a directory hides the base's entry of its name when it is opaque or the
//     base's entry is not a directory; otherwise the two are merged;
//   - any other entry hides the base's entry of its name;
//   - a `.humbridge-cow-` temporary name is not an entry (a copy a stopped
//     server left half made).
// Below a directory that hides the base, nothing of the base shows.

import fs from 'node:fs';
import { isWhiteout } from '../../src/cow/layout.js';
import { isTempName } from '../../src/host/cow-trees.js';
import { isOpaqueDir } from './xattrs.js';

const SLASH = Buffer.from('/');

export function joinRel(a: Buffer, name: Buffer): Buffer {
  return a.length === 0 ? name : Buffer.concat([a, SLASH, name]);
}

/** Compares relative paths component by component: the order of a pre-order walk with sorted names. */
export function comparePaths(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    return x - y;
  }
  return a.length - b.length;
}

export interface LayerEntry {
  /** Path relative to the upper root; empty for the root. */
  rel: Buffer;
  /** Absolute host paths of the entry in the upper tree and in the base. */
  upperPath: Buffer;
  basePath: Buffer;
  upper: fs.BigIntStats;
  /** The base entry this one covers; undefined when none shows (absent, or hidden above). */
  base: fs.BigIntStats | undefined;
  whiteout: boolean;
  /** A directory with the opaque mark. */
  opaque: boolean;
  /** A directory whose base entry (if any) does not show below it: opaque, or over a non-directory. */
  hidesBase: boolean;
}

export type LayerEvent = { kind: 'entry'; entry: LayerEntry } | { kind: 'leave'; entry: LayerEntry };

function lstatMaybe(p: Buffer): fs.BigIntStats | undefined {
  return fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
}

function sortedNames(dir: Buffer): Buffer[] {
  return (fs.readdirSync(dir, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
}

/**
 * Every entry of the layer (the root first), each directory followed by its
 * contents and then a 'leave' event (where post-order work goes: a
 * directory's times are set after its children changed it).
 */
export function* walkLayer(upperRoot: Buffer, baseRoot: Buffer): Generator<LayerEvent, void, undefined> {
  const root = lstatMaybe(upperRoot);
  if (root === undefined || !root.isDirectory()) throw new Error(`${upperRoot.toString()}: the layer has no upper directory`);
  const baseSt = lstatMaybe(baseRoot);
  yield* visit(Buffer.alloc(0), upperRoot, baseRoot, root, baseSt, true);
}

function* visit(
  rel: Buffer,
  upperPath: Buffer,
  basePath: Buffer,
  upper: fs.BigIntStats,
  base: fs.BigIntStats | undefined,
  baseShows: boolean,
): Generator<LayerEvent, void, undefined> {
  const shown = baseShows ? base : undefined;
  const whiteout = isWhiteout(upper);
  const opaque = rel.length > 0 && isOpaqueDir(upperPath, upper);
  const hidesBase = upper.isDirectory() && (opaque || shown === undefined || !shown.isDirectory());
  const entry: LayerEntry = { rel, upperPath, basePath, upper, base: shown, whiteout, opaque, hidesBase };
  yield { kind: 'entry', entry };
  if (!upper.isDirectory()) return;
  const below = !hidesBase;
  for (const name of sortedNames(upperPath)) {
    // A copy-up or a directory made aside that a stopped server left half done: never part of the view.
    if (isTempName(name)) continue;
    const childUpper = Buffer.concat([upperPath, SLASH, name]);
    const childBase = Buffer.concat([basePath, SLASH, name]);
    const st = fs.lstatSync(childUpper, { bigint: true });
    yield* visit(joinRel(rel, name), childUpper, childBase, st, below ? lstatMaybe(childBase) : undefined, below);
  }
  yield { kind: 'leave', entry };
}
