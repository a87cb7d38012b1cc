// Making copy-on-write layers for tests, with the layer format module's own
// functions (the `humbridge cow new` command lives elsewhere): the
// manifest naming the base, upper/ and work/, and in humfs mode a humfs
// skeleton in upper/ whose root record is the base's.

import fs from 'node:fs';
import path from 'node:path';
import { baseIdentity, COW_FORMAT, COW_LAYOUT, writeManifest, type CowMode } from '../../src/cow/layout.js';

export function makeLayer(base: string, layer: string, mode: CowMode): void {
  const upper = path.join(layer, COW_LAYOUT.upper);
  fs.mkdirSync(upper, { recursive: true });
  fs.mkdirSync(path.join(layer, COW_LAYOUT.work), { recursive: true });
  if (mode === 'humfs') {
    for (const d of ['data', 'file_metadata', 'dir_metadata']) fs.mkdirSync(path.join(upper, d), { recursive: true });
    fs.copyFileSync(path.join(base, 'dir_metadata', 'metadata'), path.join(upper, 'dir_metadata', 'metadata'));
    const total = /total (\d+)/.exec(fs.readFileSync(path.join(base, 'superblock'), 'latin1'))?.[1] ?? '1099511627776';
    fs.writeFileSync(path.join(upper, 'superblock'), `version 2\nmetadata shadow_fs\nused 0\ntotal ${total}\n`);
  }
  writeManifest(layer, { format: COW_FORMAT, mode, base: baseIdentity(base), created: new Date().toISOString() });
}
