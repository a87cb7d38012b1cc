// The Vfs conformance suite on copy-on-write exports, hostfs and humfs: over
// an empty layer, and over a layer that already whites out every base entry
// (the suite's names, f, d, a, ... exist in the base and are deleted in the
// layer, so every case makes its entries over whiteouts).

import fs from 'node:fs';
import path from 'node:path';
import { openExport } from '../../../src/index.js';
import type { Vfs } from '../../../src/vfs.js';
import { vfsConformance } from '../../conformance/vfs.js';
import { makeLayer } from '../../helpers/cow-layer.js';
import { makeLayout } from '../meta/humfs-helpers.js';
import { fillBase, removeAllThrough } from './cow-helpers.js';

type Mode = 'hostfs' | 'humfs';

/** As the plain hostfs suite runs (test/src/core.test.ts): the root cases make setuid files and devices. */
const HOST_LIMITS_OFF = { allowSetuid: true, allowDevices: true };

function target(mode: Mode, withChanges: boolean): { open(dir: string): Promise<Vfs>; dataDir(dir: string): string } {
  return {
    async open(dir) {
      // The suite's export folder is the layer; the base sits beside it.
      const base = path.join(dir, '..', 'cowbase');
      if (!fs.existsSync(base)) {
        fs.mkdirSync(base);
        if (mode === 'humfs') makeLayout(base);
        if (withChanges) await fillBase(base, mode);
        makeLayer(base, dir, mode);
        if (withChanges) {
          const vfs = await openExport({ path: base, mode, cow: dir });
          try {
            await removeAllThrough(vfs);
          } finally {
            await vfs.close();
          }
        }
      }
      return openExport({ path: base, mode, cow: dir, ...HOST_LIMITS_OFF });
    },
    dataDir: (dir) => (mode === 'humfs' ? path.join(dir, 'upper', 'data') : path.join(dir, 'upper')),
  };
}

vfsConformance('cow hostfs, empty layer', target('hostfs', false)).run();
vfsConformance('cow hostfs, layer with changes', target('hostfs', true)).run();
vfsConformance('cow humfs, empty layer', { ...target('humfs', false), statfs: 'store' }).run();
vfsConformance('cow humfs, layer with changes', { ...target('humfs', true), statfs: 'store' }).run();
