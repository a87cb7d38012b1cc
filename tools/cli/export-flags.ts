// The flags that describe one export, and their mapping onto ExportOptions.
// One flag, one field (the only pair is --default-owner UID:GID).

import path from 'node:path';
import { resolveExportOptions, type ExportOptions } from '../../src/options.js';
import type { Logger } from '../../src/log.js';
import { getBool, getInt, getString, UsageError, type FlagSpec, type ParsedArgs } from './args.js';

export const EXPORT_FLAGS: readonly FlagSpec[] = [
  { name: 'humfs', kind: 'boolean', help: 'serve a humfs tree (ownership, modes and devices from metadata files)' },
  { name: 'readonly', kind: 'boolean', help: 'refuse every change with EROFS' },
  { name: 'access', kind: 'string', arg: 'client|user', help: 'who checks permissions: the client\'s kernel (client, default) or the server per user' },
  { name: 'check-permissions', kind: 'boolean', help: 'the same as --access user' },
  { name: 'max-cached-fds', kind: 'integer', arg: 'N', help: 'descriptors kept open for looked-up nodes (default 1024)' },
  { name: 'max-remembered-nodes', kind: 'integer', arg: 'N', help: 'forgotten files that keep their inode number (default 1000000)' },
  { name: 'missing-metadata', kind: 'string', arg: 'host|default|hide', help: 'humfs: entries without metadata (default host)' },
  { name: 'default-owner', kind: 'string', arg: 'UID:GID', help: 'humfs: owner used by --missing-metadata default (0:0)' },
  { name: 'default-file-mode', kind: 'integer', arg: 'MODE', help: 'humfs: file mode for --missing-metadata default (0644)' },
  { name: 'default-dir-mode', kind: 'integer', arg: 'MODE', help: 'humfs: directory mode for --missing-metadata default (0755)' },
  { name: 'allow-setuid', kind: 'boolean', help: 'hostfs: let clients make setuid/setgid files that run as another user or root (default: refused, like nosuid)' },
  { name: 'allow-devices', kind: 'boolean', help: 'hostfs: let clients make real character and block devices (default: refused, like nodev)' },
  { name: 'watch', kind: 'string', arg: 'on|off', help: 'see host edits at once: caches (FUSE kernel caches, 9P read-aheads, humfs records) follow them (default on; off for trees only the server changes)' },
  { name: 'max-watches', kind: 'integer', arg: 'N', help: 'inotify watches (one per directory a client looked up); past it, warned once, directories are revalidated on access (default 65536)' },
  { name: 'base', kind: 'string', arg: 'BASE', help: 'copy-on-write: serve BASE (never written) with the layer of --cow on top, instead of an export DIR' },
  { name: 'cow', kind: 'string', arg: 'LAYER', help: 'copy-on-write: the layer folder (made by `humbridge cow new`) that takes every change' },
  { name: 'force', kind: 'boolean', help: "copy-on-write: serve a layer whose base changed since it was made (its copies and whiteouts may no longer match the base)" },
  { name: 'max-mknod-processes', kind: 'integer', arg: 'N', help: 'hostfs: mknod(1) children run at once for FIFOs and devices (default 4)' },
];

/** --base BASE --cow LAYER [--force], both absolute; null without them. UsageError for half a pair. */
export function cowFromArgs(args: ParsedArgs): { base: string; layer: string; force: boolean } | null {
  const base = getString(args, 'base');
  const layer = getString(args, 'cow');
  const force = getBool(args, 'force');
  if (base === undefined && layer === undefined) {
    if (force) throw new UsageError('--force belongs to a copy-on-write export (--base BASE --cow LAYER)');
    return null;
  }
  if (base === undefined) throw new UsageError('--cow LAYER needs --base BASE: the tree the layer was made for');
  if (layer === undefined) throw new UsageError('--base BASE needs --cow LAYER: the layer that takes the changes (make one with `humbridge cow new --base BASE LAYER`)');
  return { base: path.resolve(base), layer: path.resolve(layer), force };
}

/** The positionals of a command that takes an export DIR first, with --base standing in for it. */
export function exportFirst(args: ParsedArgs, rest: readonly string[], command: string): string[] {
  const cow = cowFromArgs(args);
  if (cow === null) return [...rest];
  if (command === 'serve' && rest.length > 0) throw new UsageError(`serve --base BASE --cow LAYER takes no DIR (the base is the export), not "${rest[0]}"`);
  if (command === 'mount' && rest.length !== 1) throw new UsageError('mount --base BASE --cow LAYER takes only a MOUNTPOINT');
  return [cow.base, ...rest];
}

/** ExportOptions for `path` from parsed flags; OptionsError/UsageError carry the message for the user. */
export function exportOptionsFromArgs(args: ParsedArgs, dir: string, logger: Logger): ExportOptions {
  const partial: Partial<ExportOptions> & { path: string } = { path: dir, logger };
  if (getBool(args, 'humfs')) partial.mode = 'humfs';
  if (getBool(args, 'readonly')) partial.readonly = true;
  const access = getString(args, 'access');
  if (access !== undefined && access !== 'client' && access !== 'user') throw new UsageError(`--access wants client or user, not "${access}"`);
  if (getBool(args, 'check-permissions')) {
    if (access === 'client') throw new UsageError('--check-permissions is --access user: it contradicts --access client');
    partial.access = 'user';
  } else if (access !== undefined) partial.access = access;
  const fds = getInt(args, 'max-cached-fds');
  if (fds !== undefined) partial.maxCachedFds = fds;
  const remembered = getInt(args, 'max-remembered-nodes');
  if (remembered !== undefined) partial.maxRememberedNodes = remembered;
  const missing = getString(args, 'missing-metadata');
  if (missing !== undefined) partial.missingMetadata = missing as ExportOptions['missingMetadata'];
  const owner = getString(args, 'default-owner');
  if (owner !== undefined) {
    const m = /^(\d+):(\d+)$/.exec(owner);
    if (m === null) throw new UsageError(`--default-owner wants UID:GID in numbers, not "${owner}"`);
    partial.defaultUid = Number(m[1]);
    partial.defaultGid = Number(m[2]);
  }
  const fileMode = getInt(args, 'default-file-mode');
  if (fileMode !== undefined) partial.defaultFileMode = fileMode;
  const dirMode = getInt(args, 'default-dir-mode');
  if (dirMode !== undefined) partial.defaultDirMode = dirMode;
  if (getBool(args, 'allow-setuid')) partial.allowSetuid = true;
  if (getBool(args, 'allow-devices')) partial.allowDevices = true;
  // On unless --watch=off: the commands serve trees people edit (the library default is off).
  const watch = getString(args, 'watch') ?? 'on';
  if (watch !== 'on' && watch !== 'off') throw new UsageError(`--watch wants on or off, not "${watch}"`);
  partial.watch = watch === 'on';
  const watches = getInt(args, 'max-watches');
  if (watches !== undefined) partial.maxWatches = watches;
  const cow = cowFromArgs(args);
  if (cow !== null && dir === cow.base) {
    partial.cow = cow.layer;
    partial.cowForce = cow.force;
  }
  const mknods = getInt(args, 'max-mknod-processes');
  if (mknods !== undefined) partial.maxMknodProcesses = mknods;
  return resolveExportOptions(partial);
}
