// `humbridge cow merge LAYER [--into NEWBASE] [--force]`: writes the layer's
// changes into its base (or into a copy of the base), like UML's uml_moo.
// The plan goes into a journal in the layer before anything changes; each
// step is recorded when done, so a merge stopped at any point is finished by
// running the same command again (see journal.ts and steps.ts).

import fs from 'node:fs';
import path from 'node:path';
import { baseIdentity, COW_LAYOUT, readManifest, upperOf, writeManifest } from '../../src/cow/layout.js';
import { checkBase } from './base-check.js';
import { CowError } from './errors.js';
import { finishJournal, lockMerge, ProgressLog, readJournal, writeJournal, type Journal } from './journal.js';
import { makeUpper, within } from './new.js';
import { planMerge } from './plan.js';
import { dependentLayers } from './registry.js';
import { runStep, type StepContext } from './steps.js';

export interface MergeOptions {
  layer: string;
  into: string | undefined;
  force: boolean;
  /** Milliseconds to wait before each step (tests stop a merge part way). */
  stepDelayMs: number;
}

export interface MergeProgress {
  start(phase: string, total: number): void;
  tick(): void;
  note(text: string): void;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Checks and a fresh journal; or the journal of the merge under way. */
function prepare(o: MergeOptions, layer: string, progress: MergeProgress): Journal {
  const into = o.into === undefined ? undefined : path.resolve(o.into);
  const pending = readJournal(layer);
  if (pending !== undefined) {
    const wanted = into ?? pending.header.base;
    if (pending.header.target !== wanted) {
      const how = pending.header.into ? ` --into ${pending.header.target}` : '';
      throw new CowError(`a merge of this layer into ${pending.header.target} is under way: run \`humbridge cow merge ${layer}${how}\` to finish it first`);
    }
    progress.note(`resuming the merge into ${pending.header.target} at step ${pending.done + 1} of ${pending.steps.length}`);
    return pending;
  }
  const m = readManifest(layer);
  const base = m.base.path;
  checkBase(m, o.force, "Refusing to merge; --force merges anyway: entries the base changed since may be overwritten or deleted by the layer's older view of them");
  if (into === undefined) {
    const others = dependentLayers(m.base, fs.realpathSync(layer));
    if (others.length > 0 && !o.force) {
      throw new CowError(
        `other layers depend on ${base}: ${others.join(', ')}. Merging changes the base under them (they would be refused as made for another base); --into NEWBASE makes a merged copy instead, --force merges anyway`,
      );
    }
  } else {
    if (fs.lstatSync(into, { throwIfNoEntry: false }) !== undefined) throw new CowError(`${o.into}: exists (--into makes a new folder)`);
    const parent = fs.realpathSync(path.dirname(into));
    if (within(path.join(parent, path.basename(into)), base)) throw new CowError(`${o.into} is inside the base`);
  }
  const target = into ?? base;
  const upper = Buffer.from(path.resolve(upperOf(layer)));
  progress.start('planning', 0);
  const steps = planMerge(upper, Buffer.from(base), into !== undefined, () => progress.tick());
  writeJournal(layer, { format: 1, base, target, into: into !== undefined, steps: steps.length }, steps);
  return { header: { format: 1, base, target, into: into !== undefined, steps: steps.length }, steps, done: 0 };
}

/** Runs the merge to its end; returns a one-line summary. */
export function mergeLayer(o: MergeOptions, progress: MergeProgress): string {
  const layer = path.resolve(o.layer);
  readManifest(layer);
  const unlock = lockMerge(layer);
  try {
    return merge(o, layer, progress);
  } finally {
    unlock();
  }
}

function merge(o: MergeOptions, layer: string, progress: MergeProgress): string {
  const j = prepare(o, layer, progress);
  const { base, target } = j.header;
  const upper = upperOf(layer);
  const context: StepContext = {
    base,
    target,
    upper: path.resolve(upper),
    resetLayer: () => resetUpper(layer, base),
    updateManifest: () => {
      const m = readManifest(layer);
      writeManifest(layer, { ...m, base: baseIdentity(base) });
    },
  };
  const log = new ProgressLog(layer);
  try {
    progress.start('merging', j.steps.length);
    for (let i = 0; i < j.done; i++) progress.tick();
    for (let i = j.done; i < j.steps.length; i++) {
      if (o.stepDelayMs > 0) sleep(o.stepDelayMs);
      runStep(j.steps[i] as (typeof j.steps)[number], i, context);
      log.done(i);
      progress.tick();
    }
  } finally {
    log.close();
  }
  finishJournal(layer);
  const changes = j.steps.filter((s) => s.op === 'copy' || s.op === 'link' || s.op === 'remove' || s.op === 'mkdir').length;
  return j.header.into
    ? `merged ${layer} and ${base} into ${target} (${changes} entries written or removed); the base and the layer are unchanged`
    : `merged ${layer} into ${base} (${changes} entries written or removed); the layer is empty again and made for the merged base`;
}

/**
 * Swaps in an empty upper tree: made aside as upper.new, then the old one
 * renamed to upper.old, the new one into place, and the old one deleted.
 * Each move is checked before it is made, so a rerun after a crash goes on.
 */
function resetUpper(layer: string, base: string): void {
  const upper = path.join(layer, COW_LAYOUT.upper);
  const fresh = `${upper}.new`;
  const old = `${upper}.old`;
  const m = readManifest(layer);
  if (fs.lstatSync(fresh, { throwIfNoEntry: false }) === undefined && fs.lstatSync(old, { throwIfNoEntry: false }) === undefined) {
    fs.rmSync(`${fresh}.tmp`, { recursive: true, force: true });
    makeUpper(`${fresh}.tmp`, base, m.mode);
    fs.renameSync(`${fresh}.tmp`, fresh);
  }
  if (fs.lstatSync(fresh, { throwIfNoEntry: false }) !== undefined) {
    if (fs.lstatSync(upper, { throwIfNoEntry: false }) !== undefined) {
      fs.rmSync(old, { recursive: true, force: true });
      fs.renameSync(upper, old);
    }
    fs.renameSync(fresh, upper);
  }
  fs.rmSync(old, { recursive: true, force: true });
  fs.rmSync(`${fresh}.tmp`, { recursive: true, force: true });
}
