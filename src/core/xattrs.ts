// Extended attributes. XATTR_CREATE and XATTR_REPLACE are emulated: the
// path-based fs-xattr package has no flags argument, so the attribute is
// probed first and then set. Between the two another writer can create or
// remove the same attribute; the outcome is then the later writer's value,
// where Linux would have failed one of the two calls.
//
// With permission checks on, the user.* namespace follows xattr(7): only
// regular files and directories carry user attributes, reading needs read
// permission and changing needs write permission; trusted.* and security.*
// changes need root.

import { vfsError } from '../errors.js';
import { type Cred, type NodeId, S_IFDIR, S_IFMT, S_IFREG, XATTR_CREATE, XATTR_REPLACE } from '../types.js';
import type { CoreContext, Stated } from './context.js';
import { requireAccess } from './permissions.js';

function checkName(name: string, op: string): void {
  if (name.length === 0 || name.length > 255 || name.includes('\0')) throw vfsError(name.length > 255 ? 'ERANGE' : 'EINVAL', op);
}

/**
 * POSIX ACLs are system.posix_acl_* attributes that the host applies to the
 * file's own mode. In humfs the modes that count are the records' virtual
 * ones, so an ACL would change the data file instead (cp -a setting a mode
 * through an ACL left the record as it was): ACLs are not supported there.
 */
function checkAcl(ctx: CoreContext, name: string, op: string): void {
  if (ctx.store.kind === 'humfs' && name.startsWith('system.posix_acl_')) throw vfsError('ENOTSUP', op);
}

function check(ctx: CoreContext, cred: Cred, s: Stated, name: string, write: boolean, op: string): void {
  if (!ctx.checkPermissions) return;
  if (name.startsWith('user.')) {
    const type = s.v.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR) throw vfsError(write ? 'EPERM' : 'ENODATA', op);
    requireAccess(cred, s.v, write ? 2 : 4, op);
  } else if (write && cred.uid !== 0) {
    throw vfsError('EPERM', op);
  }
}

export async function getxattr(ctx: CoreContext, cred: Cred, id: NodeId, name: string): Promise<Buffer> {
  checkName(name, 'getxattr');
  checkAcl(ctx, name, 'getxattr');
  const node = ctx.node(id);
  return ctx.nodes.withFd(node, (fd) => {
    check(ctx, cred, ctx.statFd(node, fd), name, false, 'getxattr');
    return ctx.xattr.get(fd, name);
  });
}

export async function setxattr(ctx: CoreContext, cred: Cred, id: NodeId, name: string, value: Buffer, flags: number): Promise<void> {
  checkName(name, 'setxattr');
  checkAcl(ctx, name, 'setxattr');
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0 || flags === (XATTR_CREATE | XATTR_REPLACE)) throw vfsError('EINVAL', 'setxattr');
  ctx.limits.checkXattr(name, 'setxattr');
  const node = ctx.node(id);
  await ctx.nodes.withFd(node, async (fd) => {
    check(ctx, cred, ctx.statFd(node, fd), name, true, 'setxattr');
    if (flags !== 0) {
      const present = (await ctx.xattr.probe(fd, name)) !== null;
      if (flags & XATTR_CREATE && present) throw vfsError('EEXIST', 'setxattr');
      if (flags & XATTR_REPLACE && !present) throw vfsError('ENODATA', 'setxattr');
    }
    await ctx.xattr.set(fd, name, value);
  });
}

export async function listxattr(ctx: CoreContext, cred: Cred, id: NodeId): Promise<string[]> {
  const node = ctx.node(id);
  return ctx.nodes.withFd(node, async (fd) => {
    const all = await ctx.xattr.list(fd);
    const names = ctx.store.kind === 'humfs' ? all.filter((n) => !n.startsWith('system.posix_acl_')) : all;
    if (!ctx.checkPermissions || cred.uid === 0) return names;
    // Unprivileged callers do not see trusted.* (xattr(7)).
    return names.filter((n) => !n.startsWith('trusted.'));
  });
}

export async function removexattr(ctx: CoreContext, cred: Cred, id: NodeId, name: string): Promise<void> {
  checkName(name, 'removexattr');
  checkAcl(ctx, name, 'removexattr');
  const node = ctx.node(id);
  await ctx.nodes.withFd(node, (fd) => {
    check(ctx, cred, ctx.statFd(node, fd), name, true, 'removexattr');
    return ctx.xattr.remove(fd, name);
  });
}
