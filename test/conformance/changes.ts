// Conformance cases: Vfs.onChange announces every change, with the node and kind.

import * as assert from 'uvu/assert';
import type { VfsChange } from '../../src/changes.js';
import { O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, RENAME_EXCHANGE, S_IFIFO, type NodeId } from '../../src/types.js';
import { B, ME, rejects, type Case } from './vfs.js';

/** Changes as comparable strings: "data 5", "attr 5", "+1/name", "-1/name". */
function show(c: VfsChange): string {
  if (c.kind === 'entry') return `${c.change === 'added' ? '+' : '-'}${c.node}/${c.name.toString()}`;
  return `${c.kind} ${c.node}`;
}

export function registerChangeCases(test: Case): void {
  test('onChange: each change names its node and kind; reads announce nothing; unsubscribe stops it', async ({ vfs }) => {
    const heard: string[] = [];
    const stop = vfs.onChange((c) => heard.push(show(c)));
    const take = (): string[] => heard.splice(0);
    const r = vfs.root;

    const made = await vfs.create(ME, r, B('f'), O_CREAT | O_RDWR, 0o644);
    const f: NodeId = made.entry.id;
    assert.equal(take(), [`+${r}/f`], 'create');
    await vfs.write(made.handle, 0n, B('hello'));
    assert.equal(take(), [`data ${f}`], 'write');
    await vfs.write(made.handle, 0n, B(''));
    assert.equal(take(), [], 'an empty write changes nothing');
    const buf = Buffer.alloc(5);
    await vfs.read(made.handle, 0n, buf);
    await vfs.getattr(f);
    await vfs.lookup(ME, r, B('f')).then((e) => vfs.forget(e.id, 1));
    assert.equal(take(), [], 'reads announce nothing');
    await vfs.setattr(ME, f, { size: 2n });
    assert.equal(take(), [`data ${f}`], 'truncate');
    await vfs.setattr(ME, f, { mode: 0o600 });
    assert.equal(take(), [`attr ${f}`], 'chmod');
    await vfs.setxattr(ME, f, 'user.k', B('v'), 0);
    await vfs.removexattr(ME, f, 'user.k');
    assert.equal(take(), [`attr ${f}`, `attr ${f}`], 'xattrs');
    const t = await vfs.open(ME, f, O_RDWR | O_TRUNC);
    assert.equal(take(), [`data ${f}`], 'open O_TRUNC');
    await vfs.release(t);
    await vfs.release(made.handle);
    await vfs.release(await vfs.open(ME, f, O_RDONLY));
    assert.equal(take(), [], 'open and release');

    const d = await vfs.mkdir(ME, r, B('d'), 0o755);
    const p = await vfs.mknod(ME, d.id, B('p'), S_IFIFO | 0o644, 0n);
    const s = await vfs.symlink(ME, d.id, B('s'), B('target'));
    const l = await vfs.link(ME, f, d.id, B('l'));
    assert.equal(take(), [`+${r}/d`, `+${d.id}/p`, `+${d.id}/s`, `+${d.id}/l`, `attr ${f}`], 'mkdir, mknod, symlink, link');
    await vfs.rename(ME, d.id, B('p'), r, B('q'), 0);
    assert.equal(take(), [`-${d.id}/p`, `-${r}/q`, `+${r}/q`], 'rename');
    await vfs.rename(ME, r, B('q'), d.id, B('s'), RENAME_EXCHANGE);
    assert.equal(take(), [`-${r}/q`, `-${d.id}/s`, `+${d.id}/s`, `+${r}/q`], 'rename exchange');
    await vfs.unlink(ME, d.id, B('l'));
    await vfs.unlink(ME, d.id, B('s'));
    await vfs.unlink(ME, r, B('q'));
    await vfs.rmdir(ME, r, B('d'));
    // Each removed name's node is still referenced here: it hears of its lost link.
    assert.equal(take(), [`-${d.id}/l`, `attr ${f}`, `-${d.id}/s`, `attr ${p.id}`, `-${r}/q`, `attr ${s.id}`, `-${r}/d`, `attr ${d.id}`], 'unlink, rmdir');
    await rejects(vfs.unlink(ME, r, B('absent')), 'ENOENT');
    await rejects(vfs.mkdir(ME, r, B('f'), 0o755), 'EEXIST');
    assert.equal(take(), [], 'a failed change announces nothing');

    stop();
    await vfs.mkdir(ME, r, B('e'), 0o755).then((e) => vfs.forget(e.id, 1));
    assert.equal(heard, [], 'nothing after unsubscribing');
    for (const e of [d, p, s, l]) vfs.forget(e.id, 1);
    vfs.forget(f, 1);
  });
}
