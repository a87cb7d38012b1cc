// The basic case over every transport and dialect: TCP through QEMU's user
// network; virtio-serial with trans=fd, to a unix socket and to the server's
// stdin/stdout; and 9P2000.L, 9P2000.u and 9P2000 over TCP.
import { readFile, readlink, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KNOWN_GAPS, runUnsupported } from './known-gaps.js';
import { expectChecks, fact } from './report.js';
import { runGuest, type GuestTransport } from './run-guest.js';
import { serverDialects, type Dialect, type Listen } from './servers.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';
import { guestSourceDir } from './paths.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'basic.sh'), 'utf8');

const VARIANTS: { transport: GuestTransport; listen: Listen; version: Dialect; msize?: number }[] = [
  { transport: 'tcp', listen: 'tcp', version: '9p2000.L' },
  // A small msize: every 256 KiB read and write splits into many messages.
  { transport: 'virtio', listen: 'unix', version: '9p2000.L', msize: 16384 },
  { transport: 'virtio', listen: 'stdio', version: '9p2000.L' },
  { transport: 'tcp', listen: 'tcp', version: '9p2000.u' },
  { transport: 'tcp', listen: 'tcp', version: '9p2000' },
];

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

for (const kind of selectedServers()) {
  const missing = await missingFor(prereqs, kind);
  for (const v of VARIANTS) {
    const name = `basic ${v.version} over ${v.transport}${v.transport === 'virtio' ? ` (${v.listen})` : ''}${v.msize ? ` msize=${v.msize}` : ''} [${kind}]`;
    if (!serverDialects(kind).includes(v.version) && !runUnsupported()) {
      console.log(`not run: "${name}": ${kind} does not speak ${v.version}`);
      continue;
    }
    guestCase(test, name, missing, async () => {
      const prepare = async (dir: string) => {
        await mkdir(path.join(dir, 'pre'));
        await writeFile(path.join(dir, 'pre', 'hello.txt'), 'hello from the host');
      };
      await withFixture(kind, v.listen, prepare, async (f) => {
        const r = await runGuest({
          image: prereqs.image!,
          server: f.server,
          script,
          transport: v.transport,
          mountOptions: { version: v.version, ...(v.msize ? { msize: v.msize } : {}) },
          timeoutMs: 90_000,
        });
        console.log(`  ${name}: ${r.durationMs} ms`);
        const report = expectChecks(r, KNOWN_GAPS[kind]);
        const b = (p: string) => path.join(f.exportDir, 'b', p);
        assert.is(sha256(await readFile(b('data.bin'))), fact(report, 'sha:data.bin'), 'host sees the bytes the guest wrote');
        assert.is(await readFile(b('renamed.txt'), 'utf8'), 'renamed\n');
        assert.is((await stat(b('mode.txt'))).mode & 0o7777, 0o640);
        assert.is((await stat(b('sub/m'))).size, 100);
        if (v.version !== '9p2000') assert.is(await readlink(b('link')), 'data.bin');
        assert.is(await readFile(f.canary, 'utf8'), f.canaryText);
      });
    });
  }
}

test.run();
