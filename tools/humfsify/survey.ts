// The read-only first pass of a conversion: everything that could make it
// fail part way is found here, before the first write. It also counts the
// entries (for the progress line) and measures the disk usage the way the
// original does (`du -sk data`, times 1024).
import fs from 'node:fs';
import { HUMFS_LAYOUT, HumfsFormatError, parseMetadata } from '../../src/meta/humfs-format.js';
import { HumfsifyError, showPath } from './errors.js';
import { recordPath, type ExportPaths } from './layout.js';
import type { Progress, Summary } from './report.js';
import { countEntry } from './report.js';
import { walk } from './walk.js';

export interface Survey {
  entries: number;
  /** Bytes, as `du -sk` counts them (each inode once, rounded up to KiB) times 1024. */
  used: bigint;
}

const RECORD_NAME = Buffer.from(HUMFS_LAYOUT.dirRecord);

/**
 * Walks data/ without changing anything. Throws HumfsifyError for what the
 * layout cannot hold: a directory named "metadata" (its record folder
 * dir_metadata/<parent>/metadata/ would be the parent's own record file),
 * and, when existing records are to be kept, a record that does not parse.
 */
export function surveyTree(p: ExportPaths, keepExisting: boolean, progress: Progress, counts?: Summary): Survey {
  // Only root may give files away; anyone else can convert only what they own (to themselves).
  const euid = process.geteuid?.() ?? 0;
  let entries = 0;
  let sectors = 0;
  // GNU du counts an inode with several names once.
  const seen = new Set<string>();
  progress.start('surveying', 0);
  for (const e of walk(p.data)) {
    entries++;
    progress.tick();
    if (counts !== undefined) countEntry(counts, e.stat.mode);
    const st = e.stat;
    const isDir = st.isDirectory();
    if (st.nlink > 1 && !isDir) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) {
        if (counts !== undefined) counts.hardLinks++;
        continue;
      }
      seen.add(key);
    }
    if (euid !== 0 && st.uid !== euid) {
      throw new HumfsifyError(`data/${showPath(e.rel)} belongs to uid ${st.uid}: only root can convert a tree with files of other owners`);
    }
    sectors += st.blocks;
    if (isDir && e.rel.length > 0 && lastName(e.rel).equals(RECORD_NAME)) {
      throw new HumfsifyError(
        `data/${showPath(e.rel)}: a directory named "${HUMFS_LAYOUT.dirRecord}" cannot be stored in the humfs layout ` +
          `(dir_metadata/<parent>/${HUMFS_LAYOUT.dirRecord} is its parent's own record); rename it first`,
      );
    }
    if (keepExisting) checkExistingRecord(recordPath(p, e.rel, isDir));
  }
  const kib = Math.ceil((sectors * 512) / 1024);
  return { entries, used: BigInt(kib) * 1024n };
}

/** A record that exists must parse, since it is kept as it is. */
export function checkExistingRecord(file: Buffer): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    if (code === 'EISDIR') throw new HumfsifyError(`${showPath(file)}: is a directory, expected a metadata file`);
    throw e;
  }
  try {
    parseMetadata(text);
  } catch (e) {
    if (e instanceof HumfsFormatError) throw new HumfsifyError(`${showPath(file)}: ${e.message}`);
    throw e;
  }
}

function lastName(rel: Buffer): Buffer {
  const slash = rel.lastIndexOf(0x2f);
  return slash < 0 ? rel : rel.subarray(slash + 1);
}
