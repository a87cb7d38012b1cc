// 9P2000.L as Linux v9fs speaks it (include/net/9p/9p.h ids, net/9p/client.c
// layouts; diod's protocol.md documents the same): the 9P2000 messages
// version, flush, walk, read, write, clunk, remove; the 9P2000.u auth and
// attach (with n_uname); and the Linux-VFS-shaped messages below.
//
// Decision: this table has NO Topen/Tcreate/Tstat/Twstat and no Rerror.
// Linux never sends them on a .L session (it uses lopen, lcreate,
// getattr/setattr) and expects Rlerror for every failure, so a .L frame
// with one of those types decodes as 'unknown-type' and the server answers
// Rlerror for the tag.
//
// Two wire fields are called `type` in the documents (Rstatfs type[4], the
// lock type[1] of Tlock/Tgetlock/Rgetlock). `type` is the message
// discriminant here, so they are `fs_type` and `lock_type`.

import { u8, u32, u64, str, raw, data, qid } from '../fields.js';
import type { Table } from '../table.js';
import { P9P2000 } from './p9p2000.js';
import { P9P2000u } from './p9p2000u.js';

const b = P9P2000;
const u = P9P2000u;

export const P9P2000L = {
  Tversion: b.Tversion,
  Rversion: b.Rversion,
  Tauth: u.Tauth,
  Rauth: u.Rauth,
  Tattach: u.Tattach,
  Rattach: u.Rattach,
  Tflush: b.Tflush,
  Rflush: b.Rflush,
  Twalk: b.Twalk,
  Rwalk: b.Rwalk,
  Tread: b.Tread,
  Rread: b.Rread,
  Twrite: b.Twrite,
  Rwrite: b.Rwrite,
  Tclunk: b.Tclunk,
  Rclunk: b.Rclunk,
  Tremove: b.Tremove,
  Rremove: b.Rremove,

  // lerror: ecode is a Linux errno. (Tlerror, 6, is never sent.)
  Rlerror: { id: 7, fields: [['ecode', u32]] },
  Tstatfs: { id: 8, fields: [['fid', u32]] },
  Rstatfs: {
    id: 9,
    fields: [
      ['fs_type', u32],
      ['bsize', u32],
      ['blocks', u64],
      ['bfree', u64],
      ['bavail', u64],
      ['files', u64],
      ['ffree', u64],
      ['fsid', u64],
      ['namelen', u32],
    ],
  },
  // flags are Linux open(2) bits (P9_DOTL_*)
  Tlopen: { id: 12, fields: [['fid', u32], ['flags', u32]] },
  Rlopen: { id: 13, fields: [['qid', qid], ['iounit', u32]] },
  Tlcreate: { id: 14, fields: [['fid', u32], ['name', raw], ['flags', u32], ['mode', u32], ['gid', u32]] },
  Rlcreate: { id: 15, fields: [['qid', qid], ['iounit', u32]] },
  Tsymlink: { id: 16, fields: [['fid', u32], ['name', raw], ['symtgt', raw], ['gid', u32]] },
  Rsymlink: { id: 17, fields: [['qid', qid]] },
  Tmknod: {
    id: 18,
    fields: [['dfid', u32], ['name', raw], ['mode', u32], ['major', u32], ['minor', u32], ['gid', u32]],
  },
  Rmknod: { id: 19, fields: [['qid', qid]] },
  Trename: { id: 20, fields: [['fid', u32], ['dfid', u32], ['name', raw]] },
  Rrename: { id: 21, fields: [] },
  Treadlink: { id: 22, fields: [['fid', u32]] },
  Rreadlink: { id: 23, fields: [['target', raw]] },
  Tgetattr: { id: 24, fields: [['fid', u32], ['request_mask', u64]] },
  Rgetattr: {
    id: 25,
    fields: [
      ['valid', u64],
      ['qid', qid],
      ['mode', u32],
      ['uid', u32],
      ['gid', u32],
      ['nlink', u64],
      ['rdev', u64],
      ['size', u64],
      ['blksize', u64],
      ['blocks', u64],
      ['atime_sec', u64],
      ['atime_nsec', u64],
      ['mtime_sec', u64],
      ['mtime_nsec', u64],
      ['ctime_sec', u64],
      ['ctime_nsec', u64],
      ['btime_sec', u64],
      ['btime_nsec', u64],
      ['gen', u64],
      ['data_version', u64],
    ],
  },
  Tsetattr: {
    id: 26,
    fields: [
      ['fid', u32],
      ['valid', u32],
      ['mode', u32],
      ['uid', u32],
      ['gid', u32],
      ['size', u64],
      ['atime_sec', u64],
      ['atime_nsec', u64],
      ['mtime_sec', u64],
      ['mtime_nsec', u64],
    ],
  },
  Rsetattr: { id: 27, fields: [] },
  // xattr names are text ("user.foo"); an empty name lists them
  Txattrwalk: { id: 30, fields: [['fid', u32], ['newfid', u32], ['name', str]] },
  Rxattrwalk: { id: 31, fields: [['size', u64]] },
  Txattrcreate: { id: 32, fields: [['fid', u32], ['name', str], ['attr_size', u64], ['flags', u32]] },
  Rxattrcreate: { id: 33, fields: [] },
  // readdir: data is packed qid[13] offset[8] type[1] name[s] entries (see dirents.ts)
  Treaddir: { id: 40, fields: [['fid', u32], ['offset', u64], ['count', u32]] },
  Rreaddir: { id: 41, fields: [['data', data]] },
  // Linux sends "dd" (fid, datasync) since 2.6.39; diod's protocol.md agrees
  Tfsync: { id: 50, fields: [['fid', u32], ['datasync', u32]] },
  Rfsync: { id: 51, fields: [] },
  Tlock: {
    id: 52,
    fields: [
      ['fid', u32],
      ['lock_type', u8],
      ['flags', u32],
      ['start', u64],
      ['length', u64],
      ['proc_id', u32],
      ['client_id', str],
    ],
  },
  Rlock: { id: 53, fields: [['status', u8]] },
  Tgetlock: {
    id: 54,
    fields: [['fid', u32], ['lock_type', u8], ['start', u64], ['length', u64], ['proc_id', u32], ['client_id', str]],
  },
  Rgetlock: {
    id: 55,
    fields: [['lock_type', u8], ['start', u64], ['length', u64], ['proc_id', u32], ['client_id', str]],
  },
  Tlink: { id: 70, fields: [['dfid', u32], ['fid', u32], ['name', raw]] },
  Rlink: { id: 71, fields: [] },
  Tmkdir: { id: 72, fields: [['dfid', u32], ['name', raw], ['mode', u32], ['gid', u32]] },
  Rmkdir: { id: 73, fields: [['qid', qid]] },
  Trenameat: { id: 74, fields: [['olddirfid', u32], ['oldname', raw], ['newdirfid', u32], ['newname', raw]] },
  Rrenameat: { id: 75, fields: [] },
  // flags: AT_REMOVEDIR (0x200) or 0
  Tunlinkat: { id: 76, fields: [['dirfd', u32], ['name', raw], ['flags', u32]] },
  Runlinkat: { id: 77, fields: [] },
} as const satisfies Table;
