// 9P2000 as the Plan 9 manual section 5 defines it (intro(5) and one page
// per transaction). Each entry is `size[4] Tname:id tag[2] <fields>`; the
// fields listed here are what follows the tag. R-messages are T + 1.
// Type 106 (Terror) is illegal and has no entry.

import { u8, u16, u32, u64, str, raw, data, qid, wnames, wqids, stat2000 } from '../fields.js';
import type { Table } from '../table.js';

export const P9P2000 = {
  // version(5): msize[4] version[s]
  Tversion: { id: 100, fields: [['msize', u32], ['version', str]] },
  Rversion: { id: 101, fields: [['msize', u32], ['version', str]] },
  // attach(5)
  Tauth: { id: 102, fields: [['afid', u32], ['uname', str], ['aname', str]] },
  Rauth: { id: 103, fields: [['aqid', qid]] },
  Tattach: { id: 104, fields: [['fid', u32], ['afid', u32], ['uname', str], ['aname', str]] },
  Rattach: { id: 105, fields: [['qid', qid]] },
  // error(5): there is no Terror
  Rerror: { id: 107, fields: [['ename', str]] },
  // flush(5)
  Tflush: { id: 108, fields: [['oldtag', u16]] },
  Rflush: { id: 109, fields: [] },
  // walk(5)
  Twalk: { id: 110, fields: [['fid', u32], ['newfid', u32], ['wname', wnames]] },
  Rwalk: { id: 111, fields: [['wqid', wqids]] },
  // open(5)
  Topen: { id: 112, fields: [['fid', u32], ['mode', u8]] },
  Ropen: { id: 113, fields: [['qid', qid], ['iounit', u32]] },
  Tcreate: { id: 114, fields: [['fid', u32], ['name', raw], ['perm', u32], ['mode', u8]] },
  Rcreate: { id: 115, fields: [['qid', qid], ['iounit', u32]] },
  // read(5): the count of Rread and Twrite is the length of `data`
  Tread: { id: 116, fields: [['fid', u32], ['offset', u64], ['count', u32]] },
  Rread: { id: 117, fields: [['data', data]] },
  Twrite: { id: 118, fields: [['fid', u32], ['offset', u64], ['data', data]] },
  Rwrite: { id: 119, fields: [['count', u32]] },
  // clunk(5), remove(5)
  Tclunk: { id: 120, fields: [['fid', u32]] },
  Rclunk: { id: 121, fields: [] },
  Tremove: { id: 122, fields: [['fid', u32]] },
  Rremove: { id: 123, fields: [] },
  // stat(5): stat[n] is n[2] followed by the stat entry
  Tstat: { id: 124, fields: [['fid', u32]] },
  Rstat: { id: 125, fields: [['stat', stat2000]] },
  Twstat: { id: 126, fields: [['fid', u32], ['stat', stat2000]] },
  Rwstat: { id: 127, fields: [] },
} as const satisfies Table;
