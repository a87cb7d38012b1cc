// 9P2000 and 9P2000.u: open, create, stat, wstat. The .u draft extends
// create with an `extension` string (symlink target, "c|b major minor" for
// devices, the fid number of an existing file for a hard link, as Linux
// v9fs writes it: "%d\n") and stat with numeric ids.

import { DMDEVICE, DMDIR, DMLINK, DMNAMEDPIPE, DMSOCKET, DMSYMLINK, NONUNAME, OREAD, ORCLOSE, openModeToLinuxFlags, type Stat, type StatU } from '../../codec/index.js';
import { NS_PER_SEC, O_CREAT, O_EXCL, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK, makedev, type Cred, type Entry, type HandleId, type SetAttr } from '../../../src/types.js';
import { uidOfName } from '../creds.js';
import { changeFid, followFile, handleOf, nameBytes, releaseOpen, type Fid, type OpenState } from '../fids.js';
import { qidOf } from '../qid.js';
import { protocolError } from '../replies.js';
import type { Hold } from '../limits.js';
import { dirFid, nameInParent, plainFid, withOpenSlot } from './common.js';
import { attrFollowingName } from './follow-name.js';
import { permOfDmMode, statOf } from './stat.js';
import type { HandlerTable, Msg, Reply, RequestContext } from './types.js';

const U32_DONT_TOUCH = 0xffffffff;
const U64_DONT_TOUCH = 0xffffffffffffffffn;

async function open(ctx: RequestContext, msg: Msg<'Topen'>): Promise<Reply> {
  const f = plainFid(ctx, msg.fid, 'open');
  const vfs = f.exp.vfs;
  const ledger = ctx.session.refs.ledger(f.exp);
  const dir = (f.qid.type & 0x80) !== 0;
  // open(5): directories may only be opened for reading.
  if (dir && ((msg.mode & 3) !== OREAD || msg.mode & ORCLOSE)) throw protocolError('EISDIR', 'open', 'directories open for reading only');
  const { attr, state } = await changeFid(
    f,
    'open',
    async () => {
      const attr = await vfs.getattr(f.node);
      const flags = openModeToLinuxFlags(msg.mode);
      const state = await withOpenSlot(ctx, 'open', async (slot): Promise<OpenState> =>
        dir ? { kind: 'dir', handle: await ledger.opendir(f.cred, f.node), slot } : { kind: 'file', handle: await ledger.open(f.cred, f.node, flags), flags, slot },
      );
      return { attr, state };
    },
    (got) => releaseOpen(ledger, got.state),
  );
  f.open = state;
  f.orclose = (msg.mode & ORCLOSE) !== 0;
  f.qid = qidOf(attr);
  return { type: 'Ropen', qid: f.qid, iounit: ctx.session.iounit };
}

/** "c 1 3" / "b 8 0" → [type bits, major, minor]. */
function parseDevice(ext: string): [number, number, number] {
  const m = /^([cb]) (\d+) (\d+)\s*$/.exec(ext);
  if (m === null) throw protocolError('EINVAL', 'create', `bad device extension "${ext}"`);
  return [m[1] === 'c' ? S_IFCHR : S_IFBLK, Number(m[2]), Number(m[3])];
}

/** The fid number of a DMLINK extension ("%d\n" as Linux writes it); EINVAL for anything else. */
function linkFid(ext: string): number {
  const m = /^(\d{1,10})\n?$/.exec(ext);
  const fid = m === null ? NaN : Number(m[1]);
  if (!(fid <= 0xffffffff)) throw protocolError('EINVAL', 'create', `bad hard-link extension "${ext}"`);
  return fid;
}

/** What Tcreate makes in directory fid `f`: the entry, how it is open, and whether ORCLOSE was asked. */
async function createEntry(
  s: RequestContext['session'],
  f: Fid,
  msg: Msg<'Tcreate'>,
  cred: Cred,
  perm: number,
  dotu: boolean,
  ext: string,
  slot: Hold,
): Promise<{ entry: Entry; state: OpenState; orclose: boolean }> {
  const vfs = f.exp.vfs;
  let entry: Entry;
  let state: OpenState;
  let orclose = false;
  if (msg.perm & DMDIR) {
    entry = await vfs.mkdir(cred, f.node, msg.name, perm);
    try {
      state = { kind: 'dir', handle: await s.refs.ledger(f.exp).opendir(cred, entry.id), slot };
    } catch (e) {
      vfs.forget(entry.id, 1);
      throw e;
    }
  } else if (dotu && msg.perm & DMSYMLINK) {
    entry = await vfs.symlink(cred, f.node, msg.name, Buffer.from(ext));
    state = { kind: 'none' };
  } else if (dotu && msg.perm & DMLINK) {
    const target = s.fids.get(linkFid(ext), 'create');
    // The target's node belongs to its own export's Vfs: like Tlink, no
    // link across exports (a node number means nothing in another table).
    if (target.exp !== f.exp) throw protocolError('EXDEV', 'create', 'hard link across exports');
    entry = await vfs.link(cred, target.node, f.node, msg.name);
    state = { kind: 'none' };
  } else if (dotu && msg.perm & (DMDEVICE | DMNAMEDPIPE | DMSOCKET)) {
    let mode: number;
    let rdev = 0n;
    if (msg.perm & DMDEVICE) {
      const [type, ma, mi] = parseDevice(ext);
      mode = type;
      rdev = makedev(ma, mi);
    } else {
      mode = msg.perm & DMNAMEDPIPE ? S_IFIFO : S_IFSOCK;
    }
    entry = await vfs.mknod(cred, f.node, msg.name, mode | perm, rdev);
    state = { kind: 'none' };
  } else {
    // create(5): creating a name that exists is an error.
    const flags = openModeToLinuxFlags(msg.mode) | O_CREAT | O_EXCL;
    const made: { entry: Entry; handle: HandleId } = await vfs.create(cred, f.node, msg.name, flags, perm);
    s.refs.ledger(f.exp).opened(made.handle, 'file');
    entry = made.entry;
    state = { kind: 'file', handle: made.handle, flags, slot };
    orclose = (msg.mode & ORCLOSE) !== 0;
  }
  return { entry, state, orclose };
}

async function create(ctx: RequestContext, msg: Msg<'Tcreate'>): Promise<Reply> {
  const s = ctx.session;
  const f = dirFid(ctx, msg.fid, 'create');
  const vfs = f.exp.vfs;
  const dotu = ctx.dialect === '9P2000.u';
  const perm = permOfDmMode(msg.perm, dotu);
  const ext = 'extension' in msg ? msg.extension.toString('utf8') : '';
  // 9P2000 carries no group: in the client access model new files take the
  // directory's group (BSD semantics); in the user model the attach's.
  let cred: Cred = f.cred;
  if (vfs.accessModel === 'client') cred = { ...f.cred, gid: (await vfs.getattr(f.node)).gid };
  const { entry, state, orclose } = await changeFid(
    f,
    'create',
    () =>
      withOpenSlot(ctx, 'create', async (slot) => {
        const made = await createEntry(s, f, msg, cred, perm, dotu, ext, slot);
        // A symlink, link or device is made, not opened.
        if (made.state.kind === 'none') slot.release();
        return made;
      }),
    async (made) => {
      await releaseOpen(s.refs.ledger(f.exp), made.state);
      vfs.forget(made.entry.id, 1);
    },
  );
  // create(5): "the fid ... represents the new file": the directory becomes its parent.
  const node = s.refs.adopt(f.exp, entry);
  if (f.parent !== undefined) s.refs.release(f.exp, f.parent);
  f.parent = f.node;
  f.node = node;
  f.name = msg.name.toString('latin1');
  f.qid = qidOf(entry.attr);
  f.open = state;
  f.orclose = orclose;
  return { type: 'Rcreate', qid: f.qid, iounit: s.iounit };
}

async function stat(ctx: RequestContext, msg: Msg<'Tstat'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'stat');
  const attr = await attrFollowingName(f, ctx.session.refs, 'stat');
  const st = await statOf(f.exp.vfs, f.node, attr, nameBytes(f), ctx.dialect === '9P2000.u');
  return { type: 'Rstat', stat: st as StatU };
}

function idOf(num: number | undefined, name: string, op: string): number | undefined {
  if (num !== undefined && num !== NONUNAME) return num;
  if (name === '') return undefined;
  const id = uidOfName(name);
  if (id === undefined) throw protocolError('EPERM', op, `unknown user or group "${name}"`);
  return id;
}

/**
 * wstat(5): ~0 in a number and "" in a string mean "don't touch". Attribute
 * changes go first, then a rename within the same directory (the only
 * rename 9P2000 has). wstat(5) wants all or nothing; the host gives no
 * transaction, so a failed rename leaves the attribute changes made.
 */
async function wstat(ctx: RequestContext, msg: Msg<'Twstat'>): Promise<Reply> {
  const f = ctx.session.fids.get(msg.fid, 'wstat');
  const st: Stat | StatU = msg.stat;
  const dotu = ctx.dialect === '9P2000.u';
  const set: SetAttr = {};
  if (st.mode !== U32_DONT_TOUCH) set.mode = permOfDmMode(st.mode, dotu);
  if (st.atime !== U32_DONT_TOUCH) set.atime = BigInt(st.atime) * NS_PER_SEC;
  if (st.mtime !== U32_DONT_TOUCH) set.mtime = BigInt(st.mtime) * NS_PER_SEC;
  if (st.length !== U64_DONT_TOUCH) set.size = st.length;
  const uid = idOf('n_uid' in st ? st.n_uid : undefined, st.uid, 'wstat');
  const gid = idOf('n_gid' in st ? st.n_gid : undefined, st.gid, 'wstat');
  if (uid !== undefined) set.uid = uid;
  if (gid !== undefined) set.gid = gid;
  const vfs = f.exp.vfs;
  if (Object.keys(set).length > 0) await vfs.setattr(f.cred, f.node, set, handleOf(f));
  // The file's current name decides whether this is a rename: another
  // client may have renamed it since the fid was walked.
  if (st.name.length > 0 && (f.parent !== undefined || !st.name.equals(nameBytes(f)))) {
    const { parent, name } = await nameInParent(f, ctx.session.refs, 'wstat');
    if (!st.name.equals(name)) {
      await vfs.rename(f.cred, parent, name, parent, st.name, 0);
      followFile(f, ctx.session.refs, parent, st.name);
    }
  }
  return { type: 'Rwstat' };
}

export const U_HANDLERS: HandlerTable = {
  Topen: open,
  Tcreate: create,
  Tstat: stat,
  Twstat: wstat,
};
