// The conformance suite's target for copy-on-write exports: the suite's
// export folder is the layer, the base sits beside it; `withChanges` fills
// the base and deletes all of it through the union first (the suite's names,
// f, d, a, ... exist in the base and are whited out in the layer, so every
// case makes its entries over whiteouts).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openExport } from '../../../src/index.js';
import type { Vfs } from '../../../src/vfs.js';
import { baseIdentity, readManifest, writeManifest } from '../../../src/cow/layout.js';
import { IS_ROOT } from '../../conformance/vfs.js';
import { makeLayer } from '../../helpers/cow-layer.js';
import { makeLayout } from '../meta/humfs-helpers.js';
import { fillBase, removeAllThrough } from './cow-helpers.js';

type Mode = 'hostfs' | 'humfs';

/** As the plain hostfs suite runs (test/src/core.test.ts): the root cases make setuid files and devices. */
const HOST_LIMITS_OFF = { allowSetuid: true, allowDevices: true };

/** Base `base` and layer `layer` (the layer folder exists), made from nothing. */
async function build(base: string, layer: string, mode: Mode, withChanges: boolean): Promise<void> {
  fs.mkdirSync(base);
  if (mode === 'humfs') makeLayout(base);
  if (withChanges) await fillBase(base, mode);
  makeLayer(base, layer, mode);
  if (!withChanges) return;
  const vfs = await openExport({ path: base, mode, cow: layer });
  try {
    await removeAllThrough(vfs);
  } finally {
    await vfs.close();
  }
}

/**
 * A layer with changes costs a mknod(1) child per whiteout and tree: made
 * once per suite and copied (cp -a keeps the whiteouts, which needs root,
 * and the opaque xattrs); the copy's manifest then names the copied base.
 */
const templates = new Map<Mode, Promise<string>>();

function template(mode: Mode): Promise<string> {
  let t = templates.get(mode);
  if (t === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cowtpl-'));
    fs.mkdirSync(path.join(dir, 'layer'));
    t = build(path.join(dir, 'base'), path.join(dir, 'layer'), mode, true).then(() => dir);
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    templates.set(mode, t);
  }
  return t;
}

export function cowTarget(mode: Mode, withChanges: boolean): { open(dir: string): Promise<Vfs>; dataDir(dir: string): string } {
  return {
    async open(dir) {
      // The suite's export folder is the layer; the base sits beside it.
      const base = path.join(dir, '..', 'cowbase');
      if (!fs.existsSync(base)) {
        if (withChanges && IS_ROOT) {
          const tpl = await template(mode);
          for (const [from, to] of [[path.join(tpl, 'base'), base], [`${path.join(tpl, 'layer')}/.`, dir]] as const) {
            const r = spawnSync('cp', ['-a', from, to]);
            if (r.status !== 0) throw new Error(`cp -a ${from} ${to}: ${r.stderr.toString()}`);
          }
          writeManifest(dir, { ...readManifest(dir), base: baseIdentity(base) });
        } else {
          await build(base, dir, mode, withChanges);
        }
      }
      return openExport({ path: base, mode, cow: dir, ...HOST_LIMITS_OFF });
    },
    dataDir: (dir) => (mode === 'humfs' ? path.join(dir, 'upper', 'data') : path.join(dir, 'upper')),
  };
}

