// The harness itself, through a real guest: output comes back byte for byte
// with the script's exit status, a failed mount and a timeout are reported
// as such (and leave nothing running).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runGuest } from './run-guest.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
// One server is enough to exercise the harness: the first one selected.
const kind = selectedServers()[0];

if (kind !== undefined) {
  const missing = await missingFor(prereqs, kind);

  guestCase(test, `output is byte-exact and the exit status comes back [${kind}]`, missing, async () => {
    await withFixture(kind, 'tcp', async () => {}, async (f) => {
      const script = "printf 'a\\000b\\377\\r\\nno newline at the end'; echo oops >&2; exit 7\n";
      const r = await runGuest({ image: prereqs.image!, server: f.server, script, timeoutMs: 90_000 });
      assert.is(r.stage, 'script', r.console);
      assert.is(r.status, 7);
      const want = Buffer.concat([Buffer.from([0x61, 0, 0x62, 0xff, 0x0d, 0x0a]), Buffer.from('no newline at the endoops\n')]);
      assert.ok(r.raw.equals(want), `raw output ${JSON.stringify(r.raw.toString('latin1'))}`);
      assert.is(r.umountStatus, 0);
    });
  });

  guestCase(test, `a mount that fails is reported as stage "mount" [${kind}]`, missing, async () => {
    await withFixture(kind, 'tcp', async () => {}, async (f) => {
      const r = await runGuest({
        image: prereqs.image!,
        server: f.server,
        script: 'echo never',
        // The client refuses an msize under 4 KiB, whatever the server.
        mountOptions: { msize: 1 },
        timeoutMs: 90_000,
      });
      assert.is(r.stage, 'mount', r.console);
      assert.is(r.status, 126);
      assert.not.match(r.output, 'never');
    });
  });

  guestCase(test, `a guest past its time limit is stopped [${kind}]`, missing, async () => {
    await withFixture(kind, 'stdio', async () => {}, async (f) => {
      // Far shorter than a boot: QEMU and the per-boot server are killed mid-boot.
      const r = await runGuest({ image: prereqs.image!, server: f.server, script: 'sleep 1000', timeoutMs: 1500 });
      assert.is(r.stage, 'timeout');
      assert.is(r.status, 124);
    });
  });
}

test.run();
