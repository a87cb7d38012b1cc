// `humfsify --check [--repair]`: report (and fix) inconsistencies between
// data/ and the metadata. The checks themselves live in inspect.ts, which
// `-r` shares.
import fs from 'node:fs';
import type { HumfsifyOptions } from './args.js';
import { HumfsifyError, showPath } from './errors.js';
import { inspect } from './inspect.js';
import { Scratch, exportPaths } from './layout.js';
import { emptySummary, type Progress, type Summary, type Verbose } from './report.js';
import { lstatMaybe } from './walk.js';

export function check(o: HumfsifyOptions, progress: Progress, verbose: Verbose): Summary {
  const p = exportPaths(o.dir);
  const data = lstatMaybe(p.data);
  if (data === undefined || !data.isDirectory()) throw new HumfsifyError(`no data/ directory in ${showPath(p.root)}`);
  // Files a repair makes belong to whoever owns the metadata (the serving user).
  const ownerOf = lstatMaybe(p.fileMetadata) ?? fs.lstatSync(p.root);
  const repair = o.repair && !o.dryRun;
  const summary = emptySummary('check', o.dir, o.dryRun);
  const scratch = repair ? new Scratch(p.root) : undefined;
  try {
    inspect({ p, repair, scratch, owner: { uid: ownerOf.uid, gid: ownerOf.gid }, summary, progress, verbose, used: true });
  } finally {
    scratch?.dispose();
  }
  return summary;
}
