// Protocol constants. Sources: Plan 9 intro(5), open(5), stat(5); the 9P2000.u
// draft; Linux include/net/9p/9p.h; diod protocol.md (getattr/setattr masks,
// lock values). Values only: their meaning for the VFS is the server's job.

/** "The tag NOTAG, defined as (ushort)~0" (version(5)): Tversion's tag. */
export const NOTAG = 0xffff;
/** "NOFID, (u32int)~0" (attach(5)): afid when no authentication is done. */
export const NOFID = 0xffffffff;
/** 9P2000.u: n_uname ~0 means "use uname". */
export const NONUNAME = 0xffffffff;

/**
 * version(5): a server that does not understand the client's version
 * answers Rversion with "the string unknown".
 */
export const VERSION_UNKNOWN = 'unknown';

// Qid.type bits (intro(5); QTSYMLINK/QTLINK from 9P2000.u).
export const QTDIR = 0x80;
export const QTAPPEND = 0x40;
export const QTEXCL = 0x20;
export const QTMOUNT = 0x10;
export const QTAUTH = 0x08;
export const QTTMP = 0x04;
export const QTSYMLINK = 0x02;
export const QTLINK = 0x01;
export const QTFILE = 0x00;

// Stat/create mode bits (stat(5); the DM* below DMTMP are 9P2000.u).
export const DMDIR = 0x80000000;
export const DMAPPEND = 0x40000000;
export const DMEXCL = 0x20000000;
export const DMMOUNT = 0x10000000;
export const DMAUTH = 0x08000000;
export const DMTMP = 0x04000000;
export const DMSYMLINK = 0x02000000;
export const DMLINK = 0x01000000;
export const DMDEVICE = 0x00800000;
export const DMNAMEDPIPE = 0x00200000;
export const DMSOCKET = 0x00100000;
export const DMSETUID = 0x00080000;
export const DMSETGID = 0x00040000;
export const DMSETVTX = 0x00010000;

// 9P2000 open/create mode (open(5)); OAPPEND/OEXCL are 9P2000.u.
export const OREAD = 0;
export const OWRITE = 1;
export const ORDWR = 2;
export const OEXEC = 3;
export const OTRUNC = 0x10;
/** Close on exec (Plan 9 OCEXEC; Linux calls it P9_OREXEC). */
export const OCEXEC = 0x20;
export const ORCLOSE = 0x40;
export const OAPPEND = 0x80;
/** Linux's internal value; it does not fit Topen's mode[1], so never on the wire. */
export const OEXCL = 0x1000;

// Tgetattr request_mask / Rgetattr valid (u64).
export const P9_GETATTR_MODE = 0x1n;
export const P9_GETATTR_NLINK = 0x2n;
export const P9_GETATTR_UID = 0x4n;
export const P9_GETATTR_GID = 0x8n;
export const P9_GETATTR_RDEV = 0x10n;
export const P9_GETATTR_ATIME = 0x20n;
export const P9_GETATTR_MTIME = 0x40n;
export const P9_GETATTR_CTIME = 0x80n;
export const P9_GETATTR_INO = 0x100n;
export const P9_GETATTR_SIZE = 0x200n;
export const P9_GETATTR_BLOCKS = 0x400n;
export const P9_GETATTR_BTIME = 0x800n;
export const P9_GETATTR_GEN = 0x1000n;
export const P9_GETATTR_DATA_VERSION = 0x2000n;
/** Everything up to BLOCKS: what stat(2) needs. */
export const P9_GETATTR_BASIC = 0x7ffn;
export const P9_GETATTR_ALL = 0x3fffn;

// Tsetattr valid (u32). A time bit without its _SET bit means "now".
export const P9_SETATTR_MODE = 0x1;
export const P9_SETATTR_UID = 0x2;
export const P9_SETATTR_GID = 0x4;
export const P9_SETATTR_SIZE = 0x8;
export const P9_SETATTR_ATIME = 0x10;
export const P9_SETATTR_MTIME = 0x20;
export const P9_SETATTR_CTIME = 0x40;
export const P9_SETATTR_ATIME_SET = 0x80;
export const P9_SETATTR_MTIME_SET = 0x100;

// Tlock/Tgetlock lock_type.
export const P9_LOCK_TYPE_RDLCK = 0;
export const P9_LOCK_TYPE_WRLCK = 1;
export const P9_LOCK_TYPE_UNLCK = 2;
// Tlock flags.
export const P9_LOCK_FLAGS_BLOCK = 1;
export const P9_LOCK_FLAGS_RECLAIM = 2;
// Rlock status.
export const P9_LOCK_SUCCESS = 0;
export const P9_LOCK_BLOCKED = 1;
export const P9_LOCK_ERROR = 2;
export const P9_LOCK_GRACE = 3;

/** Tunlinkat flags: remove a directory (Linux AT_REMOVEDIR). */
export const P9_DOTL_AT_REMOVEDIR = 0x200;

// Txattrcreate flags (Linux setxattr(2)).
export const P9_XATTR_CREATE = 1;
export const P9_XATTR_REPLACE = 2;
