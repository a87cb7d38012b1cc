// Small files of a copy-on-write layer folder (the administrator's path,
// never a guest's): read, written durably, removed. The union's pending
// change record (src/cow/pending.ts) lives in one.

import fs from 'node:fs';
import path from 'node:path';

/** The file's text, or undefined when there is none. */
export function readLayerFile(layer: string, name: string): string | undefined {
  try {
    return fs.readFileSync(path.join(layer, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function layerFileExists(layer: string, name: string): boolean {
  return fs.existsSync(path.join(layer, name));
}

/** Written under a temporary name, fsync'd, renamed into place, and the folder fsync'd: whole or not at all. */
export function writeLayerFile(layer: string, name: string, text: string): void {
  const file = path.join(layer, name);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(layer, 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

export function removeLayerFile(layer: string, name: string): void {
  fs.rmSync(path.join(layer, name), { force: true });
}
