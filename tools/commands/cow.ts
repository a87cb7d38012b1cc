// `humbridge cow new|diff|merge`: make a copy-on-write layer on a base tree,
// show what it changes, write it back into the base. Parses its own flags
// (they mean nothing to the other commands). Exit status: 0 done, 1 refused
// or failed (one line on stderr), 2 bad usage.

import { formatFlags, getBool, getString, parseArgs, UsageError, type FlagSpec } from '../cli/args.js';
import { CowLayoutError, readManifest } from '../../src/cow/layout.js';
import { checkBase } from '../cow/base-check.js';
import { Progress, processOutput } from '../humfsify/report.js';
import { changesJson, layerChanges, printChanges } from '../cow/diff.js';
import { CowError } from '../cow/errors.js';
import { readJournal } from '../cow/journal.js';
import { mergeLayer } from '../cow/merge.js';
import { newLayer } from '../cow/new.js';

export const COW_FLAGS: readonly FlagSpec[] = [
  { name: 'base', kind: 'string', arg: 'BASE', help: 'new: the base tree the layer sits on' },
  { name: 'humfs', kind: 'boolean', help: 'new: the base is a humfs tree; layer it as the guest sees it' },
  { name: 'hostfs', kind: 'boolean', help: 'new: layer the raw host tree even when it looks like a humfs tree' },
  { name: 'json', kind: 'boolean', help: 'diff: the changes as JSON (schema in the README)' },
  { name: 'force', kind: 'boolean', help: 'diff, merge: go on though the base changed since the layer was made; merge: though other layers depend on the base' },
  { name: 'into', kind: 'string', arg: 'NEWBASE', help: 'merge: write base + layer to a new folder NEWBASE and leave both alone' },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help' },
];

export const COW_USAGE = `humbridge cow — copy-on-write layers over a shared base tree

Usage:
  humbridge cow new --base BASE LAYER [--humfs|--hostfs]   make an empty layer on BASE
  humbridge cow diff LAYER [--json] [--force]             what LAYER changes, in path order
  humbridge cow merge LAYER [--into NEWBASE] [--force]    write LAYER's changes into its base

A layer is a folder: cow.json (its base's identity), upper/ (overlayfs's
upper-layer format) and work/. A merge stopped part way (a crash, a kill)
is finished by running the same command again.

Options:
${formatFlags(COW_FLAGS)}
`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const ONLY: Record<string, readonly string[]> = {
  new: ['base', 'humfs', 'hostfs'],
  diff: ['json', 'force'],
  merge: ['into', 'force'],
};

export async function cowCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, COW_FLAGS);
  if (getBool(args, 'help')) {
    io.stdout.write(COW_USAGE);
    return 0;
  }
  const [verb, layer, ...extra] = args.positionals;
  if (verb === undefined) throw new UsageError('cow needs a verb: new, diff or merge');
  const allowed = ONLY[verb];
  if (allowed === undefined) throw new UsageError(`cow: unknown verb "${verb}" (new, diff or merge)`);
  for (const name of args.flags.keys()) {
    if (!allowed.includes(name)) throw new UsageError(`--${name} does not apply to cow ${verb}`);
  }
  if (layer === undefined) throw new UsageError(`cow ${verb} needs a LAYER folder`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  try {
    return run(verb, layer, args, io);
  } catch (e) {
    if (!(e instanceof CowError || e instanceof CowLayoutError || (e as NodeJS.ErrnoException).code !== undefined)) throw e;
    io.stderr.write(`humbridge: cow ${verb}: ${(e as Error).message}\n`);
    return 1;
  }
}

function run(verb: string, layer: string, args: ReturnType<typeof parseArgs>, io: Io): number {
  const output = { ...processOutput(), err: (t: string) => void io.stderr.write(t), errIsTTY: io.stderr.isTTY === true };
  const progress = new Progress(output, output.errIsTTY, 'humbridge cow');
  switch (verb) {
    case 'new': {
      const base = getString(args, 'base');
      if (base === undefined) throw new UsageError('cow new needs --base BASE');
      if (getBool(args, 'humfs') && getBool(args, 'hostfs')) throw new UsageError('--humfs and --hostfs exclude each other');
      const mode = getBool(args, 'humfs') ? 'humfs' : getBool(args, 'hostfs') ? 'hostfs' : undefined;
      const r = newLayer({ base, layer, mode });
      if (r.warning !== undefined) io.stderr.write(`humbridge: cow new: warning: ${r.warning}\n`);
      io.stdout.write(`${r.message}\n`);
      return 0;
    }
    case 'diff': {
      if (readJournal(layer) !== undefined) throw new CowError(`a merge of ${layer} is under way: run \`humbridge cow merge ${layer}\` again to finish it`);
      const m = readManifest(layer);
      checkBase(m, getBool(args, 'force'), '--force shows the differences against the base as it is now');
      progress.start('reading the layer', 0);
      const list = layerChanges(layer, m, () => progress.tick());
      progress.clear();
      if (getBool(args, 'json')) io.stdout.write(changesJson(layer, m, list));
      else printChanges(list, (b) => io.stdout.write(b));
      return 0;
    }
    default: {
      const stepDelayMs = Number(process.env['HUMBRIDGE_COW_MERGE_STEP_DELAY_MS'] ?? 0) || 0;
      const summary = mergeLayer(
        { layer, into: getString(args, 'into'), force: getBool(args, 'force'), stepDelayMs },
        {
          start: (phase, total) => progress.start(phase, total),
          tick: () => progress.tick(),
          note: (text) => {
            progress.clear();
            io.stderr.write(`humbridge: cow merge: ${text}\n`);
          },
        },
      );
      progress.clear();
      io.stdout.write(`${summary}\n`);
      return 0;
    }
  }
}
