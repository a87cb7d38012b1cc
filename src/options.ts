import type { AccessModel } from './vfs.js';
import { nullLogger, type Logger } from './log.js';

/**
 * One export: a host tree and how it is served. Every CLI flag of
 * `humbridge` maps onto one field here; defaults and validation live only
 * in this file.
 */
export interface ExportOptions {
  /** Host directory served. In humfs mode: the folder holding `data/`, `file_metadata/`, ... */
  path: string;
  /**
   * `hostfs`: ownership and modes are the host's own.
   * `humfs`: ownership, modes and special files live in humfs metadata files.
   */
  mode: 'hostfs' | 'humfs';
  /** Refuse every change with EROFS. */
  readonly: boolean;
  /**
   * Who checks POSIX permissions, for every front end of the export.
   * `client` (default): the client's kernel does (9P access=client or
   * Linux's own checks, FUSE default_permissions); the Vfs acts with the
   * identity each call carries and the host enforces what it enforces.
   * `user`: the Vfs checks each call against the (virtual) owner and mode
   * for the caller's cred. CLI: --access client|user.
   */
  access: AccessModel;
  /** How many O_PATH descriptors of looked-up nodes are kept open at most (an LRU). */
  maxCachedFds: number;
  /**
   * How many forgotten files keep their NodeId (inode number, qid path) for
   * their next lookup (an LRU; measured when full at the default: 70 bytes
   * of heap, 130 of RSS, a file). A file beyond it comes back with a new
   * NodeId; 0 gives every lookup after a forget a new one.
   */
  maxRememberedNodes: number;
  /** humfs: what to do with a data/ entry that has no metadata file. */
  missingMetadata: 'host' | 'default' | 'hide';
  /** humfs, missingMetadata=default: owner, group and permission bits used. */
  defaultUid: number;
  defaultGid: number;
  defaultFileMode: number;
  defaultDirMode: number;
  /**
   * hostfs: let clients make setuid files, and setgid files with group
   * execute, that run as someone other than the serving user. Off (the
   * default) the export acts as a `nosuid` mount: a create, mknod or chmod
   * that would leave such a non-directory (any, when the server runs as
   * root) is refused with EPERM, and so is setting security.capability.
   * humfs keeps these bits as metadata only and ignores this.
   */
  allowSetuid: boolean;
  /**
   * hostfs: let clients make real character and block device nodes on the
   * host. Off (the default) the export acts as a `nodev` mount: such a
   * mknod is refused with EPERM. FIFOs and sockets are always allowed;
   * humfs records devices as metadata only and ignores this.
   */
  allowDevices: boolean;
  /**
   * How many mknod(1) and fallocate(1) child processes (Node has neither
   * call; hostfs FIFOs and devices, and every fallocate, are made by one)
   * run at once for this export; further requests wait their turn.
   */
  maxMknodProcesses: number;
  /**
   * Watch the host tree (src/watch/): edits made on the host behind the
   * server reach every cache (FUSE kernel caches, 9P read-aheads, listings,
   * nodes, humfs records). Off here by default (a library user may serve a
   * tree nothing else changes); `humbridge serve` and `mount` turn it on
   * unless --watch=off.
   */
  watch: boolean;
  /**
   * Inotify watches the export may hold (one per directory a client has
   * looked up). Past it, or when the kernel's fs.inotify.max_user_watches
   * is reached, a warning is logged once and further directories are
   * revalidated on access instead.
   */
  maxWatches: number;
  /**
   * A copy-on-write export: `path` is the base (never written) and this the
   * layer folder (src/cow/layout.ts) that takes every change. null: a plain
   * export. CLI: --base BASE --cow LAYER.
   */
  cow: string | null;
  /** Serve a layer whose base changed since it was made (CLI --force): its copies and whiteouts may no longer match. */
  cowForce: boolean;
  logger: Logger;
}

export const DEFAULT_EXPORT_OPTIONS: Omit<ExportOptions, 'path'> = {
  mode: 'hostfs',
  readonly: false,
  access: 'client',
  maxCachedFds: 1024,
  maxRememberedNodes: 1_000_000,
  missingMetadata: 'host',
  defaultUid: 0,
  defaultGid: 0,
  defaultFileMode: 0o644,
  defaultDirMode: 0o755,
  allowSetuid: false,
  allowDevices: false,
  maxMknodProcesses: 4,
  watch: false,
  maxWatches: 65_536,
  cow: null,
  cowForce: false,
  logger: nullLogger,
};

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/** Fill defaults and validate; throws OptionsError with a message fit for a user. */
export function resolveExportOptions(partial: Partial<ExportOptions> & { path: string }): ExportOptions {
  const o: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, ...partial };
  if (typeof o.path !== 'string' || o.path === '') throw new OptionsError('an export needs a host directory path');
  if (o.access !== 'client' && o.access !== 'user') throw new OptionsError(`access must be "client" or "user", not "${String(o.access)}"`);
  if (o.mode !== 'hostfs' && o.mode !== 'humfs') throw new OptionsError(`unknown mode "${String(o.mode)}" (hostfs or humfs)`);
  if (!Number.isInteger(o.maxCachedFds) || o.maxCachedFds < 16) throw new OptionsError('maxCachedFds must be an integer >= 16');
  if (!Number.isInteger(o.maxRememberedNodes) || o.maxRememberedNodes < 0) throw new OptionsError('maxRememberedNodes must be an integer >= 0');
  if (!Number.isInteger(o.maxMknodProcesses) || o.maxMknodProcesses < 1 || o.maxMknodProcesses > 1024) {
    throw new OptionsError('maxMknodProcesses must be an integer from 1 to 1024');
  }
  if (!Number.isInteger(o.maxWatches) || o.maxWatches < 0) throw new OptionsError('maxWatches must be an integer >= 0');
  if (o.cow !== null && (typeof o.cow !== 'string' || o.cow === '')) throw new OptionsError('cow must be a layer folder path or null');
  for (const k of ['allowSetuid', 'allowDevices', 'watch', 'cowForce'] as const) {
    if (typeof o[k] !== 'boolean') throw new OptionsError(`${k} must be true or false`);
  }
  if (!['host', 'default', 'hide'].includes(o.missingMetadata)) {
    throw new OptionsError(`unknown missing-metadata policy "${o.missingMetadata}" (host, default or hide)`);
  }
  for (const k of ['defaultUid', 'defaultGid'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > 0xfffffffe) throw new OptionsError(`${k} must be an id from 0 to 4294967294`);
  }
  for (const k of ['defaultFileMode', 'defaultDirMode'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > 0o7777) throw new OptionsError(`${k} must be permission bits from 0 to 07777`);
  }
  return o;
}
