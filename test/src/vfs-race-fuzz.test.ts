// Seeded race fuzz of the Vfs itself, hostfs and humfs: many operations in
// flight at once on a handful of names in two directories, so that renames,
// unlinks, links, creates, lookups, opens and listings of the same names
// overlap. Every reference and handle a call returns is given back at a
// random later point. Afterwards:
//   - every failure was a VfsError and nothing was logged as unexpected;
//   - the node table is back to the root alone (beside idle directories,
//     which hold no descriptor), with its one descriptor,
//     and no handle is left;
//   - humfs: `humfsify --check` finds the records consistent with data/.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openExport } from '../../src/index.js';
import type { CoreVfs } from '../../src/core.js';
import { VfsError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { O_CREAT, O_RDWR, RENAME_EXCHANGE, RENAME_NOREPLACE, type Entry, type HandleId, type NodeId } from '../../src/types.js';
import type { Vfs } from '../../src/vfs.js';
import { below, prng } from '../helpers/prng.js';
import { B, ME } from '../conformance/vfs.js';
import { tmpExport } from '../helpers/tmp-export.js';
import { humfsifyCheck, makeLayout } from './meta/humfs-helpers.js';

const OPS = Number(process.env['HUMBRIDGE_FUZZ_REQUESTS'] ?? 3000);
const SEED = Number(process.env['HUMBRIDGE_FUZZ_SEED'] ?? 0);
const IN_FLIGHT = 16;
const NAMES = ['a', 'b', 'c', 'd', 'sub'].map(B);

type Rand = () => number;

/** References and handles the fuzz holds, to be given back at random. */
class Held {
  refs: NodeId[] = [];
  files: HandleId[] = [];
  dirs: HandleId[] = [];

  take<T>(rand: Rand, list: T[]): T | undefined {
    if (list.length === 0) return undefined;
    const i = below(rand, list.length);
    const [x] = list.splice(i, 1);
    return x;
  }
}

async function step(vfs: Vfs, rand: Rand, dirs: readonly NodeId[], held: Held): Promise<void> {
  const dir = (): NodeId => dirs[below(rand, dirs.length)] as NodeId;
  const name = (): Buffer => NAMES[below(rand, NAMES.length)] as Buffer;
  const keep = (e: Entry): void => void held.refs.push(e.id);
  const someNode = (): NodeId => held.refs[below(rand, held.refs.length)] ?? vfs.root;
  switch (below(rand, 16)) {
    case 0:
      return keep(await vfs.lookup(ME, dir(), name()));
    case 1: {
      const made = await vfs.create(ME, dir(), name(), O_RDWR | O_CREAT, 0o644);
      keep(made.entry);
      held.files.push(made.handle);
      return;
    }
    case 2:
      return keep(await vfs.mkdir(ME, dir(), name(), 0o755));
    case 3:
      return vfs.unlink(ME, dir(), name());
    case 4:
      return vfs.rmdir(ME, dir(), name());
    case 5:
      return vfs.rename(ME, dir(), name(), dir(), name(), [0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE][below(rand, 4)] as number);
    case 6:
      return keep(await vfs.link(ME, someNode(), dir(), name()));
    case 7:
      return keep(await vfs.symlink(ME, dir(), name(), B('../a')));
    case 8: {
      held.files.push(await vfs.open(ME, someNode(), O_RDWR));
      return;
    }
    case 9: {
      const h = held.files[below(rand, held.files.length)];
      if (h !== undefined) await vfs.write(h, BigInt(below(rand, 8192)), B('data'));
      return;
    }
    case 10: {
      const h = await vfs.opendir(ME, someNode());
      held.dirs.push(h);
      await vfs.readdir(h, 0n, 64);
      return;
    }
    case 11:
      await vfs.getattr(someNode());
      return;
    case 12:
      // The owner keeps rwx, so the tree stays removable when the tests run as an ordinary user.
      await vfs.setattr(ME, someNode(), below(rand, 2) === 0 ? { mode: 0o700 | below(rand, 0o100) } : { size: BigInt(below(rand, 100)) });
      return;
    case 13: {
      const id = held.take(rand, held.refs);
      if (id !== undefined) vfs.forget(id, 1);
      return;
    }
    case 14: {
      const h = held.take(rand, held.files);
      if (h !== undefined) await vfs.release(h);
      return;
    }
    default: {
      const h = held.take(rand, held.dirs);
      if (h !== undefined) await vfs.releasedir(h);
    }
  }
}

for (const mode of ['hostfs', 'humfs'] as const) {
  test(`${mode}: ${OPS} racing operations (seed ${SEED}) leave no node, handle or descriptor behind`, async () => {
    const tmp = tmpExport('humbridge-race-');
    const unexpected: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => void unexpected.push(m) };
    if (mode === 'humfs') makeLayout(tmp.dir);
    const vfs = await openExport({ path: tmp.dir, mode, logger });
    try {
      const d1 = await vfs.mkdir(ME, vfs.root, B('d1'), 0o755);
      const d2 = await vfs.mkdir(ME, vfs.root, B('d2'), 0o755);
      const dirs = [vfs.root, d1.id, d2.id];
      const rand = prng(0x5eed + SEED);
      const held = new Held();
      const failures = new Map<string, number>();
      let done = 0;
      const worker = async (): Promise<void> => {
        while (done < OPS) {
          done++;
          try {
            await step(vfs, rand, dirs, held);
          } catch (e) {
            assert.instance(e, VfsError, `only VfsErrors reject: ${String(e)}`);
            const code = (e as VfsError).code;
            failures.set(code, (failures.get(code) ?? 0) + 1);
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      for (const h of held.files) await vfs.release(h);
      for (const h of held.dirs) await vfs.releasedir(h);
      for (const id of held.refs) vfs.forget(id, 1);
      vfs.forget(d1.id, 1);
      vfs.forget(d2.id, 1);

      assert.equal(unexpected, [], 'nothing logged as unexpected');
      const stats = (vfs as CoreVfs).stats;
      // Idle directories may stay (nodes.ts), but without a descriptor.
      assert.equal(stats, { nodes: 1, idle: stats.idle, descriptors: 1, handles: 0 }, `failures: ${JSON.stringify([...failures])}`);
      if (mode === 'humfs') {
        await vfs.close();
        assert.equal(humfsifyCheck(tmp.dir), [], 'humfsify --check finds the layout consistent');
      }
    } finally {
      await vfs.close();
      tmp.cleanup();
    }
  });
}

test.run();
