// Plain data types of the VFS contract. No behaviour, no imports.

/**
 * Identity of a node (an inode) for the life of one Vfs instance. Assigned
 * from a counter: never reused, unique across every host filesystem the
 * export spans. Front ends use it as the FUSE nodeid and the 9P qid.path.
 */
export type NodeId = number;

/** An open file or directory; valid until release/releasedir. Never reused. */
export type HandleId = number;

/** Who asks. Front ends fill it from the request (FUSE header, 9P attach/uid fields). */
export interface Cred {
  uid: number;
  gid: number;
  /** Supplementary groups, when the front end knows them. */
  groups?: readonly number[];
  pid?: number;
}

/** Times are nanoseconds since the epoch. */
export type Nanos = bigint;

export interface Attr {
  /** The NodeId of this node (the front ends' inode number). */
  ino: NodeId;
  /** Full st_mode: file type bits (S_IFREG, ...) and permission bits (07777). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** Linux dev_t of a device node (see makedev), else 0n. */
  rdev: bigint;
  size: bigint;
  /** 512-byte blocks allocated. */
  blocks: bigint;
  blksize: number;
  atime: Nanos;
  mtime: Nanos;
  ctime: Nanos;
  /** Birth time, 0n when the host does not know it. */
  btime: Nanos;
  /** Generation number (9P getattr gen, FUSE generation). */
  gen: number;
}

/** What setattr changes; an absent field stays as it is. */
export interface SetAttr {
  /** Permission bits only (07777); the file type never changes. */
  mode?: number;
  uid?: number;
  gid?: number;
  size?: bigint;
  atime?: Nanos | 'now';
  mtime?: Nanos | 'now';
}

/** A node returned with one new reference (see Vfs.forget). */
export interface Entry {
  id: NodeId;
  attr: Attr;
}

export interface DirEntry {
  /** The name as bytes: host names need not be UTF-8. */
  name: Buffer;
  /** DT_* type (DT_DIR = 4, DT_REG = 8, ...). */
  type: number;
  /**
   * Informational inode number (d_ino): the NodeId when the node is live,
   * else the host inode number with bit 63 set. Lookup gives the real identity.
   */
  ino: bigint;
  /** Cookie that resumes the listing just after this entry (never 0n). */
  cookie: bigint;
}

export interface StatFs {
  /** Fragment size, the unit of blocks/bfree/bavail. */
  bsize: number;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  namelen: number;
  /** Filesystem type magic as the host reports it. */
  type: number;
  fsid: bigint;
}

// Linux open(2) flag bits (x86_64 / generic values), the only encoding the
// VFS accepts: front ends translate their wire flags to these at the edge.
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;
/**
 * Linux's __FMODE_EXEC (0x20): the kernel's own flag for an open made to
 * execute the file (execve, uselib). Not an open(2) bit a program can pass;
 * front ends set it for an open the protocol says is for execution (9P
 * OEXEC), and the Vfs then checks execute permission instead of read.
 */
export const O_EXEC_OPEN = 0o40;

// st_mode type bits.
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

// Special mode bits.
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

/** Nanoseconds in a second: times travel as bigint nanoseconds since the epoch (Nanos). */
export const NS_PER_SEC = 1_000_000_000n;

/** [seconds, nanoseconds] of a time; a time before the epoch becomes 0 (the wire forms are unsigned). */
export function splitNs(ns: bigint): [bigint, bigint] {
  if (ns < 0n) return [0n, 0n];
  return [ns / NS_PER_SEC, ns % NS_PER_SEC];
}

// Directory entry types (dirent d_type).
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

/** d_type from st_mode. */
export function dtypeOf(mode: number): number {
  return (mode & S_IFMT) >> 12;
}

// access(2) mask bits.
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;
export const F_OK = 0;

// rename(2) flags (renameat2).
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;

// setxattr(2) flags.
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** Linux dev_t from major and minor, as glibc's makedev encodes it. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function major(dev: bigint): number {
  return Number(((dev >> 32n) & 0xfffff000n) | ((dev >> 8n) & 0xfffn));
}

export function minor(dev: bigint): number {
  return Number(((dev >> 12n) & 0xffffff00n) | (dev & 0xffn));
}
