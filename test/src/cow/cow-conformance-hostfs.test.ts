// The Vfs conformance suite on copy-on-write exports in hostfs mode: over an
// empty layer, and over a layer that whites out every base entry.

import { vfsConformance } from '../../conformance/vfs.js';
import { cowTarget } from './cow-target.js';

vfsConformance('cow hostfs, empty layer', { ...cowTarget('hostfs', false) }).run();
vfsConformance('cow hostfs, layer with changes', { ...cowTarget('hostfs', true) }).run();
