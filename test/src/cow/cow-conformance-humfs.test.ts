// The Vfs conformance suite on copy-on-write exports in humfs mode: over an
// empty layer, and over a layer that whites out every base entry.

import { vfsConformance } from '../../conformance/vfs.js';
import { cowTarget } from './cow-target.js';

vfsConformance('cow humfs, empty layer', { ...cowTarget('humfs', false), statfs: 'store' }).run();
vfsConformance('cow humfs, layer with changes', { ...cowTarget('humfs', true), statfs: 'store' }).run();
