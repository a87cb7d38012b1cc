// 9P2000.u (the Unix extension, experimental-draft-9P2000-unix-extension)
// changes five messages of 9P2000 and the stat structure; Linux's
// net/9p/protocol.c reads the same layouts ("s?d" for Rerror, "dsdb?s" for
// Tcreate, "wwdQdddqssss?sddd" for stat).

import { u32, str, raw, stat2000u } from '../fields.js';
import type { Table } from '../table.js';
import { P9P2000 } from './p9p2000.js';

export const P9P2000u = {
  ...P9P2000,
  // n_uname: the numeric uid, used in preference to uname unless ~0 (NONUNAME)
  Tauth: { id: 102, fields: [...P9P2000.Tauth.fields, ['n_uname', u32]] },
  Tattach: { id: 104, fields: [...P9P2000.Tattach.fields, ['n_uname', u32]] },
  // errno: a Linux errno number next to the text
  Rerror: { id: 107, fields: [['ename', str], ['errno', u32]] },
  // extension: symlink target or "c|b major minor" for special files (bytes)
  Tcreate: { id: 114, fields: [...P9P2000.Tcreate.fields, ['extension', raw]] },
  Rstat: { id: 125, fields: [['stat', stat2000u]] },
  Twstat: { id: 126, fields: [['fid', u32], ['stat', stat2000u]] },
} as const satisfies Table;
