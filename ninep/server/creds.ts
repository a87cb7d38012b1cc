// Who a request acts as (the Cred passed to every Vfs call).
//
// The identity comes from the attach and is inherited by every fid walked
// from it; a request that carries a group (Tlcreate, Tmkdir, Tsymlink,
// Tmknod: the creating process's fsgid, or the setgid directory's group as
// Linux computed it) uses that gid for the new node.
//
// The uid of an attach:
//  - 9P2000.u / 9P2000.L: n_uname when it is not ~0. Linux sends the
//    caller's fsuid there; its very first attach of a mount names uname
//    "nobody" with n_uname ~0, which falls to the rules below.
//  - otherwise the uname: "root" is 0, a decimal number is that uid, and any
//    other name is ServerOptions.defaultUid (65534 unless configured), since
//    the server knows no user database (it must not read the host's).
// The gid of an attach is 0 for uid 0 and ServerOptions.defaultGid otherwise:
// 9P carries no group in attach. Supplementary groups are unknown.
//
// Squashing (ServerOptions.squash) then replaces ids the server will not act
// as: uid 0 / gid 0 under "root", every id under "all", by anonUid/anonGid.
// It applies to the attach and to a creating request's group alike, so a
// squashed client cannot get its group back through Tmkdir's gid.
//
// With access model "client" the guest kernel has already checked
// permissions; the Cred decides only who owns what gets created. With
// access model "user" the export checks every call against this Cred, so a
// user attached as uid 1000 gets exactly uid 1000's rights (and only the
// "other" and owner permission classes, group membership being unknown
// beyond the one gid).

import { NONUNAME } from '../codec/index.js';
import type { Cred } from '../../src/types.js';
import type { ServerOptions } from './options.js';

/** uid for a 9P user name: "root" → 0, digits → that number, else undefined. */
export function uidOfName(name: string): number | undefined {
  if (name === 'root') return 0;
  if (/^\d{1,10}$/.test(name)) {
    const n = Number(name);
    if (n <= 0xfffffffe) return n;
  }
  return undefined;
}

/** The 9P user (or group) name of a numeric id: 0 → "root", else the decimal number. */
export function nameOfId(id: number): string {
  return id === 0 ? 'root' : String(id);
}

export type SquashOptions = Pick<ServerOptions, 'squash' | 'anonUid' | 'anonGid'>;

const NO_SQUASH: SquashOptions = { squash: 'none', anonUid: 65534, anonGid: 65534 };

function squashUid(o: SquashOptions, uid: number): number {
  return o.squash === 'all' || (o.squash === 'root' && uid === 0) ? o.anonUid : uid;
}

function squashGid(o: SquashOptions, gid: number): number {
  return o.squash === 'all' || (o.squash === 'root' && gid === 0) ? o.anonGid : gid;
}

export function attachCred(
  opts: Pick<ServerOptions, 'defaultUid' | 'defaultGid'> & Partial<SquashOptions>,
  uname: string,
  nUname: number | undefined,
): Cred {
  const sq = { ...NO_SQUASH, ...opts };
  const uid = nUname !== undefined && nUname !== NONUNAME ? nUname : (uidOfName(uname) ?? opts.defaultUid);
  return { uid: squashUid(sq, uid), gid: squashGid(sq, uid === 0 ? 0 : opts.defaultGid) };
}

/** The fid's identity with the group a creating request names (~0 = keep), squashed as the attach was. */
export function withGid(cred: Cred, gid: number, squash: SquashOptions = NO_SQUASH): Cred {
  if (gid === NONUNAME) return cred;
  const g = squashGid(squash, gid);
  return g === cred.gid ? cred : { ...cred, gid: g };
}
