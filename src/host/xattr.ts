// Extended attributes through the fs-xattr package, which is path-based: the
// path is always `/proc/self/fd/<fd>` of the node's own descriptor, so the
// call reaches exactly that inode (the magic link is not followed further,
// even for a symlink's descriptor). Reads go through the addon where it is
// built (the same path; an absent attribute comes back as a number, where
// fs-xattr throws an Error with a stack, which cost more than the call).
// Reads are synchronous: `ls -l` asks two
// attributes of every entry it lists (security.selinux and an ACL), almost
// always absent, and a getxattr(2) answers at once where a call on the
// thread pool cost two thread hand-offs per request.

import { getAttributeSync, listAttributes, removeAttribute, setAttribute } from 'fs-xattr';
import { fromNodeError, VfsError, vfsError } from '../errors.js';
import { errnoCode } from '../errno.js';
import { loadNative, type Native } from '../../native/index.js';
import type { Logger } from '../log.js';
import { fdPath } from './paths.js';

/** XATTR_SIZE_MAX: no value is longer. */
const VALUE_MAX = 65536;

export class HostXattr {
  /** The addon's getxattr, which answers an absent attribute with a number, not a thrown error. */
  private readonly native: Native['getxattr'];
  /** Values are read into this and copied out (reads are synchronous, so one serves all). */
  private readonly value = Buffer.allocUnsafe(VALUE_MAX);

  /** `native`: the addon (null: fs-xattr alone; tests compare both). */
  constructor(
    private readonly log: Logger,
    native: Native | null = loadNative().native,
  ) {
    this.native = native?.getxattr?.bind(native);
  }

  async get(fd: number, name: string): Promise<Buffer> {
    const got = this.read(fd, name);
    if (got instanceof VfsError) throw got;
    return got;
  }

  /** null when absent (a cheap probe for XATTR_CREATE/XATTR_REPLACE). */
  async probe(fd: number, name: string): Promise<Buffer | null> {
    const got = this.read(fd, name);
    if (!(got instanceof VfsError)) return got;
    if (got.code === 'ENODATA') return null;
    throw got;
  }

  /** The value, or the failure as a VfsError (returned: an absent attribute is an answer, not a fault). */
  private read(fd: number, name: string): Buffer | VfsError {
    if (this.native !== undefined) {
      const n = this.native(fd, name, this.value);
      return n < 0 ? vfsError(errnoCode(-n), 'getxattr', name) : Buffer.from(this.value.subarray(0, n));
    }
    try {
      return getAttributeSync(fdPath(fd), name);
    } catch (e) {
      return fromNodeError(e, 'getxattr', name, this.log);
    }
  }

  async set(fd: number, name: string, value: Buffer): Promise<void> {
    try {
      await setAttribute(fdPath(fd), name, value);
    } catch (e) {
      throw fromNodeError(e, 'setxattr', name, this.log);
    }
  }

  async list(fd: number): Promise<string[]> {
    try {
      return await listAttributes(fdPath(fd));
    } catch (e) {
      throw fromNodeError(e, 'listxattr', undefined, this.log);
    }
  }

  async remove(fd: number, name: string): Promise<void> {
    try {
      await removeAttribute(fdPath(fd), name);
    } catch (e) {
      throw fromNodeError(e, 'removexattr', name, this.log);
    }
  }
}
