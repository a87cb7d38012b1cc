// Which layers sit on a base: a small registry in the user's state folder
// ($XDG_STATE_HOME or ~/.local/state)/humbridge/cow-layers/<base key>/, one
// file per layer made by `cow new`, naming the layer's folder. Not in the
// base, which serving never writes. Its limits (README): it knows only the
// layers this user made with `cow new`, at the place they were made;
// entries of layers deleted or moved are dropped when next read.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readManifest, type BaseIdentity } from '../../src/cow/layout.js';

export function registryDir(): string {
  const state = process.env['XDG_STATE_HOME'] || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'humbridge', 'cow-layers');
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The folder of a base: its device, inode and path (the fingerprint moves with every change). */
function baseFolder(base: BaseIdentity): string {
  return path.join(registryDir(), hash(`${base.dev}:${base.ino}:${base.path}`));
}

function sameBase(a: BaseIdentity, b: BaseIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.path === b.path;
}

/** Records `layer` (an absolute path) as sitting on `base`. Returns a warning when it cannot. */
export function registerLayer(layer: string, base: BaseIdentity): string | undefined {
  try {
    const dir = baseFolder(base);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${hash(layer)}.json`);
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify({ layer, base: base.path })}\n`);
    fs.renameSync(tmp, file);
    return undefined;
  } catch (e) {
    return `could not record the layer in ${registryDir()} (${(e as Error).message}): cow merge will not know it depends on ${base.path}`;
  }
}

/** The other registered layers still on `base` (absolute paths); stale entries are dropped. */
export function dependentLayers(base: BaseIdentity, except: string): string[] {
  const dir = baseFolder(base);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    let layer: string;
    try {
      layer = (JSON.parse(fs.readFileSync(file, 'utf8')) as { layer: string }).layer;
    } catch {
      continue;
    }
    let on = false;
    try {
      on = sameBase(readManifest(layer).base, base);
    } catch {
      // gone, or no longer a layer
    }
    if (!on) fs.rmSync(file, { force: true });
    else if (path.resolve(layer) !== path.resolve(except)) out.push(layer);
  }
  return out;
}
