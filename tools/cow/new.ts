// `humbridge cow new --base BASE LAYER`: an empty layer on BASE. upper/ starts
// as the copy-up of the base's root (and, in humfs mode, of the humfs
// skeleton: superblock, data/, file_metadata/, dir_metadata/), so the overlay
// of an empty layer shows the base exactly. The manifest is written last: a
// folder without cow.json is not a layer.

import fs from 'node:fs';
import path from 'node:path';
import { baseIdentity, COW_FORMAT, COW_LAYOUT, writeManifest, type CowMode } from '../../src/cow/layout.js';
import { readXattrs } from './xattrs.js';
import { HUMFS_LAYOUT } from '../../src/meta/humfs-format.js';
import { applyAttrs } from './attrs.js';
import { CowError } from './errors.js';
import { registerLayer } from './registry.js';

/** Whether `dir` is laid out as a humfs tree (superblock and data/). */
export function isHumfsTree(dir: string): boolean {
  const sb = fs.statSync(path.join(dir, HUMFS_LAYOUT.superblock), { throwIfNoEntry: false });
  const data = fs.statSync(path.join(dir, HUMFS_LAYOUT.data), { throwIfNoEntry: false });
  return sb?.isFile() === true && data?.isDirectory() === true;
}

/** Whether `inner` is `outer` or below it (both real paths). */
export function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function copyUp(from: string, to: string, make: (to: string) => void): void {
  const st = fs.lstatSync(from, { bigint: true });
  make(to);
  applyAttrs(Buffer.from(to), st, readXattrs(Buffer.from(from), st));
}

/** Makes `upper` (absent) the empty upper tree of `base`. */
export function makeUpper(upper: string, base: string, mode: CowMode): void {
  fs.mkdirSync(upper, 0o700);
  if (mode === 'humfs') {
    for (const name of [HUMFS_LAYOUT.data, HUMFS_LAYOUT.fileMetadata, HUMFS_LAYOUT.dirMetadata]) {
      copyUp(path.join(base, name), path.join(upper, name), (to) => fs.mkdirSync(to, 0o700));
    }
    copyUp(path.join(base, HUMFS_LAYOUT.superblock), path.join(upper, HUMFS_LAYOUT.superblock), (to) =>
      fs.copyFileSync(path.join(base, HUMFS_LAYOUT.superblock), to),
    );
  }
  // The root last: making its entries moved its times.
  const st = fs.lstatSync(base, { bigint: true });
  applyAttrs(Buffer.from(upper), st, readXattrs(Buffer.from(base), st));
}

export interface NewLayer {
  base: string;
  layer: string;
  /** --humfs / --hostfs, or undefined for neither. */
  mode: CowMode | undefined;
}

/** Makes the layer; returns its manifest summary and any warning. */
export function newLayer(o: NewLayer): { message: string; warning?: string } {
  let base: string;
  try {
    base = fs.realpathSync(o.base);
  } catch {
    throw new CowError(`${o.base}: no such directory (the base)`);
  }
  if (!fs.statSync(base).isDirectory()) throw new CowError(`${o.base}: the base is not a directory`);
  const humfs = isHumfsTree(base);
  if (o.mode === 'humfs' && !humfs) {
    throw new CowError(`${o.base}: --humfs wants a humfs tree (superblock, data/, file_metadata/, dir_metadata/); this base is not one`);
  }
  if (o.mode === undefined && humfs) {
    throw new CowError(`${o.base} is a humfs tree: pass --humfs to layer it as the guest sees it, or --hostfs to layer the raw host tree`);
  }
  const mode: CowMode = o.mode ?? 'hostfs';
  const layer = path.resolve(o.layer);
  const st = fs.lstatSync(layer, { throwIfNoEntry: false });
  if (st !== undefined && !st.isDirectory()) throw new CowError(`${o.layer}: exists and is not a directory`);
  if (st !== undefined && fs.readdirSync(layer).length > 0) throw new CowError(`${o.layer}: exists and is not empty (a new layer wants an empty or absent folder)`);
  let parent: string;
  try {
    parent = fs.realpathSync(path.dirname(layer));
  } catch {
    throw new CowError(`${path.dirname(layer)}: no such directory (the layer's parent)`);
  }
  const real = path.join(parent, path.basename(layer));
  if (within(real, base)) throw new CowError(`${o.layer} is inside the base ${base}: a layer must live outside it`);
  if (within(base, real)) throw new CowError(`the base ${base} is inside ${o.layer}`);
  if (st === undefined) fs.mkdirSync(real, 0o755);
  makeUpper(path.join(real, COW_LAYOUT.upper), base, mode);
  fs.mkdirSync(path.join(real, COW_LAYOUT.work), 0o700);
  const identity = baseIdentity(base);
  writeManifest(real, { format: COW_FORMAT, mode, base: identity, created: new Date().toISOString() });
  const warning = registerLayer(real, identity);
  return { message: `made layer ${real} on ${base} (${mode} mode, ${identity.entries} base entries)`, ...(warning ? { warning } : {}) };
}
