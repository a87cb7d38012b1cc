// The 9P case users feel: the Linux v9fs client in a QEMU guest (the
// harness of test/guest) working on a source tree through each server:
// `tar x` of a tarball, `ls -lR` (stat of everything), `grep -r` (read of
// everything) and `rm -rf`. One boot mounts both servers and runs every
// round inside, alternating them as the other cases do (schedule() in
// stats.ts); times come from the guest's clock (/proc/uptime, 10 ms).
// busybox's find has no -ls, hence `ls -lR`.
//
// The harness is loaded from dist/test/guest at run time: without it (an
// installed package has no tests) or without QEMU the case is skipped.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GuestResult, RunGuestOptions } from '../../test/guest/run-guest.js';
import type { NinepServer, ServerKind, ServerOptions } from '../../test/guest/servers.js';
import type { GuestPrereqs } from '../../test/guest/suite.js';
import { must } from './child.js';
import type { Case, Config, Opened, Row, Section } from './model.js';
import { schedule } from './stats.js';
import { sourceTree } from './trees.js';

const harness = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'guest');

interface Harness {
  runGuest(o: RunGuestOptions): Promise<GuestResult>;
  mountOptionString(server: NinepServer, transport: 'tcp'): string;
  startServer(kind: ServerKind, dir: string, opts?: ServerOptions): Promise<NinepServer>;
  guestPrereqs(): Promise<GuestPrereqs>;
}

async function loadHarness(): Promise<Harness | undefined> {
  const file = (name: string): string => path.join(harness, name);
  if (!['run-guest.js', 'servers.js', 'suite.js'].every((n) => fs.existsSync(file(n)))) return undefined;
  const run = (await import(file('run-guest.js'))) as Pick<Harness, 'runGuest' | 'mountOptionString'>;
  const servers = (await import(file('servers.js'))) as Pick<Harness, 'startServer'>;
  const suite = (await import(file('suite.js'))) as Pick<Harness, 'guestPrereqs'>;
  return { runGuest: run.runGuest, mountOptionString: run.mountOptionString, startServer: servers.startServer, guestPrereqs: suite.guestPrereqs };
}

const SYSTEMS = ['diod', 'humbridge'] as const;
/** Files in the guest's tree: TCG makes the guest slow (about 3 files/s through `tar x`), so a whole 1,200-file tree would take some 7 minutes per run. */
const FILES = 60;
const row = (key: string, title: string, atLeast?: number): Row => ({
  key,
  title,
  unit: 'files/s',
  better: 'higher',
  compare: [{ ours: 'humbridge', anchor: 'diod', ...(atLeast !== undefined ? { goal: { kind: 'ratio', atLeast } } : {}) }],
});

const CASES: readonly Case[] = [
  {
    name: 'guest-tree',
    title: `Linux guest, source tree of ${FILES} files`,
    systems: SYSTEMS,
    rows: [row('all', 'all four steps', 1.0), row('untar', '`tar x`'), row('list', '`ls -lR`'), row('grep', '`grep -r`'), row('rm', '`rm -rf`')],
    note: 'QEMU without KVM (TCG), one CPU: the guest is slow (hence a small tree), the ratio is what counts. Mounted with trans=tcp, 9p2000.L, msize 256 KiB, the kernel defaults otherwise.',
  },
];

const STEPS = ['untar', 'list', 'grep', 'rm'] as const;

/** The guest's script: mounts diod beside the harness's mount of humbridge, runs the slots, prints one "sample" line each. */
const SCRIPT = `set -e
D=/mnt/diod
mkdir -p $D
mount -t 9p -o "$(cat $EXTRA/diod-opts)" 10.0.2.2 $D
t() { cut -d' ' -f1 /proc/uptime; }
for slot in $(cat $EXTRA/slots); do
  sys=\${slot#*:}
  if [ "$sys" = diod ]; then W=$D/work; else W=$MNT/work; fi
  a=$(t); mkdir $W; tar xf $EXTRA/src.tar -C $W
  b=$(t); ls -lR $W > /dev/null
  c=$(t); grep -r needle $W > /dev/null
  d=$(t); rm -rf $W
  e=$(t)
  echo "sample $sys $a $b $c $d $e"
done
umount $D
`;

async function open(cfg: Config, chosen: readonly Case[]): Promise<Opened> {
  const h = await loadHarness();
  if (h === undefined) throw new Error('guest harness not built');
  const c = chosen[0];
  if (c === undefined) throw new Error('no guest case chosen');
  const files = cfg.quick ? 20 : FILES;
  const base = fs.mkdtempSync(path.join(cfg.tmp, 'humbridge-bench-guest-'));
  const servers: NinepServer[] = [];
  const samples = new Map<string, Record<string, number>[]>(SYSTEMS.map((s) => [s, []]));
  let ranFor = 0;
  try {
    // diod: every parent of the export searchable by others (the Linux client's first attach is as "nobody").
    fs.chmodSync(base, 0o755);
    const exp = path.join(base, 'export');
    fs.mkdirSync(exp, { mode: 0o755 });
    sourceTree(path.join(base, 'tree'), files);
    await must('tar', ['cf', path.join(base, 'src.tar'), '-C', path.join(base, 'tree'), '.']);
    const diod = await h.startServer('diod', exp, { listen: 'tcp' });
    servers.push(diod);
    const hb = await h.startServer('humbridge', exp, { listen: 'tcp' });
    servers.push(hb);
    const slots = schedule(c.systems, cfg.rounds, !cfg.quick);
    cfg.say(`guest: one boot, ${slots.length} runs of ${files} files (QEMU without KVM: slow)`);
    const booted = performance.now();
    const r = await h.runGuest({
      server: hb,
      script: SCRIPT,
      mountOptions: { msize: 262144 },
      timeoutMs: (cfg.quick ? 10 : 60) * 60_000,
      files: {
        'src.tar': fs.readFileSync(path.join(base, 'src.tar')),
        'diod-opts': `${h.mountOptionString(diod, 'tcp')}`.replace(/msize=\d+/, 'msize=262144'),
        slots: slots.map((s) => `${s.round}:${s.system}`).join(' '),
      },
    });
    ranFor = (performance.now() - booted) / 1000;
    if (r.stage !== 'script' || r.status !== 0) throw new Error(`guest ${r.stage} status ${r.status}: ${r.output.slice(-1500)}${r.console.slice(-1500)}`);
    for (const line of r.output.split('\n')) {
      const m = /^sample (\S+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)$/.exec(line);
      if (!m) continue;
      const t = m.slice(2).map(Number) as [number, number, number, number, number];
      const rate = (from: number, to: number): number => files / Math.max(0.01, to - from);
      const v: Record<string, number> = { all: rate(t[0], t[4]) };
      STEPS.forEach((step, i) => (v[step] = rate(t[i] as number, t[i + 1] as number)));
      samples.get(m[1] as string)?.push(v);
    }
    if ([...samples.values()].reduce((n, xs) => n + xs.length, 0) !== slots.length) throw new Error(`guest printed too few samples: ${r.output.slice(-1500)}`);
  } finally {
    for (const s of servers) await s.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
  return {
    ranFor,
    // The runner asks in the same order the guest ran: hand the samples back one by one.
    measure: async (_c, system) => {
      const v = samples.get(system)?.shift();
      if (v === undefined) throw new Error(`no guest sample left for ${system}`);
      return v;
    },
    close: async () => {},
  };
}

export const guestSection: Section = {
  name: 'guest',
  title: '9P in a Linux guest: humbridge against diod',
  cases: CASES,
  async missing() {
    const h = await loadHarness();
    if (h === undefined) return `the guest harness (${harness}) is not built`;
    return (await h.guestPrereqs()).missing;
  },
  open,
};
