// Temporary host directories for tests, under os.tmpdir(), removed by
// cleanup() whatever happened. Tests use node:fs here only to prepare and
// inspect trees; everything under test goes through a Vfs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TmpExport {
  /** The directory to serve. */
  dir: string;
  /** A sibling directory outside the served one (for confinement tests). */
  outside: string;
  cleanup(): void;
}

export function tmpExport(prefix = 'humbridge-'): TmpExport {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = path.join(base, 'export');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(dir);
  fs.mkdirSync(outside);
  return {
    dir,
    outside,
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/** Open descriptors of this process. */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** What the humfs store keeps open by design: an LRU of at most this many metadata folders per export (records.ts). */
export const HUMFS_FOLDER_CACHE = 64;

const isMetadataFolder = (target: string): boolean => /\/(file|dir)_metadata(\/|$)/.test(target);

function descriptorTargets(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed between the listing and the readlink (the listing's own descriptor)
    }
  }
  return out;
}

/** Descriptors open in this process, leaving out the humfs metadata folders its stores cache. */
export function heldDescriptors(): number {
  return descriptorTargets().filter((t) => !isMetadataFolder(t)).length;
}

/** Descriptors of humfs metadata folders (bounded by HUMFS_FOLDER_CACHE per export). */
export function metadataFolderDescriptors(): number {
  return descriptorTargets().filter(isMetadataFolder).length;
}

/** Wait until `cond()` holds, polling on the event loop; throws after `limitMs`. */
export async function waitFor(cond: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setImmediate(r));
  }
}
