// Opening a copy-on-write export: the layer's manifest must name this
// base (unchanged since the layer was made, unless forced) and this mode;
// then the base is opened read-only and the layer's upper/ writable, each
// as an ordinary export, and the union joins them.

import { ReadOnlyVfs } from '../decorators/readonly.js';
import { Host } from '../host/host.js';
import { HUMFS_LAYOUT } from '../meta/humfs-format.js';
import { OptionsError, type ExportOptions } from '../options.js';
import type { Vfs } from '../vfs.js';
import { BaseLinks } from '../host/link-groups.js';
import { UnionContext } from './context.js';
import { LayerTrees } from '../host/cow-trees.js';
import { baseMismatch, COW_LAYOUT, CowLayoutError, readManifest, upperOf } from './layout.js';
import { lockLayer } from '../host/layer-lock.js';
import { layerFileExists } from '../host/layer-files.js';
import { carryOut, PendingLog } from './pending.js';
import { UnionVfs } from './union.js';

type OpenPlain = (o: ExportOptions) => Promise<Vfs>;

/** The risk --force takes, in the words the refusal and the warning use. */
const FORCE_RISK =
  "files the layer copied up hide the base's newer versions, whiteouts may delete files the base gained since, and hard links copied up may no longer match";

/** Throws OptionsError (wrong layer, mode or base) or VfsError (a tree cannot be opened). */
export async function openCowExport(o: ExportOptions, openPlain: OpenPlain): Promise<Vfs> {
  const layer = o.cow as string;
  // Filled by the identity walk: the base is walked once.
  const links = new BaseLinks(o.mode === 'humfs' ? HUMFS_LAYOUT.data : null);
  let why: string | undefined;
  try {
    const m = readManifest(layer);
    if (m.mode !== o.mode) {
      throw new OptionsError(`the layer ${layer} was made for a ${m.mode} base; serve it in ${m.mode} mode${m.mode === 'humfs' ? ' (--humfs)' : ' (without --humfs)'}`);
    }
    why = baseMismatch(m, o.path, links.visit);
  } catch (e) {
    if (e instanceof CowLayoutError) throw new OptionsError(e.message);
    throw e;
  }
  if (why !== undefined) {
    if (!o.cowForce) throw new OptionsError(`refusing the layer ${layer}: ${why}. --force serves it anyway: ${FORCE_RISK}`);
    o.logger.warn(`serving the layer ${layer} anyway (--force): ${why}; ${FORCE_RISK}`);
  }
  let unlock: () => void;
  try {
    unlock = lockLayer(layer, 'serving it');
  } catch (e) {
    if (e instanceof CowLayoutError) throw new OptionsError(e.message);
    throw e;
  }
  try {
    // Checked under the lock: a merge stopped part way has the upper tree half reset.
    if (layerFileExists(layer, COW_LAYOUT.mergeJournal)) {
      throw new OptionsError(`a merge of the layer ${layer} is unfinished: run \`humbridge cow merge ${layer}\` (with the same --into, if any) to finish it first`);
    }
    return await openUnion(o, openPlain, layer, links, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function openUnion(o: ExportOptions, openPlain: OpenPlain, layer: string, links: BaseLinks, unlock: () => void): Promise<Vfs> {
  const upper = upperOf(layer);
  // No host watcher on either side: the base must not change (that is what
  // the identity check is for), and the union writes whiteouts and opaque
  // marks into the layer behind the layer Vfs, which a watcher would take
  // for host edits (in humfs mode it would even give them records).
  const base = new ReadOnlyVfs(await openPlain({ ...o, cow: null, readonly: true, watch: false }));
  let top: Vfs | undefined;
  let trees: LayerTrees | undefined;
  try {
    top = await openPlain({ ...o, cow: null, readonly: false, watch: false, path: upper });
    trees = new LayerTrees(upper, o.mode, new Host(o.logger, o.maxMknodProcesses));
    const keepOwner = o.mode === 'humfs' || process.getuid?.() === 0;
    const pending = new PendingLog(layer);
    const ctx = new UnionContext(base, top, trees, links, keepOwner, o.logger, o.maxRememberedNodes, pending);
    const unfinished = pending.read();
    if (unfinished !== undefined) {
      // A server stopped between the steps of one change: finish it before anyone looks.
      await carryOut(ctx, unfinished);
      pending.clear();
      o.logger.info(`the layer ${layer}: finished a change a stopped server had begun (${unfinished.op})`);
    }
    const union = new UnionVfs(ctx, unlock);
    return o.readonly ? new ReadOnlyVfs(union) : union;
  } catch (e) {
    trees?.close();
    await top?.close();
    await base.close();
    throw e;
  }
}
