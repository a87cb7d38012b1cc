// Every section of `npm run bench`, in table order.

import type { Section } from './model.js';
import { fuseSection } from './section-fuse.js';
import { guestSection } from './section-guest.js';
import { humfsifySection } from './section-humfsify.js';
import { memorySection } from './section-memory.js';
import { ninepSection } from './section-ninep.js';

export const SECTIONS: readonly Section[] = [ninepSection, guestSection, fuseSection, humfsifySection, memorySection];
