// `humfsify -r`: give every data/ entry back the owner, mode and type its
// record holds, then remove the metadata. Unlike the original:
//   - every record is validated first (the same checks as --check); any
//     problem stops us before the first change, naming the file and line
//     (--force: restore what can be restored and keep the metadata);
//   - directories get their modes back (the original passes chmod its
//     arguments in the wrong order), special bits included;
//   - placeholders recorded as c, b, p or s become device nodes, FIFOs and
//     unix sockets again, hard links between them kept, times kept;
//   - the superblock is removed too, leaving a plain tree that can be
//     converted again.
import fs from 'node:fs';
import type { HumfsifyOptions } from './args.js';
import { HumfsifyError, showPath } from './errors.js';
import { inspect, loadRecord, typeMismatch } from './inspect.js';
import { Scratch, dataPath, exportPaths, type ExportPaths } from './layout.js';
import { emptySummary, type Progress, type Summary, type Verbose } from './report.js';
import { linkOver, makeSpecial } from './specials.js';
import { joinPath, lstatMaybe, walk } from './walk.js';

const SHOWN_PROBLEMS = 20;

export async function reverse(o: HumfsifyOptions, progress: Progress, verbose: Verbose): Promise<Summary> {
  const p = exportPaths(o.dir);
  const data = lstatMaybe(p.data);
  if (data === undefined || !data.isDirectory()) throw new HumfsifyError(`no data/ directory in ${showPath(p.root)}`);
  if (!o.dryRun && (process.geteuid?.() ?? 0) !== 0) {
    throw new HumfsifyError('humfsify -r needs root: it gives every file back to its recorded owner');
  }
  const summary = emptySummary('reverse', o.dir, o.dryRun);
  const owner = { uid: data.uid, gid: data.gid };
  inspect({ p, repair: false, scratch: undefined, owner, summary, progress, verbose });
  const problems = summary.problems;
  // A record missing for a data entry loses nothing we could restore. A
  // placeholder holding data does: making it a device would drop its bytes.
  const blocking = problems.filter((x) => x.kind !== 'missing-record');
  const shown = blocking.slice(0, SHOWN_PROBLEMS).map((x) => `  ${x.path}: ${x.detail}`);
  const more = blocking.length > SHOWN_PROBLEMS ? [`  ... and ${blocking.length - SHOWN_PROBLEMS} more`] : [];
  if (blocking.length > 0 && !o.force) {
    throw new HumfsifyError(
      [`nothing changed: ${blocking.length} problem(s) in the metadata:`, ...shown, ...more,
        'Run "humfsify --check" for all of them (--repair fixes them), or -r --force to restore what can be restored.'].join('\n'),
    );
  }
  if (o.dryRun) return summary;

  const scratch = new Scratch(p.root);
  let skipped = 0;
  try {
    progress.start('restoring', summary.entries);
    skipped += await restoreFiles(p, scratch, summary, progress, verbose);
    skipped += restoreDirs(p, progress, verbose);
  } finally {
    scratch.dispose();
  }
  if (skipped > 0 || blocking.length > 0) {
    throw new HumfsifyError(
      [`${skipped} entries could not be restored; the metadata is kept. Problems found:`, ...shown, ...more,
        'Remove the metadata yourself after fixing them or deciding that they do not matter.'].join('\n'),
    );
  }
  fs.rmSync(p.fileMetadata, { recursive: true, force: true });
  fs.rmSync(p.dirMetadata, { recursive: true, force: true });
  fs.rmSync(p.superblock, { force: true });
  return summary;
}

/** Restores every non-directory from file_metadata/. Returns how many were skipped. */
async function restoreFiles(p: ExportPaths, scratch: Scratch, summary: Summary, progress: Progress, verbose: Verbose): Promise<number> {
  let skipped = 0;
  // Placeholder inodes (dev:ino) already turned into a special node → that node's path.
  const made = new Map<string, Buffer>();
  for (const e of walk(p.fileMetadata)) {
    if (e.stat.isDirectory()) continue;
    progress.tick();
    const target = dataPath(p, e.rel);
    const st = lstatMaybe(target);
    const loaded = loadRecord(e.abs);
    const unusable = st === undefined || 'error' in loaded || st.isDirectory() || typeMismatch(loaded.record, st, target) !== null;
    // (--force) a placeholder holding data keeps it: it is left as it is.
    const holdsData = st !== undefined && !('error' in loaded) && loaded.record.type !== null && st.isFile() && st.size > 0;
    if (unusable || holdsData) {
      skipped++;
      verbose('skipped', target);
      continue;
    }
    const r = loaded.record;
    if (r.type !== null && st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = made.get(key);
      if (first !== undefined) {
        linkOver(scratch, first, target);
      } else {
        await makeSpecial(scratch, target, r.type, r.major, r.minor, { mode: r.mode, uid: r.uid, gid: r.gid, atime: st.atime, mtime: st.mtime });
        if (st.nlink > 1) made.set(key, target);
      }
      summary.placeholders++;
      verbose(`made ${r.type}`, target);
      continue;
    }
    restoreOwnerAndMode(target, st, r.uid, r.gid, r.mode);
    verbose('restored', target);
  }
  return skipped;
}

/** Restores every directory from dir_metadata/<dir>/metadata. Returns how many were skipped. */
function restoreDirs(p: ExportPaths, progress: Progress, verbose: Verbose): number {
  let skipped = 0;
  const recordName = Buffer.from('/metadata');
  for (const e of walk(p.dirMetadata)) {
    if (e.stat.isDirectory()) continue;
    progress.tick();
    if (!e.abs.subarray(e.abs.length - recordName.length).equals(recordName)) continue;
    const rel = e.rel.length === recordName.length - 1 ? Buffer.alloc(0) : e.rel.subarray(0, e.rel.length - recordName.length);
    const target = rel.length === 0 ? p.data : joinPath(p.data, rel);
    const st = lstatMaybe(target);
    const loaded = loadRecord(e.abs);
    if (st === undefined || !st.isDirectory() || 'error' in loaded || loaded.record.type !== null) {
      skipped++;
      verbose('skipped', target);
      continue;
    }
    restoreOwnerAndMode(target, st, loaded.record.uid, loaded.record.gid, loaded.record.mode);
    verbose('restored', target);
  }
  return skipped;
}

function restoreOwnerAndMode(target: Buffer, st: fs.Stats, uid: number, gid: number, mode: number): void {
  const chowned = st.uid !== uid || st.gid !== gid;
  if (chowned) fs.lchownSync(target, uid, gid);
  // chown(2) clears setuid and setgid: chmod after it, and again whenever it ran.
  if (!st.isSymbolicLink() && (chowned || (st.mode & 0o7777) !== mode)) fs.chmodSync(target, mode);
}
