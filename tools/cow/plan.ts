// The steps of a merge, read off the layer walk (changes.ts), in the
// order that keeps every step valid: a base entry is moved away before what
// replaces it is made, a directory is made before its contents, and a
// directory's attributes (times above all) are set after its contents
// changed it. The root's come last of all, after the scratch folder in it is
// gone. Names that share an inode in the layer are merged as one file and
// hard links to it.

import { walkLayer } from './changes.js';
import type { Step } from './journal.js';

export function planMerge(upper: Buffer, base: Buffer, into: boolean, tick: () => void): Step[] {
  const steps: Step[] = [];
  if (into) steps.push({ op: 'clone' });
  steps.push({ op: 'scratch' });
  const firstName = new Map<bigint, string>();
  for (const ev of walkLayer(upper, base)) {
    const e = ev.entry;
    const p = e.rel.toString('latin1');
    if (e.rel.length === 0) continue;
    if (ev.kind === 'leave') {
      steps.push({ op: 'attrs', p });
      continue;
    }
    tick();
    if (e.whiteout) {
      if (e.base !== undefined) steps.push({ op: 'remove', p });
      continue;
    }
    if (e.upper.isDirectory()) {
      if (!e.hidesBase) continue;
      if (e.base !== undefined) steps.push({ op: 'remove', p });
      steps.push({ op: 'mkdir', p });
      continue;
    }
    if (e.base?.isDirectory()) steps.push({ op: 'remove', p });
    const first = e.upper.nlink > 1n ? firstName.get(e.upper.ino) : undefined;
    if (first !== undefined) {
      steps.push({ op: 'link', p, to: first });
      continue;
    }
    if (e.upper.nlink > 1n) firstName.set(e.upper.ino, p);
    steps.push({ op: 'copy', p });
  }
  steps.push({ op: 'unscratch' }, { op: 'attrs', p: '' });
  if (!into) steps.push({ op: 'layer' }, { op: 'manifest' });
  return steps;
}
