// humfsify (tools/humfsify) against the Perl original from Debian's
// uml-utilities, converting copies of one tree: entries per second, and
// both must leave a byte-identical layout.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTree, layoutDigest, run } from './humfsify-tree.js';
import type { Case, Config, Opened, Section } from './model.js';

const PERL = '/usr/bin/humfsify';
const ours = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../humfsify.js');

const humfsifyCase = (entries: number, extra: Partial<Case> = {}): Case => ({
  name: `humfsify-${entries / 1000}k`,
  title: `humfsify of ${entries.toLocaleString('en-US')} entries`,
  systems: ['perl', 'humbridge'],
  rows: [{ key: 'rate', title: 'convert', unit: 'entries/s', better: 'higher', compare: [{ ours: 'humbridge', anchor: 'perl' }] }],
  ...extra,
});

const CASES: readonly Case[] = [
  humfsifyCase(5_000),
  humfsifyCase(100_000, {
    rounds: 1,
    onlyWhenNamed: 'the Perl original takes about 7 minutes for it',
    note: 'one round, no warm-up: the Perl original takes about 7 minutes per run.',
  }),
];

const entriesOf = (c: Case, quick: boolean): number => (quick ? 200 : Number(/(\d+)k$/.exec(c.name)?.[1]) * 1000);

async function open(cfg: Config, chosen: readonly Case[]): Promise<Opened> {
  const base = fs.mkdtempSync(path.join(cfg.tmp, 'humbridge-bench-humfsify-'));
  for (const c of chosen) {
    cfg.say(`humfsify: building a tree of ${entriesOf(c, cfg.quick)} entries`);
    buildTree(path.join(base, c.name, 'pristine', 'data'), entriesOf(c, cfg.quick));
  }
  const digests = new Map<string, string>();
  const measure = async (c: Case, system: string): Promise<Record<string, number>> => {
    const work = path.join(base, c.name, 'work');
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work);
    run('cp', ['-a', path.join(base, c.name, 'pristine', 'data'), work]);
    run('du', ['-sk', 'data'], work); // both start with the copy's metadata cached
    const t0 = performance.now();
    if (system === 'perl') run(PERL, ['nobody', 'nogroup', '4G'], work);
    else run(process.execPath, [ours, '--keep-devices', 'nobody', 'nogroup', '4G'], work);
    const secs = (performance.now() - t0) / 1000;
    const digest = layoutDigest(work);
    const first = digests.get(c.name) ?? digest;
    digests.set(c.name, first);
    if (digest !== first) throw new Error(`${system} wrote a different layout from the other humfsify`);
    return { rate: entriesOf(c, cfg.quick) / secs };
  };
  return { measure, close: async () => fs.rmSync(base, { recursive: true, force: true }) };
}

export const humfsifySection: Section = {
  name: 'humfsify',
  title: 'humfsify against the Perl original',
  cases: CASES,
  missing: async () =>
    process.getuid?.() !== 0 ? 'needs root (the trees hold files of other owners and device nodes)' : fs.existsSync(PERL) ? undefined : `${PERL} is missing (Debian package uml-utilities)`,
  open,
  note: 'The tree: directories, files of varied owners and modes, symlinks, hard links, device nodes and FIFOs; ours runs with --keep-devices as the original leaves devices in place; every run checks both leave the same layout.',
};
