// Conformance cases for a read-only variant: every change is EROFS and
// leaves the host tree as it was; reads pass through.

import fs from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, R_OK, S_IFIFO, W_OK, XATTR_CREATE } from '../../src/types.js';
import type { Vfs } from '../../src/vfs.js';
import { B, ME, readAll, rejects, walk, writeFile, type Case } from './vfs.js';

async function fixture(prep: Vfs): Promise<void> {
  const d = await prep.mkdir(ME, prep.root, B('d'), 0o755);
  const f = await writeFile(prep, d.id, 'f', 'read me');
  await prep.setxattr(ME, f.id, 'user.k', B('v'), 0);
  await prep.symlink(ME, d.id, B('l'), B('f'));
  await prep.mkdir(ME, d.id, B('empty'), 0o755);
}

/** Every path below `dir` with its type, size, mode, mtime and (for files) content. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    for (const name of fs.readdirSync(p)) {
      const full = path.join(p, name);
      const st = fs.lstatSync(full, { bigint: true });
      const content = st.isFile() ? fs.readFileSync(full).toString('hex') : '';
      out.push(`${path.relative(dir, full)} ${st.mode} ${st.size} ${st.mtimeNs} ${st.nlink} ${content}`);
      if (st.isDirectory()) visit(full);
    }
  };
  visit(dir);
  return out.sort();
}

export function registerReadOnlyCases(test: Case): void {
  test('read-only: reads pass through', async ({ prep, reopen }) => {
    await fixture(prep);
    const vfs = await reopen();
    const f = await walk(vfs, 'd/f');
    assert.is((await readAll(vfs, f.id)).toString(), 'read me');
    assert.is((await vfs.getxattr(ME, f.id, 'user.k')).toString(), 'v');
    assert.ok((await vfs.listxattr(ME, f.id)).includes('user.k'));
    const l = await walk(vfs, 'd/l');
    assert.is((await vfs.readlink(l.id)).toString(), 'f');
    const d = await walk(vfs, 'd');
    const h = await vfs.opendir(ME, d.id);
    assert.is((await vfs.readdir(h, 0n, 100)).length, 5);
    await vfs.releasedir(h);
    assert.ok((await vfs.statfs(vfs.root)).blocks > 0n);
    await vfs.access(ME, f.id, R_OK);
    const fh = await vfs.open(ME, f.id, O_RDONLY);
    assert.ok(await vfs.setlk(fh, 'o', { type: 'read', start: 0n, length: 0n, pid: 1 }));
    await vfs.fsync(fh, false);
    await vfs.release(fh);
  });

  test('read-only: every change is EROFS and the host tree is untouched', async ({ prep, reopen, data }) => {
    await fixture(prep);
    const before = snapshot(data);
    const vfs = await reopen();
    const d = await walk(vfs, 'd');
    const f = await walk(vfs, 'd/f');
    const e = await walk(vfs, 'd/empty');
    await rejects(vfs.access(ME, f.id, W_OK), 'EROFS', 'access W_OK');
    for (const flags of [O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_APPEND, O_RDWR | O_CREAT]) {
      await rejects(vfs.open(ME, f.id, flags), 'EROFS', `open ${flags.toString(8)}`);
      if (vfs.openWithAttr) await rejects(vfs.openWithAttr(ME, f.id, flags), 'EROFS', `openWithAttr ${flags.toString(8)}`);
    }
    const ra = await vfs.open(ME, f.id, O_RDONLY | O_APPEND | O_CREAT);
    await vfs.release(ra);
    await rejects(vfs.create(ME, d.id, B('new'), O_CREAT | O_WRONLY, 0o644), 'EROFS', 'create');
    await rejects(vfs.create(ME, d.id, B('f'), O_CREAT | O_RDONLY, 0o644), 'EROFS', 'create of an existing file');
    const h = await vfs.open(ME, f.id, O_RDONLY);
    await rejects(vfs.write(h, 0n, B('x')), 'EROFS', 'write');
    await vfs.release(h);
    await rejects(vfs.setattr(ME, f.id, { size: 0n }), 'EROFS', 'truncate');
    await rejects(vfs.setattr(ME, f.id, { mode: 0o600 }), 'EROFS', 'chmod');
    await rejects(vfs.setattr(ME, f.id, { uid: 1 }), 'EROFS', 'chown');
    await rejects(vfs.setattr(ME, f.id, { mtime: 'now' }), 'EROFS', 'utimes');
    await rejects(vfs.mkdir(ME, d.id, B('m'), 0o755), 'EROFS', 'mkdir');
    await rejects(vfs.mknod(ME, d.id, B('p'), S_IFIFO | 0o644, 0n), 'EROFS', 'mknod');
    await rejects(vfs.symlink(ME, d.id, B('s'), B('t')), 'EROFS', 'symlink');
    await rejects(vfs.link(ME, f.id, d.id, B('h')), 'EROFS', 'link');
    await rejects(vfs.rename(ME, d.id, B('f'), d.id, B('g'), 0), 'EROFS', 'rename');
    await rejects(vfs.unlink(ME, d.id, B('f')), 'EROFS', 'unlink');
    await rejects(vfs.rmdir(ME, d.id, B('empty')), 'EROFS', 'rmdir');
    await rejects(vfs.setxattr(ME, f.id, 'user.n', B('v'), XATTR_CREATE), 'EROFS', 'setxattr');
    await rejects(vfs.removexattr(ME, f.id, 'user.k'), 'EROFS', 'removexattr');
    assert.is((await vfs.getattr(e.id)).nlink, 2);
    assert.equal(snapshot(data), before);
  });
}
