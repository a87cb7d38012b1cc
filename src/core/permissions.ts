// POSIX permission checks the server makes itself when
// ExportOptions.access is `user` (and for access(2) always), against
// the virtual owner and mode. Pure functions of a cred and attributes.
//
// Linux rules followed (path_resolution(7), inode_permission, may_delete):
// - uid 0 may read and write anything and search any directory; it may
//   execute a non-directory only when some execute bit is set.
// - Otherwise exactly one class applies: owner if uid matches, else group
//   if gid or a supplementary group matches, else other.
// - Sticky directory: removing or renaming an entry needs, besides write
//   and search on the directory, to own the entry or the directory (or be
//   root); EPERM otherwise.
// POSIX ACLs and capabilities other than uid 0 are not evaluated: the mode
// bits decide.

import { vfsError } from '../errors.js';
import type { Cred } from '../types.js';
import { S_IFDIR, S_IFMT, S_ISVTX } from '../types.js';

export interface Owned {
  mode: number;
  uid: number;
  gid: number;
}

export function inGroup(cred: Cred, gid: number): boolean {
  return cred.gid === gid || (cred.groups?.includes(gid) ?? false);
}

/** Whether cred may do `mask` (R_OK 4 | W_OK 2 | X_OK 1) on a file with these attributes. */
export function allowed(cred: Cred, a: Owned, mask: number): boolean {
  const want = mask & 7;
  if (cred.uid === 0) {
    if ((want & 1) === 0) return true;
    return (a.mode & S_IFMT) === S_IFDIR || (a.mode & 0o111) !== 0;
  }
  let bits: number;
  if (cred.uid === a.uid) bits = (a.mode >> 6) & 7;
  else if (inGroup(cred, a.gid)) bits = (a.mode >> 3) & 7;
  else bits = a.mode & 7;
  return (bits & want) === want;
}

export function requireAccess(cred: Cred, a: Owned, mask: number, op: string): void {
  if (!allowed(cred, a, mask)) throw vfsError('EACCES', op);
}

/** Removing or replacing `victim` in `dir`: the sticky-directory rule (EPERM). */
export function requireMayDelete(cred: Cred, dir: Owned, victim: Owned, op: string): void {
  if ((dir.mode & S_ISVTX) === 0 || cred.uid === 0) return;
  if (cred.uid === dir.uid || cred.uid === victim.uid) return;
  throw vfsError('EPERM', op);
}

/** chmod: only the owner or root (EPERM). */
export function requireOwner(cred: Cred, a: Owned, op: string): void {
  if (cred.uid !== 0 && cred.uid !== a.uid) throw vfsError('EPERM', op);
}

/**
 * chown (chown(2)): root may do anything; the owner may change the group to
 * one of its own groups, keeping the uid. Everything else is EPERM.
 */
export function requireChown(cred: Cred, a: Owned, uid: number | undefined, gid: number | undefined, op: string): void {
  if (cred.uid === 0) return;
  if (uid !== undefined && uid !== a.uid) throw vfsError('EPERM', op);
  if (gid !== undefined && gid !== a.gid && !(cred.uid === a.uid && inGroup(cred, gid))) throw vfsError('EPERM', op);
  if (cred.uid !== a.uid && (uid !== undefined || gid !== undefined) && !(uid === a.uid && gid === a.gid)) throw vfsError('EPERM', op);
}

/**
 * utimes (utimensat(2)): setting both times to "now" needs ownership or write
 * permission (EACCES); any other value needs ownership (EPERM).
 */
export function requireTimes(cred: Cred, a: Owned, onlyNow: boolean, op: string): void {
  if (cred.uid === 0 || cred.uid === a.uid) return;
  if (onlyNow) requireAccess(cred, a, 2, op);
  else throw vfsError('EPERM', op);
}
