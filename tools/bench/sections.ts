// Every section of `npm run bench`, in table order.

import type { Section } from './model.js';
import { fuseSection } from './section-fuse.js';
import { ninepSection } from './section-ninep.js';

export const SECTIONS: readonly Section[] = [ninepSection, fuseSection];
