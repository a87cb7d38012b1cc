// Opening a humfs export folder: its superblock must parse (version 2,
// shadow_fs); data/ is what the core serves; file_metadata/ and
// dir_metadata/ must exist (a conversion always makes them), are opened once
// here and reached only by descriptor afterwards. Opening writes nothing;
// it measures what data/ holds, which is `used` from then on (space.ts).

import { vfsError, VfsError } from '../../errors.js';
import { Host } from '../../host/host.js';
import { closeMeta } from '../../host/meta-files.js';
import { readFileAt, walkBeneath } from '../../host/tree.js';
import { fileBytesBelow } from '../../host/usage.js';
import type { Logger } from '../../log.js';
import { HUMFS_LAYOUT, HumfsFormatError, parseSuperblock } from '../humfs-format.js';
import type { MissingPolicyOptions } from './missing.js';
import { SpaceAccount } from './space.js';
import { HumfsStore } from './store.js';

export interface HumfsOpenOptions extends MissingPolicyOptions {
  /** How long a changed `used` may wait before the superblock is rewritten (ms). */
  superblockDelayMs?: number;
  /** A read-only export: the superblock is never rewritten. */
  readonly?: boolean;
}

export interface OpenedHumfs {
  /** What the core opens as its root: data/ of the export, reached through the export's descriptor. */
  dataRoot: string;
  /** Builds the store over the core's host access (called once). */
  store(host: Host): HumfsStore;
  /** Close what was opened when the core could not be built. */
  abort(): void;
}

/** Default delay of superblock updates while the guest writes. */
export const SUPERBLOCK_DELAY_MS = 1000;

/** A metadata tree of the export; every conversion makes both, even of an empty data/. */
function openTree(exportFd: number, path: string, name: string): number {
  try {
    return walkBeneath(exportFd, [Buffer.from(name)]);
  } catch (e) {
    if (e instanceof VfsError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) {
      throw vfsError('EINVAL', 'open humfs export', `${path}: no ${name}/ folder (convert the tree with humfsify first)`);
    }
    throw e;
  }
}

export function openHumfs(path: string, options: HumfsOpenOptions, log: Logger): OpenedHumfs {
  const host = new Host(log);
  const exportFd = host.openRoot(path);
  const fds = [exportFd];
  try {
    const text = readFileAt(exportFd, Buffer.from(HUMFS_LAYOUT.superblock));
    if (text === null) throw vfsError('EINVAL', 'open humfs export', `${path}: no superblock (convert the tree with humfsify first)`);
    let sb;
    try {
      sb = parseSuperblock(text.toString('latin1'));
    } catch (e) {
      if (e instanceof HumfsFormatError) throw vfsError('EINVAL', 'open humfs export', `${path}/superblock: ${e.message}`);
      throw e;
    }
    const fileMetaFd = openTree(exportFd, path, HUMFS_LAYOUT.fileMetadata);
    fds.push(fileMetaFd);
    const dirMetaFd = openTree(exportFd, path, HUMFS_LAYOUT.dirMetadata);
    fds.push(dirMetaFd);
    const delay = options.superblockDelayMs ?? SUPERBLOCK_DELAY_MS;
    const superblock = sb;
    // `used` as data/ has it now, whatever a crash left in the superblock
    // (about 1 s per 100,000 entries here, see the README).
    const dataFd = walkBeneath(exportFd, [Buffer.from(HUMFS_LAYOUT.data)]);
    let measured: bigint;
    try {
      measured = fileBytesBelow(dataFd).bytes;
    } finally {
      closeMeta(dataFd);
    }
    return {
      dataRoot: `/proc/self/fd/${exportFd}/${HUMFS_LAYOUT.data}`,
      store: (coreHost) =>
        new HumfsStore(
          coreHost,
          { exportFd, fileMetaFd, dirMetaFd, space: new SpaceAccount(coreHost, exportFd, superblock, measured, delay, log, options.readonly === true) },
          options,
          log,
        ),
      abort: () => {
        for (const fd of fds) closeMeta(fd);
      },
    };
  } catch (e) {
    for (const fd of fds) closeMeta(fd);
    throw e;
  }
}
