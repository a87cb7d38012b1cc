// The open-file limits `humbridge serve` derives from the process's
// descriptor limit, leaving room for the exports' caches and connections.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FD_SLACK, processFdLimit, withFdBudget } from '../../tools/cli/fd-budget.js';
import { UsageError } from '../../tools/cli/args.js';
import { resolveExportOptions } from '../../src/options.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63448                63448                processes
Max open files            20000                524288               files
Max locked memory         8388608              8388608              bytes
`;

test('the soft limit is read from /proc/self/limits text; this process has one', () => {
  assert.is(processFdLimit(LIMITS), 20000);
  assert.is(processFdLimit('Max open files            unlimited            unlimited            files\n'), undefined);
  assert.ok((processFdLimit() ?? 0) > 0);
});

test('the total is what the limit leaves; the per-connection default never passes it', () => {
  const hostfs = resolveExportOptions({ path: '/x', maxCachedFds: 1000 });
  const humfs = resolveExportOptions({ path: '/y', mode: 'humfs', maxCachedFds: 100 });
  const o = withFdBudget({ maxConnections: 10 }, [hostfs, humfs], 20000);
  assert.is(o.maxOpenFilesTotal, 20000 - FD_SLACK - 10 - 1000 - 100 - 64);
  assert.is(o.maxOpenFiles, 4096);
  const small = withFdBudget({ maxConnections: 10 }, [hostfs], 2000);
  assert.is(small.maxOpenFilesTotal, 2000 - FD_SLACK - 10 - 1000);
  assert.is(small.maxOpenFiles, small.maxOpenFilesTotal);
  assert.equal(withFdBudget({ maxOpenFiles: 7 }, [hostfs], undefined), { maxOpenFiles: 7 });
  assert.is(withFdBudget({ maxOpenFiles: 7, maxOpenFilesTotal: 100 }, [hostfs], 20000).maxOpenFiles, 7);
});

test('no room at all is a usage error; a total given that does not fit is kept, with a warning', () => {
  const hostfs = resolveExportOptions({ path: '/x' });
  assert.throws(() => withFdBudget({}, [hostfs], 1024), (e: unknown) => e instanceof UsageError && /ulimit -n/.test(e.message));
  const warnings: string[] = [];
  const o = withFdBudget({ maxOpenFilesTotal: 19000 }, [hostfs], 20000, (m) => warnings.push(m));
  assert.is(o.maxOpenFilesTotal, 19000);
  assert.is(warnings.length, 1);
  assert.match(warnings[0] ?? '', /more than the \d+ that fit/);
  assert.is(withFdBudget({ maxOpenFilesTotal: 500 }, [hostfs], 1024, (m) => warnings.push(m)).maxOpenFilesTotal, 500);
  assert.is(warnings.length, 2);
});

test.run();
