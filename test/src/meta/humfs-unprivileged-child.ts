// Run by humfs-unprivileged.test.ts in a child process started as an
// unprivileged user: act as guest root on the humfs export in argv[2] and
// print what the Vfs answered as JSON on stdout.

import { openExport } from '../../../src/index.js';
import { makedev, O_RDWR, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK, type Attr } from '../../../src/types.js';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: humfs-unprivileged-child EXPORT');

const root = { uid: 0, gid: 0 };
const B = (s: string): Buffer => Buffer.from(s);
const show = (a: Attr) => ({ mode: a.mode, uid: a.uid, gid: a.gid, rdev: a.rdev.toString() });

const vfs = await openExport({ path: dir, mode: 'humfs', access: 'user' });
try {
  const out: Record<string, unknown> = { euid: process.geteuid?.(), egid: process.getegid?.() };
  const f = await vfs.create(root, vfs.root, B('passwd'), O_RDWR, 0o644);
  await vfs.write(f.handle, 0n, B('root:x:0:0::/root:/bin/sh\n'));
  await vfs.release(f.handle);
  out['chown'] = show(await vfs.setattr(root, f.entry.id, { uid: 1234, gid: 5678 }));
  out['setuid'] = show(await vfs.setattr(root, f.entry.id, { mode: 0o4755 }));
  const dev = await vfs.mkdir(root, vfs.root, B('dev'), 0o755);
  out['null'] = show((await vfs.mknod(root, dev.id, B('null'), S_IFCHR | 0o666, makedev(1, 3))).attr);
  out['sda'] = show((await vfs.mknod(root, dev.id, B('sda'), S_IFBLK | 0o660, makedev(8, 0))).attr);
  out['fifo'] = show((await vfs.mknod(root, dev.id, B('initctl'), S_IFIFO | 0o600, 0n)).attr);
  out['sock'] = show((await vfs.mknod(root, dev.id, B('log'), S_IFSOCK | 0o666, 0n)).attr);
  // A root-only directory: guest root works in it, an ordinary guest user cannot.
  const secret = await vfs.mkdir(root, vfs.root, B('root'), 0o700);
  const inner = await vfs.create(root, secret.id, B('.profile'), O_RDWR, 0o600);
  await vfs.release(inner.handle);
  out['inner'] = show(inner.entry.attr);
  out['userDenied'] = await vfs.create({ uid: 1000, gid: 1000 }, secret.id, B('x'), O_RDWR, 0o644).then(
    () => 'allowed',
    (e: { code?: string }) => e.code ?? 'no code',
  );
  process.stdout.write(JSON.stringify(out));
} finally {
  await vfs.close();
}
