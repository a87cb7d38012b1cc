// Serves a hostfs export through a user mount until the mount goes away
// (the test runs it as another uid): `node user-mount-server.js EXPORT
// MOUNTPOINT [allow-other]`. Prints `ready <method>` once mounted and, when
// the mount was taken away (fusermount3 -u), `ended <json stats>`.
import { openExport, nullLogger } from '../../src/index.js';
import { mountFuse } from '../../fuse/mount.js';

const [dir, mnt, extra] = process.argv.slice(2);
if (!dir || !mnt) throw new Error('usage: user-mount-server EXPORT MOUNTPOINT [allow-other]');
const vfs = await openExport({ path: dir, mode: 'hostfs' });
try {
  const m = await mountFuse(vfs, mnt, { log: nullLogger, allowOther: extra === 'allow-other' });
  process.stdout.write(`ready ${m.method}\n`);
  await m.session.whenEnded();
  await m.unmount();
  process.stdout.write(`ended ${JSON.stringify(m.session.ledger.stats)}\n`);
} catch (e) {
  process.stdout.write(`failed ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await vfs.close();
}
