// Numbers of the kernel FUSE protocol (linux/fuse.h, protocol 7.45, as
// Linux 6.18 speaks it). Names drop the FUSE_ prefix inside the objects.

/** The protocol this codec speaks: 7.45. */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 45;
/** The node id of the mount's root; it is never looked up or forgotten. */
export const FUSE_ROOT_ID = 1n;
/** fuse.h: the read buffer for /dev/fuse must be at least 8 KiB. */
export const FUSE_MIN_READ_BUFFER = 8192;

/** enum fuse_opcode: the requests the kernel sends (DAX mapping and CUSE opcodes left out). */
export const OPCODE = {
  LOOKUP: 1,
  FORGET: 2, // no reply
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36, // no reply
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41, // the kernel's answer to a NOTIFY_RETRIEVE; no reply
  BATCH_FORGET: 42, // no reply
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SYNCFS: 50,
  TMPFILE: 51,
  STATX: 52,
  COPY_FILE_RANGE_64: 53,
} as const;

export type OpcodeName = keyof typeof OPCODE;

/**
 * INIT flags as one 64-bit set. On the wire the low word is `flags` and
 * bits 32..63 are shifted down into `flags2` (fuse_init_in/out); use
 * joinInitFlags/splitInitFlags. bigint, because JS bit operators on
 * numbers cut to 32 bits.
 */
export const INIT = {
  ASYNC_READ: 1n << 0n,
  POSIX_LOCKS: 1n << 1n,
  FILE_OPS: 1n << 2n,
  ATOMIC_O_TRUNC: 1n << 3n,
  EXPORT_SUPPORT: 1n << 4n,
  BIG_WRITES: 1n << 5n,
  DONT_MASK: 1n << 6n,
  SPLICE_WRITE: 1n << 7n,
  SPLICE_MOVE: 1n << 8n,
  SPLICE_READ: 1n << 9n,
  FLOCK_LOCKS: 1n << 10n,
  HAS_IOCTL_DIR: 1n << 11n,
  AUTO_INVAL_DATA: 1n << 12n,
  DO_READDIRPLUS: 1n << 13n,
  READDIRPLUS_AUTO: 1n << 14n,
  ASYNC_DIO: 1n << 15n,
  WRITEBACK_CACHE: 1n << 16n,
  NO_OPEN_SUPPORT: 1n << 17n,
  PARALLEL_DIROPS: 1n << 18n,
  HANDLE_KILLPRIV: 1n << 19n,
  POSIX_ACL: 1n << 20n,
  ABORT_ERROR: 1n << 21n,
  MAX_PAGES: 1n << 22n,
  CACHE_SYMLINKS: 1n << 23n,
  NO_OPENDIR_SUPPORT: 1n << 24n,
  EXPLICIT_INVAL_DATA: 1n << 25n,
  MAP_ALIGNMENT: 1n << 26n,
  SUBMOUNTS: 1n << 27n,
  HANDLE_KILLPRIV_V2: 1n << 28n,
  SETXATTR_EXT: 1n << 29n,
  INIT_EXT: 1n << 30n, // flags2 is valid
  INIT_RESERVED: 1n << 31n,
  // flags2 (bit - 32)
  SECURITY_CTX: 1n << 32n,
  HAS_INODE_DAX: 1n << 33n,
  CREATE_SUPP_GROUP: 1n << 34n,
  HAS_EXPIRE_ONLY: 1n << 35n,
  DIRECT_IO_ALLOW_MMAP: 1n << 36n,
  PASSTHROUGH: 1n << 37n,
  NO_EXPORT_SUPPORT: 1n << 38n,
  HAS_RESEND: 1n << 39n,
  ALLOW_IDMAP: 1n << 40n,
  OVER_IO_URING: 1n << 41n,
  REQUEST_TIMEOUT: 1n << 42n,
} as const;

/** flags + flags2 of an INIT request or reply as one 64-bit set. */
export function joinInitFlags(flags: number, flags2: number): bigint {
  return (BigInt(flags2 >>> 0) << 32n) | BigInt(flags >>> 0);
}

/** A 64-bit INIT flag set as the wire's flags (low word) and flags2 (high word). */
export function splitInitFlags(v: bigint): { flags: number; flags2: number } {
  return { flags: Number(v & 0xffffffffn), flags2: Number((v >> 32n) & 0xffffffffn) };
}

/** fuse_setattr_in.valid */
export const FATTR = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

/** fuse_open_out.open_flags */
export const FOPEN = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  STREAM: 1 << 4,
  NOFLUSH: 1 << 5,
  PARALLEL_DIRECT_WRITES: 1 << 6,
  PASSTHROUGH: 1 << 7,
} as const;

/** Small flag words of single requests. */
export const FUSE_RELEASE_FLUSH = 1 << 0;
export const FUSE_RELEASE_FLOCK_UNLOCK = 1 << 1;
export const FUSE_GETATTR_FH = 1 << 0;
export const FUSE_LK_FLOCK = 1 << 0;
export const FUSE_WRITE_CACHE = 1 << 0;
export const FUSE_WRITE_LOCKOWNER = 1 << 1;
export const FUSE_WRITE_KILL_SUIDGID = 1 << 2;
export const FUSE_READ_LOCKOWNER = 1 << 1;
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
export const FUSE_OPEN_KILL_SUIDGID = 1 << 0; // fuse_open_in/fuse_create_in.open_flags
export const FUSE_SETXATTR_ACL_KILL_SGID = 1 << 0;
export const FUSE_EXPIRE_ONLY = 1 << 0; // notify inval_entry flags
export const FUSE_ATTR_SUBMOUNT = 1 << 0; // fuse_attr.flags
export const FUSE_ATTR_DAX = 1 << 1;
export const FUSE_POLL_SCHEDULE_NOTIFY = 1 << 0;
export const FUSE_IOCTL_COMPAT = 1 << 0;
export const FUSE_IOCTL_UNRESTRICTED = 1 << 1;
export const FUSE_IOCTL_RETRY = 1 << 2;
export const FUSE_IOCTL_32BIT = 1 << 3;
export const FUSE_IOCTL_DIR = 1 << 4;
export const FUSE_IOCTL_COMPAT_X32 = 1 << 5;

/** enum fuse_notify_code: the `error` field of an unsolicited message (unique 0). */
export const NOTIFY = {
  POLL: 1,
  INVAL_INODE: 2,
  INVAL_ENTRY: 3,
  STORE: 4,
  RETRIEVE: 5,
  DELETE: 6,
  RESEND: 7,
  INC_EPOCH: 8,
  PRUNE: 9,
} as const;
