// What the kernel sends: for each opcode, the fields after fuse_in_header
// (the opN_in struct, then NUL-terminated names and trailing data), in
// wire order, as linux/fuse.h 7.45 lays them out. Field names are fuse.h's.
// Padding words are skipped (see fields.ts `padded`).

import type { Table } from '../../src/wire/index.js';
import { OPCODE as O } from './constants.js';
import { u32, u64, cstr, rest, padded, fileLock, forgets } from './fields.js';

const name = ['name', cstr] as const;
// fuse_read_in, shared by READ, READDIR and READDIRPLUS (40 bytes)
const readIn = [
  ['fh', u64],
  ['offset', u64],
  ['size', u32],
  ['read_flags', u32],
  ['lock_owner', u64],
  ['flags', padded(u32, 4)],
] as const;
// fuse_open_in (8)
const openIn = [
  ['flags', u32],
  ['open_flags', u32],
] as const;
// fuse_release_in (24)
const releaseIn = [
  ['fh', u64],
  ['flags', u32],
  ['release_flags', u32],
  ['lock_owner', u64],
] as const;
// fuse_fsync_in (16)
const fsyncIn = [
  ['fh', u64],
  ['fsync_flags', padded(u32, 4)],
] as const;
// fuse_lk_in (48)
const lkIn = [
  ['fh', u64],
  ['owner', u64],
  ['lk', fileLock],
  ['lk_flags', padded(u32, 4)],
] as const;
// fuse_create_in (16) + name; TMPFILE sends the same, with the name "/"
const createIn = [['flags', u32], ['mode', u32], ['umask', u32], ['open_flags', u32], name] as const;
// fuse_copy_file_range_in (56)
const copyIn = [
  ['fh_in', u64],
  ['off_in', u64],
  ['nodeid_out', u64],
  ['fh_out', u64],
  ['off_out', u64],
  ['len', u64],
  ['flags', u64],
] as const;

export const REQUESTS = {
  LOOKUP: { id: O.LOOKUP, fields: [name] },
  FORGET: { id: O.FORGET, fields: [['nlookup', u64]] },
  BATCH_FORGET: { id: O.BATCH_FORGET, fields: [['forgets', forgets]] },
  // fuse_getattr_in: getattr_flags, dummy, fh
  GETATTR: { id: O.GETATTR, fields: [['getattr_flags', padded(u32, 4)], ['fh', u64]] },
  // fuse_setattr_in (88): valid, padding, fh … ctimensec, mode, unused4, uid, gid, unused5
  SETATTR: {
    id: O.SETATTR,
    fields: [
      ['valid', padded(u32, 4)],
      ['fh', u64],
      ['size', u64],
      ['lock_owner', u64],
      ['atime', u64],
      ['mtime', u64],
      ['ctime', u64],
      ['atimensec', u32],
      ['mtimensec', u32],
      ['ctimensec', u32],
      ['mode', padded(u32, 4)],
      ['uid', u32],
      ['gid', padded(u32, 4)],
    ],
  },
  READLINK: { id: O.READLINK, fields: [] },
  // the new entry's name, then the link target
  SYMLINK: { id: O.SYMLINK, fields: [name, ['link', cstr]] },
  // fuse_mknod_in: mode, rdev, umask, padding
  MKNOD: { id: O.MKNOD, fields: [['mode', u32], ['rdev', u32], ['umask', padded(u32, 4)], name] },
  MKDIR: { id: O.MKDIR, fields: [['mode', u32], ['umask', u32], name] },
  UNLINK: { id: O.UNLINK, fields: [name] },
  RMDIR: { id: O.RMDIR, fields: [name] },
  RENAME: { id: O.RENAME, fields: [['newdir', u64], ['oldname', cstr], ['newname', cstr]] },
  RENAME2: { id: O.RENAME2, fields: [['newdir', u64], ['flags', padded(u32, 4)], ['oldname', cstr], ['newname', cstr]] },
  LINK: { id: O.LINK, fields: [['oldnodeid', u64], ['newname', cstr]] },
  OPEN: { id: O.OPEN, fields: openIn },
  READ: { id: O.READ, fields: readIn },
  // fuse_write_in (40) + `size` bytes of data
  WRITE: {
    id: O.WRITE,
    fields: [
      ['fh', u64],
      ['offset', u64],
      ['size', u32],
      ['write_flags', u32],
      ['lock_owner', u64],
      ['flags', padded(u32, 4)],
      ['data', rest],
    ],
  },
  STATFS: { id: O.STATFS, fields: [] },
  RELEASE: { id: O.RELEASE, fields: releaseIn },
  FSYNC: { id: O.FSYNC, fields: fsyncIn },
  // fuse_setxattr_in as sent once FUSE_SETXATTR_EXT is agreed (16 bytes);
  // without it the kernel sends the 8-byte form (see SETXATTR_COMPAT).
  SETXATTR: {
    id: O.SETXATTR,
    fields: [['size', u32], ['flags', u32], ['setxattr_flags', padded(u32, 4)], name, ['value', rest]],
  },
  GETXATTR: { id: O.GETXATTR, fields: [['size', padded(u32, 4)], name] },
  LISTXATTR: { id: O.LISTXATTR, fields: [['size', padded(u32, 4)]] },
  REMOVEXATTR: { id: O.REMOVEXATTR, fields: [name] },
  // fuse_flush_in: fh, unused, padding, lock_owner
  FLUSH: { id: O.FLUSH, fields: [['fh', padded(u64, 8)], ['lock_owner', u64]] },
  // fuse_init_in (64): major, minor, max_readahead, flags, flags2, unused[11]
  INIT: {
    id: O.INIT,
    fields: [['major', u32], ['minor', u32], ['max_readahead', u32], ['flags', u32], ['flags2', padded(u32, 44)]],
  },
  OPENDIR: { id: O.OPENDIR, fields: openIn },
  READDIR: { id: O.READDIR, fields: readIn },
  RELEASEDIR: { id: O.RELEASEDIR, fields: releaseIn },
  FSYNCDIR: { id: O.FSYNCDIR, fields: fsyncIn },
  GETLK: { id: O.GETLK, fields: lkIn },
  SETLK: { id: O.SETLK, fields: lkIn },
  SETLKW: { id: O.SETLKW, fields: lkIn },
  ACCESS: { id: O.ACCESS, fields: [['mask', padded(u32, 4)]] },
  CREATE: { id: O.CREATE, fields: createIn },
  // the unique of the request to interrupt
  INTERRUPT: { id: O.INTERRUPT, fields: [['unique', u64]] },
  BMAP: { id: O.BMAP, fields: [['block', u64], ['blocksize', padded(u32, 4)]] },
  DESTROY: { id: O.DESTROY, fields: [] },
  // fuse_ioctl_in (32) + in_size bytes of input
  IOCTL: {
    id: O.IOCTL,
    fields: [['fh', u64], ['flags', u32], ['cmd', u32], ['arg', u64], ['in_size', u32], ['out_size', u32], ['data', rest]],
  },
  POLL: { id: O.POLL, fields: [['fh', u64], ['kh', u64], ['flags', u32], ['events', u32]] },
  // fuse_notify_retrieve_in (40): dummy1, offset, size, dummy2, dummy3, dummy4; then the data
  NOTIFY_REPLY: { id: O.NOTIFY_REPLY, fields: [['offset', padded(u64, 0, 8)], ['size', padded(u32, 20)], ['data', rest]] },
  FALLOCATE: { id: O.FALLOCATE, fields: [['fh', u64], ['offset', u64], ['length', u64], ['mode', padded(u32, 4)]] },
  READDIRPLUS: { id: O.READDIRPLUS, fields: readIn },
  LSEEK: { id: O.LSEEK, fields: [['fh', u64], ['offset', u64], ['whence', padded(u32, 4)]] },
  COPY_FILE_RANGE: { id: O.COPY_FILE_RANGE, fields: copyIn },
  // fuse_syncfs_in is one u64 of padding
  SYNCFS: { id: O.SYNCFS, fields: [['padding', u64]] },
  TMPFILE: { id: O.TMPFILE, fields: createIn },
  // fuse_statx_in: getattr_flags, reserved, fh, sx_flags, sx_mask
  STATX: { id: O.STATX, fields: [['getattr_flags', padded(u32, 4)], ['fh', u64], ['sx_flags', u32], ['sx_mask', u32]] },
  // 7.45: as COPY_FILE_RANGE, answered with fuse_copy_file_range_out (a u64 count)
  COPY_FILE_RANGE_64: { id: O.COPY_FILE_RANGE_64, fields: copyIn },
} as const satisfies Table;

/** The 8-byte fuse_setxattr_in {size, flags} the kernel sends unless FUSE_SETXATTR_EXT was agreed. */
export const SETXATTR_COMPAT = {
  id: O.SETXATTR,
  fields: [['size', u32], ['flags', u32], name, ['value', rest]],
} as const;

/**
 * Requests whose payload length is a field before it: [count field, payload
 * field]. decodeRequest checks they agree.
 */
export const COUNTED: { readonly [K in keyof typeof REQUESTS]?: readonly [string, string] } = {
  WRITE: ['size', 'data'],
  SETXATTR: ['size', 'value'],
  IOCTL: ['in_size', 'data'],
  NOTIFY_REPLY: ['size', 'data'],
};

