// Symlinks to /, to ../.. and to a host path outside the export, made in
// the guest and then used: nothing outside the export is read or changed.
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KNOWN_GAPS } from './known-gaps.js';
import { guestSourceDir } from './paths.js';
import { expectChecks } from './report.js';
import { runGuest } from './run-guest.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'confine.sh'), 'utf8');

for (const kind of selectedServers()) {
  const missing = await missingFor(prereqs, kind);
  guestCase(test, `guest-made symlinks stay inside the export [${kind}]`, missing, async () => {
    await withFixture(kind, 'tcp', async () => {}, async (f) => {
      const before = await stat(f.canary);
      const r = await runGuest({
        image: prereqs.image!,
        server: f.server,
        script,
        files: { 'canary-path': f.canary, 'canary-text': f.canaryText.trim() },
        timeoutMs: 90_000,
      });
      console.log(`  confinement [${kind}]: ${r.durationMs} ms`);
      const after = await stat(f.canary);
      // Host-side checks first: they matter even when a guest check failed.
      assert.is(await readFile(f.canary, 'utf8'), f.canaryText, 'canary text unchanged');
      assert.is(after.mtimeMs, before.mtimeMs, 'canary mtime unchanged');
      assert.is(`${after.uid}:${after.gid}:${after.mode}`, `${before.uid}:${before.gid}:${before.mode}`, 'canary owner and mode unchanged');
      assert.equal((await readdir(f.root)).sort(), ['canary', 'export'], 'nothing new beside the export');
      expectChecks(r, KNOWN_GAPS[kind]);
      const c = (p: string) => path.join(f.exportDir, 'c', p);
      assert.is(await readlink(c('canary-abs')), f.canary);
      assert.is(await readlink(c('up')), '../..');
      assert.is(await readlink(c('root')), '/');
      assert.is((await lstat(c('canary-abs'))).uid, 1234, 'chown -h changed the link itself');
      assert.is(await readFile(c('canary-rel'), 'utf8'), 'f\n', 'rename replaced the link, not its target');
    });
  });
}

test.run();
