// Host edits while a guest has the tree mounted (cache=none, loose, fscache,
// mmap at once, one boot per server), and guest edits seen on the host.
// cases/hostedits.sh asks for each edit through a cache=none mount and reports
// what each mount shows at once, within a bound, and after drop_caches;
// host-edits.ts makes the edits and answers. The observed table is
// EXPECTED below and the README's "What a guest sees after a host edit".
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstMissing, needProgram, needRoot } from '../helpers/gate.js';
import { HOST_EDITS, prepareHostEdits, startResponder } from './host-edits.js';
import { guestSourceDir } from './paths.js';
import { expectChecks, fact, type CheckReport } from './report.js';
import { runGuest, type CacheMode } from './run-guest.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'hostedits.sh'), 'utf8');
const MODES: CacheMode[] = ['none', 'loose', 'fscache', 'mmap'];
const VIEWS = ['stat', 'read', 'ls'] as const;
/** How long the guest polls a stale view before calling it stale (guest clock). */
const BOUND_MS = 3000;

/** Collapses "later:MS" to "later" (times are printed, not asserted). */
const category = (v: string) => v.replace(/:\d+$/, '');

// The observed table (Debian 6.1 client; diod and humbridge alike), as the
// README gives it. cache=none and mmap see every host edit at once; loose and
// fscache (no cachefiles in the guest: it acts as loose) keep attributes and
// pages until drop_caches, but list directories afresh.
const CACHING: readonly CacheMode[] = ['loose', 'fscache'];
const STALE_WHEN_CACHING: Record<(typeof VIEWS)[number], readonly string[]> = {
  stat: ['write', 'append', 'truncate', 'renameover', 'delete', 'chmod', 'chown', 'rmdir', 'git'],
  read: ['write', 'append', 'truncate', 'renameover', 'rmdir', 'git'],
  ls: [],
};
const expectedSee = (mode: CacheMode, edit: string, view: (typeof VIEWS)[number]) =>
  CACHING.includes(mode) && STALE_WHEN_CACHING[view].includes(edit) ? 'stale' : 'now';
/** What a descriptor opened before the edit reads: POSIX (the host's data) unless the page cache answers. */
const POSIX_FD: Record<string, string> = { write: 'new', append: 'old+add', truncate: 'o', git: 'branch a' };
const expectedFd = (mode: CacheMode, edit: string) =>
  CACHING.includes(mode) ? (edit === 'git' ? 'branch a' : 'old') : (POSIX_FD[edit] ?? 'old');
/** Guest edits the host does not see at once under loose and fscache: data before a sync (write-back). */
const UNSEEN_WHEN_CACHING = ['written-open', 'closed', 'appended', 'open-before-sync'];
const GUEST_STEPS = [...UNSEEN_WHEN_CACHING, 'synced-open', 'chmod', 'rename-mkdir', 'delete'];

function observed(report: CheckReport, mode: string): string[] {
  const rows: string[] = [];
  for (const edit of Object.keys(HOST_EDITS)) {
    const see = VIEWS.map((v) => fact(report, `see:${edit}:${mode}:${v}`));
    const drop = VIEWS.map((v) => fact(report, `drop:${edit}:${mode}:${v}`));
    rows.push(`| ${mode} | ${edit} | ${see.join(' | ')} | ${fact(report, `fd:${edit}:${mode}`)} | ${drop.join(' ')} |`);
  }
  return rows;
}

for (const kind of selectedServers()) {
  // The chown edit and the guest's view of owners need root; the git edit needs git.
  const missing = firstMissing(await missingFor(prereqs, kind), needRoot('the host chowns a file'), needProgram('git', 'git'));
  guestCase(test, `host edits seen in the guest, guest edits seen on the host [${kind}]`, missing, async () => {
    await withFixture(kind, 'tcp', prepareHostEdits, async (f) => {
      const responder = startResponder(f.exportDir);
      let report: CheckReport;
      try {
        const r = await runGuest({
          image: prereqs.image!,
          server: f.server,
          script,
          mountOptions: { cache: 'none' },
          files: {
            modes: MODES.join(' '),
            'bound-ms': String(BOUND_MS),
            edits: Object.entries(HOST_EDITS).map(([k, e]) => `${k}:${e.target}`).join('\n'),
          },
          timeoutMs: 600_000,
        });
        console.log(`  host edits [${kind}]: ${r.durationMs} ms`);
        report = expectChecks(r);
      } finally {
        await responder.stop();
      }
      assert.equal(responder.errors, []);
      const mounted = MODES.filter((m) => m === 'none' || report.facts.get(`mount:${m}`) === 'ok');
      for (const m of MODES) if (m !== 'none') console.log(`  mount cache=${m}: ${fact(report, `mount:${m}`)}`);
      console.log(`| mode | edit | stat | read | ls | open fd reads | after drop_caches |`);
      for (const m of mounted) for (const row of observed(report, m)) console.log(row);
      for (const [step, seen] of responder.guestSteps) console.log(`  guest edit ${step}: ${seen ? 'seen at once' : 'not seen'}`);
      assert.equal(mounted, MODES, 'every cache mode mounts');
      for (const mode of MODES) {
        for (const edit of Object.keys(HOST_EDITS)) {
          for (const v of VIEWS) {
            const where = `cache=${mode} ${edit} ${v}`;
            assert.is(category(fact(report, `see:${edit}:${mode}:${v}`)), expectedSee(mode, edit, v), where);
            assert.is(fact(report, `drop:${edit}:${mode}:${v}`), 'fresh', `${where} after drop_caches`);
          }
          assert.is(fact(report, `fd:${edit}:${mode}`), expectedFd(mode, edit), `cache=${mode} ${edit} through the open descriptor`);
        }
        for (const step of GUEST_STEPS) {
          const seen = !(CACHING.includes(mode) && UNSEEN_WHEN_CACHING.includes(step));
          assert.is(responder.guestSteps.get(`${mode}:${step}`), seen, `guest edit cache=${mode} ${step} on the host`);
        }
      }
    });
  });
}

test.run();
