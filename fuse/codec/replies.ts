// What the server writes after fuse_out_header, per reply struct of
// linux/fuse.h 7.45. Names are the struct names; `type` picks one. The ids
// only index the table (replies carry no opcode: the kernel matches them by
// unique). Replies that are bare bytes (READ, READLINK, GETXATTR values,
// LISTXATTR, READDIR) go through beginData/finishData instead.

import type { Table } from '../../src/wire/index.js';
import { u16, u32, u64, i32, padded, attr, fileLock, statx } from './fields.js';

const entryOut = [
  ['nodeid', u64],
  ['generation', u64],
  ['entry_valid', u64],
  ['attr_valid', u64],
  ['entry_valid_nsec', u32],
  ['attr_valid_nsec', u32],
  ['attr', attr],
] as const;
const openOut = [
  ['fh', u64],
  ['open_flags', u32],
  ['backing_id', i32], // FOPEN_PASSTHROUGH: the id from FUSE_DEV_IOC_BACKING_OPEN
] as const;

export const REPLIES = {
  // LOOKUP, MKNOD, MKDIR, SYMLINK, LINK (128 bytes)
  entry_out: { id: 1, fields: entryOut },
  // GETATTR, SETATTR (104)
  attr_out: { id: 2, fields: [['attr_valid', u64], ['attr_valid_nsec', padded(u32, 4)], ['attr', attr]] },
  // OPEN, OPENDIR (16)
  open_out: { id: 3, fields: openOut },
  // CREATE, TMPFILE: fuse_entry_out then fuse_open_out (144)
  create_out: { id: 4, fields: [...entryOut, ...openOut] },
  // INIT (64): … flags2, max_stack_depth, request_timeout, unused[11]
  init_out: {
    id: 5,
    fields: [
      ['major', u32],
      ['minor', u32],
      ['max_readahead', u32],
      ['flags', u32],
      ['max_background', u16],
      ['congestion_threshold', u16],
      ['max_write', u32],
      ['time_gran', u32],
      ['max_pages', u16],
      ['map_alignment', u16],
      ['flags2', u32],
      ['max_stack_depth', u32],
      ['request_timeout', padded(u16, 22)],
    ],
  },
  // WRITE, COPY_FILE_RANGE (8)
  write_out: { id: 6, fields: [['size', padded(u32, 4)]] },
  // STATFS: fuse_kstatfs (80): … bsize, namelen, frsize, padding, spare[6]
  statfs_out: {
    id: 7,
    fields: [
      ['blocks', u64],
      ['bfree', u64],
      ['bavail', u64],
      ['files', u64],
      ['ffree', u64],
      ['bsize', u32],
      ['namelen', u32],
      ['frsize', padded(u32, 28)],
    ],
  },
  // GETXATTR/LISTXATTR with size 0: the size the value needs (8)
  getxattr_out: { id: 8, fields: [['size', padded(u32, 4)]] },
  // GETLK (24)
  lk_out: { id: 9, fields: [['lk', fileLock]] },
  // LSEEK (8)
  lseek_out: { id: 10, fields: [['offset', u64]] },
  // BMAP (8)
  bmap_out: { id: 11, fields: [['block', u64]] },
  // POLL (8)
  poll_out: { id: 12, fields: [['revents', padded(u32, 4)]] },
  // COPY_FILE_RANGE_64 (8)
  copy_file_range_out: { id: 13, fields: [['bytes_copied', u64]] },
  // STATX (288): attr_valid, attr_valid_nsec, flags, spare[2], fuse_statx
  statx_out: { id: 14, fields: [['attr_valid', u64], ['attr_valid_nsec', u32], ['flags', padded(u32, 16)], ['stat', statx]] },
} as const satisfies Table;
