// The base a layer names must still be there and unchanged since the layer
// was made; `force` accepts a changed one (the caller says at what risk).

import fs from 'node:fs';
import { baseMismatch, type CowManifest } from '../../src/cow/layout.js';
import { CowError } from './errors.js';

export function checkBase(m: CowManifest, force: boolean, forceMeans: string): void {
  if (!fs.statSync(m.base.path, { throwIfNoEntry: false })?.isDirectory()) throw new CowError(`the layer's base ${m.base.path} is gone`);
  const why = baseMismatch(m, m.base.path);
  if (why !== undefined && !force) throw new CowError(`${why}. ${forceMeans}`);
}
