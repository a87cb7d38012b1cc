// What a client may make on the host (DESIGN.md "Who may connect, and what a
// client may make"). A hostfs export acts as a `nosuid,nodev` mount unless
// its options say otherwise: clients are whoever they claim to be, root
// included, so without these limits a client could leave a root-owned
// setuid program or a world-writable disk device for host users to find.
// humfs keeps modes and devices in its records only; only file capabilities,
// real xattrs on its data files, are limited there.
// Each refusal is EPERM, logged once per kind so a busy client cannot
// flood the log.

import { vfsError } from '../errors.js';
import type { Logger } from '../log.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, S_ISGID, S_ISUID, type Cred } from '../types.js';
import { inGroup } from './permissions.js';

const S_IXGRP = 0o010;

/** The file capability attribute: it grants privileges on exec as setuid does. */
const CAPABILITY_XATTR = 'security.capability';

/** Whether a non-directory with these bits runs with its owner's or group's ids. */
export function runsAsOwner(mode: number): boolean {
  return (mode & S_ISUID) !== 0 || (mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP);
}

/**
 * The bits a write or truncate by an unprivileged caller clears, as Linux
 * does (file_remove_privs, setattr_should_drop_sgid): setuid always; setgid
 * when group execute is set, and without it (where it marks mandatory
 * locking) when the caller is not in the file's group. Without `by`, the
 * bits any caller might clear. Only regular files carry them in a way that
 * matters.
 */
export function setidToClear(mode: number, by?: { cred: Cred; gid: number }): number {
  if ((mode & S_IFMT) !== S_IFREG) return 0;
  let bits = mode & S_ISUID;
  if ((mode & S_ISGID) !== 0 && ((mode & S_IXGRP) !== 0 || by === undefined || !inGroup(by.cred, by.gid))) bits |= S_ISGID;
  return bits;
}

export interface HostLimitsOptions {
  /** Refuse setuid/setgid non-directories that would run as another user. */
  nosuid: boolean;
  /** Refuse real character and block devices. */
  nodev: boolean;
  /**
   * Refuse `security.capability`. Unlike modes and devices, an xattr is real
   * on the host in both modes (humfs keeps xattrs on the data files), so a
   * humfs export served by root needs this too.
   */
  nocaps: boolean;
  /** The uid the server runs as: it owns the entries it makes unless it is root. */
  serverUid: number;
}

export class HostLimits {
  private readonly warned = new Set<string>();

  constructor(
    private readonly opts: HostLimitsOptions,
    private readonly log: Logger,
  ) {}

  /** No limits (both allowed). */
  static none(log: Logger): HostLimits {
    return new HostLimits({ nosuid: false, nodev: false, nocaps: false, serverUid: 0 }, log);
  }

  private refuse(kind: string, op: string, why: string): never {
    if (!this.warned.has(kind)) {
      this.warned.add(kind);
      this.log.warn(`${op} refused: ${why} (logged once per kind)`);
    }
    throw vfsError('EPERM', op, why);
  }

  /**
   * The host owner of an entry made for a caller of uid `uid`: the caller
   * when the server runs as root (it chowns), else the serving user.
   */
  hostOwnerOf(uid: number): number {
    return this.opts.serverUid === 0 ? uid : this.opts.serverUid;
  }

  /**
   * A non-directory of full mode `mode` owned by `owner` on the host is
   * about to exist (create, mknod, chmod): EPERM when it would run as a
   * user other than the server's own, or as root.
   */
  checkMode(mode: number, owner: number, op: string): void {
    if (!this.opts.nosuid || (mode & S_IFMT) === S_IFDIR || !runsAsOwner(mode)) return;
    if (this.opts.serverUid !== 0 && owner === this.opts.serverUid) return;
    const whose = this.opts.serverUid === 0 ? 'the server runs as root' : `owned by uid ${owner}, not the server's ${this.opts.serverUid}`;
    this.refuse('setuid', op, `setuid/setgid file on a nosuid export (${whose}; --allow-setuid lifts it)`);
  }

  /** mknod of file type `type`: EPERM for real devices on a nodev export. */
  checkDevice(type: number, op: string): void {
    if (!this.opts.nodev || (type !== S_IFCHR && type !== S_IFBLK)) return;
    this.refuse('device', op, 'device node on a nodev export (--allow-devices lifts it)');
  }

  /** setxattr `name`: file capabilities are refused unless setuid is allowed. */
  checkXattr(name: string, op: string): void {
    if (!this.opts.nocaps || name !== CAPABILITY_XATTR) return;
    this.refuse('capability', op, `${CAPABILITY_XATTR} on a nosuid export (--allow-setuid lifts it)`);
  }
}
