// One shape for "what is this file" across the dialects: 9P2000.L answers
// Tgetattr with Linux st_mode, numeric ids and nanosecond times; 9P2000 and
// 9P2000.u answer Tstat with stat(5) DM* mode bits, user names and (.u)
// numeric ids plus an extension string for symlinks and devices.

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
  type Qid,
  type Stat,
  type StatU,
} from '../codec/index.js';
import { major, minor, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX } from '../../src/types.js';
import type { ReplyTo } from './connection.js';

export interface FileInfo {
  qid: Qid;
  /** Linux st_mode: S_IF* type bits | permission and special bits. */
  mode: number;
  /** Owner: the number in decimal (.L, .u), or the 9P2000 user name. */
  uid: string;
  gid: string;
  size: bigint;
  mtimeSec: bigint;
  /** Link count (.L only). */
  nlink: bigint | undefined;
  /** Device major/minor (.L rdev; .u "c M m" extension), else undefined. */
  rdev: { major: number; minor: number } | undefined;
}

/** FileInfo from an Rgetattr. */
export function infoFromGetattr(r: ReplyTo<'Tgetattr'>): FileInfo {
  const isDev = (r.mode & S_IFMT) === S_IFCHR || (r.mode & S_IFMT) === S_IFBLK;
  return {
    qid: r.qid,
    mode: r.mode,
    uid: String(r.uid),
    gid: String(r.gid),
    size: r.size,
    mtimeSec: r.mtime_sec,
    nlink: r.nlink,
    rdev: isDev ? { major: major(r.rdev), minor: minor(r.rdev) } : undefined,
  };
}

/** Linux st_mode from stat(5) mode bits (and, for devices, the .u extension "c 1 3"). */
export function linuxModeOf(dm: number, extension?: Buffer): number {
  let type = S_IFREG;
  if (dm & DMDIR) type = S_IFDIR;
  else if (dm & DMSYMLINK) type = S_IFLNK;
  else if (dm & DMNAMEDPIPE) type = S_IFIFO;
  else if (dm & DMSOCKET) type = S_IFSOCK;
  else if (dm & DMDEVICE) type = extension?.[0] === 0x62 /* 'b' */ ? S_IFBLK : S_IFCHR;
  let special = 0;
  if (dm & DMSETUID) special |= S_ISUID;
  if (dm & DMSETGID) special |= S_ISGID;
  if (dm & DMSETVTX) special |= S_ISVTX;
  return type | special | (dm & 0o777);
}

/** FileInfo from a 9P2000 or 9P2000.u stat. */
export function infoFromStat(st: Stat | StatU): FileInfo {
  const u = 'extension' in st ? st : undefined;
  const mode = linuxModeOf(st.mode, u?.extension);
  let rdev: FileInfo['rdev'];
  if (u && (mode & S_IFMT) !== S_IFREG && st.mode & DMDEVICE) {
    const m = /^[cb] (\d+) (\d+)$/.exec(u.extension.toString('latin1'));
    if (m) rdev = { major: Number(m[1]), minor: Number(m[2]) };
  }
  return {
    qid: st.qid,
    mode,
    uid: u && u.n_uid !== NONUNAME ? String(u.n_uid) : st.uid,
    gid: u && u.n_gid !== NONUNAME ? String(u.n_gid) : st.gid,
    size: st.length,
    mtimeSec: BigInt(st.mtime),
    nlink: undefined,
    rdev,
  };
}

/**
 * A Twstat stat that changes nothing (stat(5): "a wstat request can avoid
 * modifying some properties of the file by providing explicit 'don't touch'
 * values": ~0 numbers, empty strings). Set the fields to change on a copy.
 */
export function dontTouchStat(dotu: boolean): Stat | StatU {
  const base: Stat = {
    type: 0xffff,
    dev: 0xffffffff,
    qid: { type: 0xff, version: 0xffffffff, path: 0xffffffffffffffffn },
    mode: 0xffffffff,
    atime: 0xffffffff,
    mtime: 0xffffffff,
    length: 0xffffffffffffffffn,
    name: Buffer.alloc(0),
    uid: '',
    gid: '',
    muid: '',
  };
  if (!dotu) return base;
  return { ...base, extension: Buffer.alloc(0), n_uid: NONUNAME, n_gid: NONUNAME, n_muid: NONUNAME };
}
