// An unopened fid follows its name across edits made on the host.
//
// The Linux client under cache=none does not revalidate a dentry that is in
// use (an open file, a cwd): it keeps sending Tgetattr, and a clone walk
// before each open, on that dentry's fid. A fid here is bound to a file, so
// after an editor's save on the host (a new file renamed over the name), a
// host delete or a `git checkout`, such a guest would stat and open the old
// file for as long as the dentry is in use. Path-based servers (diod, QEMU)
// answer for the name instead, which is what the guest's dentry means.
//
// So, before answering a getattr (.u: stat), a setattr or a clone walk of
// an unopened fid, the name where the Vfs last saw its node is looked up
// again: when it leads to another file now, the fid moves there; when it
// leads nowhere, ENOENT. For a getattr, one lstat of that name usually
// answers both (attrFollowingName). A node removed or replaced through the
// Vfs (by this or another client) is "detached" and keeps its identity: a
// guest that unlinked an open file itself still stats it. Open fids are never
// moved (POSIX: an open file stays the file it was). The cost is one lookup
// per such request.

import type { Attr, Entry } from '../../../src/types.js';
import { followFile, handleOf, type Fid, type NodeRefs } from '../fids.js';
import { qidOf } from '../qid.js';
import { protocolError } from '../replies.js';

/**
 * followName, then the fid's attributes. When the Vfs can tell in one step
 * that the name still leads to the fid's file (getattrByName: one lstat
 * where the core holds no descriptor), that answers both.
 */
export async function attrFollowingName(f: Fid, refs: NodeRefs, op: string): Promise<Attr> {
  if (follows(f)) {
    const a = await f.exp.vfs.getattrByName?.(f.node);
    if (a !== undefined) return a;
  }
  await followName(f, refs, op);
  return f.exp.vfs.getattr(f.node, handleOf(f));
}

/** An unopened fid that nothing else is changing follows its name. */
function follows(f: Fid): boolean {
  return f.open === undefined && f.xattr === undefined && f.busy === undefined;
}

export async function followName(f: Fid, refs: NodeRefs, op: string): Promise<void> {
  if (!follows(f)) return;
  const vfs = f.exp.vfs;
  // The root has no name; a detached node was removed through the Vfs.
  const where = await vfs.whereIs(f.node).catch(() => undefined);
  if (where === undefined) return;
  let e: Entry;
  try {
    e = await vfs.lookup(f.cred, where.parent, where.name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ESTALE' || code === 'ENOTDIR') {
      throw protocolError('ENOENT', op, 'the file was removed on the host');
    }
    throw err;
  }
  if (e.id === f.node || f.gone || f.open !== undefined || f.busy !== undefined) {
    vfs.forget(e.id, 1);
    return;
  }
  const old = f.node;
  f.node = refs.adopt(f.exp, e);
  refs.release(f.exp, old);
  f.qid = qidOf(e.attr);
  followFile(f, refs, where.parent, where.name);
}
