// stat(5) entries from VFS attributes, for 9P2000 and 9P2000.u, and the
// reverse for wstat. 9P2000 knows directories, append-only and exclusive
// files; the .u draft adds symlinks, devices, pipes, sockets and the
// setuid/setgid/sticky bits (DM* bits), with the symlink target or
// "c|b major minor" in `extension` and numeric ids next to the names.

import {
  DMDEVICE,
  DMDIR,
  DMNAMEDPIPE,
  DMSETGID,
  DMSETUID,
  DMSETVTX,
  DMSOCKET,
  DMSYMLINK,
  NONUNAME,
  type Stat,
  type StatU,
} from '../../codec/index.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX, major, minor, splitNs, type Attr, type NodeId } from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import { nameOfId } from '../creds.js';
import { qidOf } from '../qid.js';

/** The stat(5) mode word: DM* type bits and permission bits. */
export function dmModeOf(mode: number, dotu: boolean): number {
  let m = mode & 0o777;
  const type = mode & S_IFMT;
  if (type === S_IFDIR) m |= DMDIR;
  if (dotu) {
    if (type === S_IFLNK) m |= DMSYMLINK;
    else if (type === S_IFCHR || type === S_IFBLK) m |= DMDEVICE;
    else if (type === S_IFIFO) m |= DMNAMEDPIPE;
    else if (type === S_IFSOCK) m |= DMSOCKET;
    if (mode & S_ISUID) m |= DMSETUID;
    if (mode & S_ISGID) m |= DMSETGID;
    if (mode & S_ISVTX) m |= DMSETVTX;
  }
  return m >>> 0;
}

/** Permission bits (07777) of a wstat/create mode word; the type bits never change a file. */
export function permOfDmMode(dm: number, dotu: boolean): number {
  let p = dm & 0o777;
  if (dotu) {
    if (dm & DMSETUID) p |= S_ISUID;
    if (dm & DMSETGID) p |= S_ISGID;
    if (dm & DMSETVTX) p |= S_ISVTX;
  }
  return p;
}

function seconds(ns: bigint): number {
  const [s] = splitNs(ns);
  return s > 0xffffffffn ? 0xffffffff : Number(s);
}

/** The .u extension: the symlink target, or "c|b major minor" for a device. */
async function extensionOf(vfs: Vfs, id: NodeId, attr: Attr): Promise<Buffer> {
  const type = attr.mode & S_IFMT;
  if (type === S_IFLNK) return vfs.readlink(id);
  if (type === S_IFCHR || type === S_IFBLK) {
    return Buffer.from(`${type === S_IFCHR ? 'c' : 'b'} ${major(attr.rdev)} ${minor(attr.rdev)}`);
  }
  return Buffer.alloc(0);
}

export async function statOf(vfs: Vfs, id: NodeId, attr: Attr, name: Buffer, dotu: boolean): Promise<Stat | StatU> {
  const isDir = (attr.mode & S_IFMT) === S_IFDIR;
  const base: Stat = {
    type: 0,
    dev: 0,
    qid: qidOf(attr),
    mode: dmModeOf(attr.mode, dotu),
    atime: seconds(attr.atime),
    mtime: seconds(attr.mtime),
    // stat(5): "directories ... have a conventional length of 0".
    length: isDir ? 0n : attr.size,
    name,
    uid: nameOfId(attr.uid),
    gid: nameOfId(attr.gid),
    muid: '',
  };
  if (!dotu) return base;
  return { ...base, extension: await extensionOf(vfs, id, attr), n_uid: attr.uid, n_gid: attr.gid, n_muid: NONUNAME };
}
