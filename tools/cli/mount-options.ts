// `-o` mount options as bindfs and sshfs users type them (comma separated,
// repeatable) and the matching long flags, turned into the FUSE mount's
// options. Unknown ones are usage errors, never silently dropped.

import type { MountOptions } from '../../fuse/mount.js';
import { getBool, getList, getString, UsageError, type FlagSpec, type ParsedArgs } from './args.js';

export const MOUNT_FLAGS: readonly FlagSpec[] = [
  { name: 'foreground', short: 'f', kind: 'boolean', help: 'stay in the foreground until unmounted or signalled (default: return once mounted, serve in the background)' },
  { name: 'option', short: 'o', kind: 'list', arg: 'OPT[,OPT...]', help: 'mount options (ro, allow_other, suid, entry_timeout=S, ...: all in mount --help), comma separated, repeatable' },
  { name: 'allow-other', kind: 'boolean', help: 'the same as -o allow_other' },
  { name: 'entry-timeout', kind: 'string', arg: 'S', help: 'the same as -o entry_timeout=S' },
  { name: 'attr-timeout', kind: 'string', arg: 'S', help: 'the same as -o attr_timeout=S' },
  { name: 'no-passthrough', kind: 'boolean', help: 'never let the kernel read and write host files itself (passthrough is used where it can be: root, hostfs)' },
  { name: 'log', kind: 'string', arg: 'FILE', help: "append the mount server's messages to FILE (a background mount's are otherwise dropped once it is live)" },
  { name: 'lazy-unmount-wait', kind: 'string', arg: 'S', help: 'on stop, a mount still in use is detached lazily; after S seconds more its connection is aborted (default 10)' },
];

export const UMOUNT_FLAGS: readonly FlagSpec[] = [
  { name: 'lazy', short: 'l', kind: 'boolean', help: 'umount: detach now, end the mount when its last user leaves' },
];

/** Not in --help: the background server writes READY_MARK to this descriptor once the mount is live. */
export const HIDDEN_MOUNT_FLAGS: readonly FlagSpec[] = [{ name: 'ready-fd', kind: 'integer', arg: 'FD', help: '' }];

/** A line no log message contains (a NUL byte), so it can share stderr with them. */
export const READY_MARK = '\0humbridge-mount-ready\n';

export const O_HELP = `  ro / rw                read-only (EROFS, checked by the kernel and the export) / read-write (default)
  allow_other            other users may use the mount (permissions: see --access)
  allow_root             root may use the mount (always so for a mount made by root)
  default_permissions    the kernel checks modes and owners (what --access client does; default)
  nosuid / suid          ignore (default) / honour setuid and setgid bits
  nodev / dev            ignore (default) / honour device nodes
  exec / noexec          allow (default) / refuse running programs
  entry_timeout=S        seconds the kernel trusts a looked-up name (default 60 while watching
                         the host, 1 with --watch=off or where no watch covers it; fractions allowed)
  attr_timeout=S         seconds the kernel trusts attributes (defaults as entry_timeout)
  fsname=NAME            the mount's source in /proc/mounts (default: the export's path)
  subtype=NAME           the type shows as fuse.NAME (default humbridge)
  nonempty               mount over a folder that has entries (they are hidden while mounted)`;

const KNOWN = 'ro, rw, allow_other, allow_root, default_permissions, suid, nosuid, dev, nodev, exec, noexec, entry_timeout=S, attr_timeout=S, fsname=NAME, subtype=NAME, nonempty';

/** What the mount options decide: the kernel side, and whether the export itself is read-only. */
export interface MountSettings {
  mount: Omit<MountOptions, 'log'>;
  readonly: boolean;
  /** -o default_permissions was given (a contradiction with --access user). */
  defaultPermissions: boolean;
}

function seconds(name: string, text: string): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new UsageError(`${name} wants seconds (0 or more, e.g. 1 or 0.5), not "${text}"`);
  const s = Number(text);
  if (s > 1e9) throw new UsageError(`${name}: ${text} seconds is too long`);
  return s;
}

function name(option: string, text: string): string {
  if (!/^[A-Za-z0-9_.:/@+-]+$/.test(text)) throw new UsageError(`-o ${option}= wants a name of letters, digits and _.:/@+-, not "${text}"`);
  return text;
}

export function mountSettingsFromArgs(args: ParsedArgs): MountSettings {
  const s: MountSettings = { mount: {}, readonly: false, defaultPermissions: false };
  const m = s.mount;
  const items = getList(args, 'option').flatMap((o) => o.split(',')).filter((o) => o !== '');
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const valued = key === 'entry_timeout' || key === 'attr_timeout' || key === 'fsname' || key === 'subtype';
    if (valued && value === undefined) throw new UsageError(`-o ${key} needs a value (${key}=...)`);
    if (!valued && value !== undefined && isKnownFlag(key)) throw new UsageError(`-o ${key} takes no value`);
    switch (key) {
      case 'ro': s.readonly = true; break;
      case 'rw': s.readonly = false; break;
      case 'allow_other': m.allowOther = true; break;
      case 'allow_root': break; // the mount is made by root: root may use it anyway
      case 'default_permissions': s.defaultPermissions = true; break;
      case 'suid': m.suid = true; break;
      case 'nosuid': m.suid = false; break;
      case 'dev': m.dev = true; break;
      case 'nodev': m.dev = false; break;
      case 'exec': m.exec = true; break;
      case 'noexec': m.exec = false; break;
      case 'nonempty': m.nonempty = true; break;
      case 'entry_timeout': m.entryTimeout = seconds('-o entry_timeout', value as string); break;
      case 'attr_timeout': m.attrTimeout = seconds('-o attr_timeout', value as string); break;
      case 'fsname': m.fsname = name('fsname', value as string); break;
      case 'subtype': m.subtype = name('subtype', value as string); break;
      default: throw new UsageError(`unknown mount option "${item}" (known: ${KNOWN})`);
    }
  }
  if (getBool(args, 'allow-other')) m.allowOther = true;
  if (getBool(args, 'no-passthrough')) m.passthrough = false;
  const entry = getString(args, 'entry-timeout');
  if (entry !== undefined) m.entryTimeout = seconds('--entry-timeout', entry);
  const attr = getString(args, 'attr-timeout');
  if (attr !== undefined) m.attrTimeout = seconds('--attr-timeout', attr);
  const wait = getString(args, 'lazy-unmount-wait');
  if (wait !== undefined) m.lazyWaitMs = seconds('--lazy-unmount-wait', wait) * 1000;
  m.readonly = s.readonly;
  return s;
}

function isKnownFlag(key: string): boolean {
  return ['ro', 'rw', 'allow_other', 'allow_root', 'default_permissions', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'nonempty'].includes(key);
}
