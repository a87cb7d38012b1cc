// ReadOnlyVfs over the hostfs core: the read-only conformance cases.

import { openExport } from '../../src/index.js';
import { vfsConformance } from '../conformance/vfs.js';

vfsConformance('readonly', {
  readonly: true,
  open: (dir) => openExport({ path: dir, readonly: true }),
  openWritable: (dir) => openExport({ path: dir }),
}).run();
