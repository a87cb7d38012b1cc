// cache=none, cache=loose and cache=mmap, in one boot (the script remounts):
// data written through each mode reaches the host intact; a shared writable
// mmap works where the client caches pages and is refused (EINVAL) where it
// does not.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KNOWN_GAPS } from './known-gaps.js';
import { guestSourceDir } from './paths.js';
import { expectChecks, fact } from './report.js';
import { runGuest, type CacheMode } from './run-guest.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'cache.sh'), 'utf8');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The pattern hbtool mmap-rw writes: byte i is (i * 7 + 3) mod 256. */
function mmapPattern(length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

const MODES: CacheMode[] = ['none', 'loose', 'mmap'];

for (const kind of selectedServers()) {
  const missing = await missingFor(prereqs, kind);
  guestCase(test, `cache=none, loose, mmap (one boot, remounting) [${kind}]`, missing, async () => {
    const hostBin = randomBytes(100_000);
    const prepare = async (dir: string) => {
      await mkdir(path.join(dir, 'pre'));
      await writeFile(path.join(dir, 'pre', 'host.bin'), hostBin);
    };
    await withFixture(kind, 'tcp', prepare, async (f) => {
      const r = await runGuest({
        image: prereqs.image!,
        server: f.server,
        script,
        mountOptions: { cache: 'none' },
        files: { 'host.sha': sha256(hostBin) },
        timeoutMs: 90_000,
      });
      console.log(`  cache modes [${kind}]: ${r.durationMs} ms`);
      const report = expectChecks(r, KNOWN_GAPS[kind]);
      for (const mode of MODES) {
        const written = await readFile(path.join(f.exportDir, `c-${mode}`, 'written'));
        assert.is(written.length, 8 * 65536 + 5, `cache=${mode}: size`);
        assert.is(sha256(written), fact(report, `sha:${mode}`), `cache=${mode}: host holds the guest's final bytes`);
        assert.is(written.subarray(-5).toString(), 'tail\n');
        if (mode !== 'none') {
          const mapped = await readFile(path.join(f.exportDir, `c-${mode}`, 'mapped'));
          assert.ok(mapped.equals(mmapPattern(300_000)), `cache=${mode}: mmap writes reached the host`);
        }
      }
    });
  });
}

test.run();
