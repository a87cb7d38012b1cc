// CoreVfs in humfs mode: the shared Vfs conformance suite, then the
// read-only wrapper over it.

import { vfsConformance } from '../conformance/vfs.js';
import { openHumfsExport } from './meta/humfs-helpers.js';
import path from 'node:path';

vfsConformance('humfs', {
  open: (dir) => openHumfsExport(dir),
  dataDir: (dir) => path.join(dir, 'data'),
  statfs: 'store',
}).run();

vfsConformance('humfs readonly', {
  readonly: true,
  open: (dir) => openHumfsExport(dir, { readonly: true }),
  openWritable: (dir) => openHumfsExport(dir),
  dataDir: (dir) => path.join(dir, 'data'),
}).run();
