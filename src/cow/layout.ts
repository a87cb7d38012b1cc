// The copy-on-write layer format: the one module that knows how a layer is
// laid out on the host, so the union Vfs, `humbridge cow` and the tests agree.
//
// A layer is a folder:
//   cow.json   the manifest: format version, mode, and the identity of the
//              base it was made for (see baseIdentity)
//   upper/     the layer's tree, in the kernel overlayfs upper-layer format,
//              so `mount -t overlay -o lowerdir=BASE,upperdir=LAYER/upper,
//              workdir=LAYER/work,userxattr` shows the same view:
//              - a deleted or renamed-away base entry is a whiteout: a
//                character device 0/0 (Linux >= 5.8 lets any user make one);
//              - a directory that hides the base's one of the same name has
//                the xattr `user.overlay.opaque` = "y" (the `userxattr`
//                spelling, which an ordinary user can write).
//              In humfs mode upper/ is itself a humfs tree (superblock, data/,
//              file_metadata/, dir_metadata/): whiteouts and opaque marks are
//              made in data/ and in the metadata folders alike, so the
//              overlay of the two host trees is again a consistent humfs tree.
//   work/      an empty folder, overlayfs's workdir (unused by humbridge)
//   in-use.lock  while a server or a merge has the layer: "<pid> <what>"
//              (src/host/layer-lock.ts); a lock whose process is gone is taken over
//   pending.json  a change of several steps under way in a server (pending.ts):
//              finished when the layer is next opened
//   merge.journal, merge.progress  a merge under way (tools/cow/journal.ts)
//
// Pure of policy: no Vfs here, only host paths and synchronous fs calls.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeLayerFile } from '../host/layer-files.js';

export const COW_LAYOUT = {
  manifest: 'cow.json',
  upper: 'upper',
  work: 'work',
  lock: 'in-use.lock',
  pending: 'pending.json',
  mergeJournal: 'merge.journal',
  mergeProgress: 'merge.progress',
} as const;

/** The overlayfs `userxattr` opaque-directory mark and its value. */
export const OPAQUE_XATTR = 'user.overlay.opaque';
export const OPAQUE_VALUE = 'y';

export const COW_FORMAT = 1;

export type CowMode = 'hostfs' | 'humfs';

/**
 * What a base looked like when the layer was made: the realpath, the root's
 * device and inode, and a fingerprint of every entry's lstat (so a file
 * changed anywhere in the base changes it: its ctime moves).
 */
export interface BaseIdentity {
  path: string;
  dev: string;
  ino: string;
  entries: number;
  fingerprint: string;
}

export interface CowManifest {
  format: typeof COW_FORMAT;
  mode: CowMode;
  base: BaseIdentity;
  /** ISO date the layer was made. */
  created: string;
}

export class CowLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CowLayoutError';
  }
}

/** A whiteout: a character device with device number 0/0. */
export function isWhiteout(st: fs.Stats | fs.BigIntStats): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}

export function upperOf(layer: string): string {
  return path.join(layer, COW_LAYOUT.upper);
}

/** Sees each base entry the identity walk stats: its path relative to the base ('/'-joined) and lstat. */
export type BaseVisitor = (rel: Buffer, st: fs.BigIntStats) => void;

/**
 * The base's identity: a walk of every entry in name order, hashing its
 * relative path and lstat (inode, mode, owner, size, mtime and ctime in
 * nanoseconds). Linear in the base's size (about a second per 100,000
 * entries here); it runs when a layer is made and when one is opened.
 * `visit` sees every entry too, so an opener needs no walk of its own.
 */
export function baseIdentity(base: string, visit?: BaseVisitor): BaseIdentity {
  const real = fs.realpathSync(base);
  const root = fs.lstatSync(real, { bigint: true });
  if (!root.isDirectory()) throw new CowLayoutError(`${base}: the base is not a directory`);
  const hash = createHash('sha256');
  let entries = 0;
  const walk = (dir: Buffer, rel: Buffer): void => {
    const names = (fs.readdirSync(dir, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
    for (const name of names) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const relName = rel.length === 0 ? name : Buffer.concat([rel, Buffer.from('/'), name]);
      const st = fs.lstatSync(full, { bigint: true });
      entries += 1;
      hash.update(relName);
      hash.update(`\0${st.ino} ${st.mode} ${st.uid} ${st.gid} ${st.size} ${st.rdev} ${st.mtimeNs} ${st.ctimeNs}\n`);
      visit?.(relName, st);
      if (st.isDirectory()) walk(full, relName);
    }
  };
  walk(Buffer.from(real), Buffer.alloc(0));
  return { path: real, dev: String(root.dev), ino: String(root.ino), entries, fingerprint: hash.digest('hex') };
}

export function readManifest(layer: string): CowManifest {
  const file = path.join(layer, COW_LAYOUT.manifest);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CowLayoutError(code === 'ENOENT' ? `${layer}: not a copy-on-write layer (no ${COW_LAYOUT.manifest}; make one with \`humbridge cow new\`)` : `${file}: ${code ?? String(e)}`);
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new CowLayoutError(`${file}: not valid JSON`);
  }
  if (!isManifest(m)) throw new CowLayoutError(`${file}: not a format ${COW_FORMAT} layer manifest`);
  return m;
}

function isManifest(m: unknown): m is CowManifest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  const b = r.base as Record<string, unknown> | undefined;
  return (
    r.format === COW_FORMAT &&
    (r.mode === 'hostfs' || r.mode === 'humfs') &&
    typeof r.created === 'string' &&
    typeof b === 'object' && b !== null &&
    ['path', 'dev', 'ino', 'fingerprint'].every((k) => typeof b[k] === 'string') &&
    typeof b.entries === 'number'
  );
}

/** Writes the manifest crash-safely: a temporary name, fsync, rename. */
export function writeManifest(layer: string, m: CowManifest): void {
  writeLayerFile(layer, COW_LAYOUT.manifest, `${JSON.stringify(m, null, 2)}\n`);
}

/**
 * Why `base` is not the base `m` was made for, or undefined when it is.
 * The caller refuses to serve unless forced.
 */
export function baseMismatch(m: CowManifest, base: string, visit?: BaseVisitor): string | undefined {
  const now = baseIdentity(base, visit);
  if (now.dev !== m.base.dev || now.ino !== m.base.ino) {
    return `the layer was made for the base at ${m.base.path}; ${now.path} is another directory`;
  }
  if (now.fingerprint !== m.base.fingerprint) {
    return `the base ${now.path} changed since the layer was made (${m.base.entries} entries then, ${now.entries} now, or files changed in place): the layer's copies and whiteouts may no longer match it`;
  }
  return undefined;
}
