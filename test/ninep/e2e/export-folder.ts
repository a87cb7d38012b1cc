// The folder an end-to-end export is opened on. hostfs: the folder is what
// the client sees. humfs: a fresh export as `humfsify` leaves an empty tree
// (DESIGN.md "humfs on-disk layout"): the superblock with a total, an empty
// data/, file_metadata/, and dir_metadata/ holding the root's record. It is
// written here byte by byte rather than through the format module, so the
// tests do not share a parser or printer with the code they check.

import fs from 'node:fs';
import path from 'node:path';

export type ExportMode = 'hostfs' | 'humfs';

/** Every mode the suites run in. */
export const MODES: readonly ExportMode[] = ['hostfs', 'humfs'];

/** The root's record: 0755 (493 in decimal, as records spell modes), owned by root. */
const ROOT_RECORD = '493 0 0\n';

/** Makes `folder` ready to be opened in `mode`; returns the directory the client sees. */
export function makeExportFolder(folder: string, mode: ExportMode, total: bigint): string {
  fs.mkdirSync(folder, { recursive: true });
  if (mode === 'hostfs') return folder;
  const data = path.join(folder, 'data');
  fs.mkdirSync(data);
  fs.mkdirSync(path.join(folder, 'file_metadata'));
  fs.mkdirSync(path.join(folder, 'dir_metadata'));
  fs.writeFileSync(path.join(folder, 'dir_metadata', 'metadata'), ROOT_RECORD);
  fs.writeFileSync(path.join(folder, 'superblock'), `version 2\nmetadata shadow_fs\nused 0\ntotal ${total}\n`);
  return data;
}
