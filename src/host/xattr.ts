// Extended attributes through the fs-xattr package, which is path-based: the
// path is always `/proc/self/fd/<fd>` of the node's own descriptor, so the
// call reaches exactly that inode (the magic link is not followed further,
// even for a symlink's descriptor). Reads are synchronous: `ls -l` asks two
// attributes of every entry it lists (security.selinux and an ACL), almost
// always absent, and a getxattr(2) answers at once where a call on the
// thread pool cost two thread hand-offs per request.

import { getAttributeSync, listAttributes, removeAttribute, setAttribute } from 'fs-xattr';
import { fromNodeError } from '../errors.js';
import type { Logger } from '../log.js';
import { fdPath } from './paths.js';

export class HostXattr {
  constructor(private readonly log: Logger) {}

  async get(fd: number, name: string): Promise<Buffer> {
    try {
      return getAttributeSync(fdPath(fd), name);
    } catch (e) {
      throw fromNodeError(e, 'getxattr', name, this.log);
    }
  }

  /** null when absent (a cheap probe for XATTR_CREATE/XATTR_REPLACE). */
  async probe(fd: number, name: string): Promise<Buffer | null> {
    try {
      return getAttributeSync(fdPath(fd), name);
    } catch (e) {
      const err = fromNodeError(e, 'getxattr', name, this.log);
      if (err.code === 'ENODATA') return null;
      throw err;
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
