// Shared by the humfs tests: make an empty humfs export folder, read its
// records and superblock as bytes, open it as a Vfs, and ask the humfsify
// CLI whether the layout is consistent.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cliPath } from '../../tools/humfsify-helpers.js';
import { openExport, type ExportOptions } from '../../../src/index.js';
import type { Vfs } from '../../../src/vfs.js';

export const TIB = 1n << 40n;

/**
 * An empty export as `humfsify` leaves an empty data/: the superblock, the
 * three folders, and the root's record (owner and mode of `owner`).
 */
export function makeLayout(dir: string, total = TIB, root = { mode: 0o755, uid: 0, gid: 0 }, used = 0n): void {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'file_metadata'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dir_metadata'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'dir_metadata', 'metadata'), `${root.mode} ${root.uid} ${root.gid}\n`);
  fs.writeFileSync(path.join(dir, 'superblock'), `version 2\nmetadata shadow_fs\nused ${used}\ntotal ${total}\n`);
}

/** openExport in humfs mode; the layout is made first when `dir` has none. */
export function openHumfsExport(dir: string, opts: Partial<ExportOptions> = {}): Promise<Vfs> {
  if (!fs.existsSync(path.join(dir, 'superblock'))) makeLayout(dir);
  return openExport({ path: dir, mode: 'humfs', ...opts });
}

/** Contents of a file below the export folder, or null when absent. */
export function readMeta(dir: string, rel: string): string | null {
  try {
    return fs.readFileSync(path.join(dir, rel), 'latin1');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
}

/** The `used` field of the superblock on disk. */
export function usedOnDisk(dir: string): bigint {
  const m = /^used (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'superblock'), 'latin1'));
  if (m === null) throw new Error('superblock has no used line');
  return BigInt(m[1] as string);
}

/**
 * What `humfsify --check` (the CLI, as a child process) finds wrong in the
 * export folder `dir`; `repair` fixes it. While the Vfs is open its `used`
 * reaches the superblock a moment after a change (humfs-space.test.ts checks
 * that), so a `wrong-used` finding is left out unless `used` is asked for.
 */
export function humfsifyCheck(dir: string, repair = false, used = false): { kind: string; path: string }[] {
  const r = spawnSync(process.execPath, [cliPath, '-C', dir, '--check', ...(repair ? ['--repair'] : []), '--json'], { encoding: 'utf8' });
  if (r.error !== undefined) throw r.error;
  const summary = JSON.parse(r.stdout) as { problems: { kind: string; path: string }[] };
  return summary.problems.filter((p) => used || p.kind !== 'wrong-used').map((p) => ({ kind: p.kind, path: path.relative(dir, p.path) }));
}
