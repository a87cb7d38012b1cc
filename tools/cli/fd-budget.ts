// How many files the 9P server may keep open, from the process's descriptor
// limit (RLIMIT_NOFILE; Node has no getrlimit, Linux shows it in
// /proc/self/limits). The server itself knows nothing of the host, so
// `humbridge serve` works the numbers out here and passes them in as
// options: clients together may hold what the limit leaves after the
// descriptors kept for everything else.

import fs from 'node:fs';
import type { ExportOptions } from '../../src/options.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../../ninep/server/options.js';
import { UsageError } from './args.js';

/** Descriptors for the rest of the process: stdio, the listener, libuv's own, a transient lookup or two. */
export const FD_SLACK = 64;
/** What a humfs store keeps open of its metadata folders at most (FOLDER_CACHE in src/meta/humfs/records.ts). */
const HUMFS_FOLDER_FDS = 64;

/** The soft "Max open files" of /proc/self/limits; undefined where it cannot be read or is unlimited. */
export function processFdLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+)/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/**
 * The open-file options for `server`: maxOpenFilesTotal is what `limit`
 * leaves after the exports' cached descriptors, one per connection and
 * FD_SLACK; maxOpenFiles (per connection) its default or the total, if
 * smaller. A total given that does not fit is kept, with a warning: the
 * user asked for it (clients may then meet the host's own EMFILE). No room
 * at all without a total given is a UsageError.
 */
export function withFdBudget(
  server: Partial<ServerOptions>,
  exports: readonly ExportOptions[],
  limit: number | undefined,
  warn: (message: string) => void = () => undefined,
): Partial<ServerOptions> {
  if (limit === undefined) return server;
  const connections = server.maxConnections ?? DEFAULT_SERVER_OPTIONS.maxConnections;
  const cached = exports.reduce((n, e) => n + e.maxCachedFds + (e.mode === 'humfs' ? HUMFS_FOLDER_FDS : 0), 0);
  const reserved = FD_SLACK + connections + cached;
  const room = limit - reserved;
  const why = `the process may open ${limit} descriptors and keeps ${reserved} for the exports' caches (--max-cached-fds), the connections (--max-connections) and itself`;
  const given = server.maxOpenFilesTotal;
  if (given === undefined && room < 1) {
    throw new UsageError(`${why}: nothing is left for open files; raise the limit (ulimit -n), lower those, or set --max-open-files-total`);
  }
  if (given !== undefined && given > room) warn(`--max-open-files-total ${given} is more than the ${Math.max(room, 0)} that fit (${why}): clients may get the host's EMFILE`);
  const total = given ?? room;
  const perConnection = server.maxOpenFiles ?? Math.min(DEFAULT_SERVER_OPTIONS.maxOpenFiles, total);
  return { ...server, maxOpenFilesTotal: total, maxOpenFiles: perConnection };
}
