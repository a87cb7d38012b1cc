// Public surface of the VFS core: openExport builds the Vfs an export
// option set describes. Front ends and tools import from here.

import { CoreVfs } from './core.js';
import { ReadOnlyVfs } from './decorators/readonly.js';
import { HostfsStore } from './meta/hostfs.js';
import { openHumfs } from './meta/humfs.js';
import { resolveExportOptions, type ExportOptions } from './options.js';
import type { Vfs } from './vfs.js';
import { openCowExport } from './cow/open.js';

export type { Vfs, LockRange, LockConflict, AccessModel } from './vfs.js';
export * from './types.js';
export { VfsError, vfsError, fromNodeError, errnoOf, linuxErrnoOf } from './errors.js';
export { LINUX_ERRNO, STRERROR, type ErrnoCode } from './errno.js';
export { type ExportOptions, OptionsError, resolveExportOptions, DEFAULT_EXPORT_OPTIONS } from './options.js';
export { type Logger, nullLogger, stderrLogger } from './log.js';
export { CoreVfs } from './core.js';
export { ReadOnlyVfs } from './decorators/readonly.js';

/**
 * Open the export `options` describes (defaults filled in and validated):
 * the core over the host tree with the chosen metadata store, wrapped
 * read-only when asked; with `cow`, the copy-on-write union of the base
 * and the layer (src/cow/). Throws OptionsError for bad options and VfsError
 * when the directory cannot be opened.
 */
export async function openExport(options: Partial<ExportOptions> & { path: string }): Promise<Vfs> {
  const o = resolveExportOptions(options);
  if (o.cow !== null) return openCowExport(o, openExport);
  const common = {
    maxCachedFds: o.maxCachedFds,
    maxRememberedNodes: o.maxRememberedNodes,
    access: o.access,
    logger: o.logger,
    maxMknodProcesses: o.maxMknodProcesses,
    watch: o.watch ? { maxWatches: o.maxWatches } : undefined,
  };
  let core: CoreVfs;
  const serverUid = process.getuid?.() ?? 0;
  if (o.mode === 'humfs') {
    const humfs = openHumfs(o.path, o, o.logger);
    try {
      const limits = { nosuid: false, nodev: false, nocaps: !o.allowSetuid, serverUid };
      core = new CoreVfs({ root: humfs.dataRoot, store: (host) => humfs.store(host), limits, ...common });
    } catch (e) {
      humfs.abort();
      throw e;
    }
  } else {
    const limits = { nosuid: !o.allowSetuid, nodev: !o.allowDevices, nocaps: !o.allowSetuid, serverUid };
    core = new CoreVfs({ root: o.path, store: (host) => new HostfsStore(host, serverUid === 0), limits, ...common });
  }
  return o.readonly ? new ReadOnlyVfs(core) : core;
}
