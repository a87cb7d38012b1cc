// The merge journal, kept in the layer so a merge killed at any point can be
// run again and finish:
//   merge.journal   the plan, written once before the first change (to a
//                   temporary name, fsync'd, renamed): a header line, then
//                   one JSON step per line. Its presence means "a merge is
//                   under way"; removing it is the merge's last act.
//   merge.progress  one line "<step number>" appended and fsync'd after each
//                   step is done. A rerun starts at the first step not listed
//                   (every step can be run again after a partial run).
// Paths in steps are latin1 strings: exact bytes, whatever the names.

import fs from 'node:fs';
import path from 'node:path';
import { COW_LAYOUT, CowLayoutError } from '../../src/cow/layout.js';
import { lockLayer } from '../../src/host/layer-lock.js';
import { CowError } from './errors.js';

export const JOURNAL = COW_LAYOUT.mergeJournal;
export const PROGRESS = COW_LAYOUT.mergeProgress;

export type Step =
  | { op: 'clone' }
  | { op: 'scratch' }
  | { op: 'remove'; p: string }
  | { op: 'mkdir'; p: string }
  | { op: 'copy'; p: string }
  | { op: 'link'; p: string; to: string }
  | { op: 'attrs'; p: string }
  | { op: 'unscratch' }
  | { op: 'layer' }
  | { op: 'manifest' };

export interface JournalHeader {
  format: 1;
  /** The base the plan was made against. */
  base: string;
  /** Where the changes go: the base itself, or the --into copy. */
  target: string;
  into: boolean;
  steps: number;
}

export interface Journal {
  header: JournalHeader;
  steps: Step[];
  /** Steps already done (a prefix of steps). */
  done: number;
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeJournal(layer: string, header: JournalHeader, steps: readonly Step[]): void {
  fs.rmSync(path.join(layer, PROGRESS), { force: true });
  const file = path.join(layer, JOURNAL);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, `${JSON.stringify(header)}\n`);
    let chunk = '';
    for (const s of steps) {
      chunk += `${JSON.stringify(s)}\n`;
      if (chunk.length > 1 << 16) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(layer);
}

/** The journal of a merge under way, or undefined when none is. */
export function readJournal(layer: string): Journal | undefined {
  const file = path.join(layer, JOURNAL);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = JSON.parse(lines[0] ?? 'null') as JournalHeader | null;
  if (header === null || header.format !== 1 || lines.length - 1 !== header.steps) {
    throw new CowError(`${file}: not a complete merge journal; it was not written by this version, or by hand`);
  }
  const steps = lines.slice(1).map((l) => JSON.parse(l) as Step);
  let done = 0;
  try {
    // A line torn by a crash is not a step done.
    for (const l of fs.readFileSync(path.join(layer, PROGRESS), 'utf8').split('\n')) {
      if (/^\d+$/.test(l)) done = Math.max(done, Number(l) + 1);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return { header, steps, done };
}

/** Appends "step i is done", durably. */
export class ProgressLog {
  private readonly fd: number;

  constructor(layer: string) {
    this.fd = fs.openSync(path.join(layer, PROGRESS), 'a', 0o644);
  }

  done(i: number): void {
    fs.writeSync(this.fd, `${i}\n`);
    fs.fsyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The merge is complete: the journal goes first (its absence is the commit), then the progress. */
export function finishJournal(layer: string): void {
  fs.rmSync(path.join(layer, JOURNAL), { force: true });
  fsyncDir(layer);
  fs.rmSync(path.join(layer, PROGRESS), { force: true });
}

/** One merge at a time, and none while the layer is served (src/host/layer-lock.ts). Returns the release. */
export function lockMerge(layer: string): () => void {
  try {
    return lockLayer(layer, 'merging');
  } catch (e) {
    if (e instanceof CowLayoutError) throw new CowError(e.message);
    throw e;
  }
}
