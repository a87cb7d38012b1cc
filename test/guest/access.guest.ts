// access=user and access=client with a non-root guest user: the refusals
// the modes call for happen (in the server for access=user, in the client
// for access=client), the user's own files are the user's on the host too.
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KNOWN_GAPS } from './known-gaps.js';
import { guestSourceDir } from './paths.js';
import { expectChecks } from './report.js';
import { runGuest, type AccessMode } from './run-guest.js';
import { guestCase, guestPrereqs, missingFor, selectedServers, withFixture } from './suite.js';

const prereqs = await guestPrereqs();
const script = await readFile(path.join(guestSourceDir(), 'cases', 'access.sh'), 'utf8');
/** nobody:nogroup. diod maps uids through the host's passwd, where this one always exists. */
const USER = { uid: 65534, gid: 65534 };

async function prepare(dir: string): Promise<void> {
  const acc = (p: string) => path.join(dir, 'acc', p);
  await mkdir(path.join(dir, 'acc'));
  await mkdir(acc('mine'));
  await chown(acc('mine'), USER.uid, USER.gid);
  await mkdir(acc('roots'));
  await writeFile(acc('pub'), 'public\n', { mode: 0o644 });
  await writeFile(acc('secret'), 'secret\n', { mode: 0o600 });
  await mkdir(acc('sticky'));
  await chmod(acc('sticky'), 0o1777);
  await writeFile(acc('sticky/rootfile'), 'root\n', { mode: 0o644 });
}

for (const kind of selectedServers()) {
  const missing = await missingFor(prereqs, kind);
  // humbridge also checks permissions itself per attached user (serve
  // --access user); the guest kernel checks first, so the refusals must hold
  // either way and the user's files must still come out the user's.
  const variants: { access: AccessMode; serverArgs: string[] }[] = [
    { access: 'user', serverArgs: [] },
    { access: 'client', serverArgs: [] },
    ...(kind === 'humbridge' ? [{ access: 'user' as AccessMode, serverArgs: ['--access', 'user'] }] : []),
  ];
  for (const { access, serverArgs } of variants) {
    const name = `access=${access}${serverArgs.length ? ` (server ${serverArgs.join(' ')})` : ''}, non-root guest user [${kind}]`;
    guestCase(test, name, missing, async () => {
      await withFixture(kind, 'tcp', prepare, async (f) => {
        const r = await runGuest({
          image: prereqs.image!,
          server: f.server,
          script,
          mountOptions: { access },
          asUser: USER,
          files: { ids: `${USER.uid}:${USER.gid}` },
          timeoutMs: 90_000,
        });
        console.log(`  ${name}: ${r.durationMs} ms`);
        expectChecks(r, KNOWN_GAPS[kind]);
        const acc = (p: string) => path.join(f.exportDir, 'acc', p);
        const made = await stat(acc('mine/made'));
        assert.is(`${made.uid}:${made.gid}`, `${USER.uid}:${USER.gid}`, 'the user owns its file on the host');
        assert.is(made.mode & 0o777, 0o600);
        assert.equal(await readdir(acc('mine')), ['made']);
        assert.equal(await readdir(acc('roots')), [], 'nothing was created in root\'s directory');
        assert.is(await readFile(acc('pub'), 'utf8'), 'public\n');
        assert.is((await stat(acc('pub'))).mode & 0o777, 0o644);
        assert.is(await readFile(acc('secret'), 'utf8'), 'secret\n');
        assert.is(await readFile(acc('sticky/rootfile'), 'utf8'), 'root\n', 'root\'s file survived in the sticky directory');
        const own = await stat(acc('sticky/userfile'));
        assert.is(`${own.uid}:${own.gid}`, `${USER.uid}:${USER.gid}`);
        assert.is((await stat(acc('mine'))).uid, USER.uid, 'chown to root was refused');
      }, { args: serverArgs });
    });
  }
}

test.run();
