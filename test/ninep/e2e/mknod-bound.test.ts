// hostfs makes FIFOs (and devices) with one mknod(1) child each. Many
// clients asking at once must not fork without bound: at most
// maxMknodProcesses children run, the rest wait their turn, and every
// request is answered in the end.
//
// A stand-in `mknod` first on PATH holds each child until the test opens a
// gate (a file), so the children pile up exactly as far as the server lets
// them; after one more round trip on every connection, every Tmknod sent
// before it has reached the server, and the children of this process are
// counted.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { walkPath, type Client } from '../../../ninep/client/index.js';
import { tmpExport } from '../../helpers/tmp-export.js';
import { withServer } from './harness.js';

/** Child processes of this process, from every thread's children list. */
function children(): number[] {
  const pids: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    const text = fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
    if (text !== '') pids.push(...text.split(/\s+/).map(Number));
  }
  return pids;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; !ok(); i++) {
    if (i > 3000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const BOUND = 3;
const CONNECTIONS = 4;
const PER_CONNECTION = 16;

test(`hostfs: ${CONNECTIONS * PER_CONNECTION} concurrent Tmknod from ${CONNECTIONS} connections run at most ${BOUND} mknod children at once`, async () => {
  const realMknod = execFileSync('sh', ['-c', 'command -v mknod'], { encoding: 'utf8' }).trim();
  const bin = tmpExport('humbridge-mknod-bin-');
  const gate = path.join(bin.outside, 'open');
  fs.writeFileSync(path.join(bin.dir, 'mknod'), `#!/bin/sh\nwhile [ ! -e '${gate}' ]; do sleep 0.01; done\nexec '${realMknod}' "$@"\n`, { mode: 0o755 });
  const oldPath = process.env['PATH'];
  process.env['PATH'] = `${bin.dir}:${oldPath ?? ''}`;
  try {
    assert.equal(children(), [], 'no children before the test');
    await withServer({ exportOptions: { maxMknodProcesses: BOUND } }, async (s) => {
      const clients: { c: Client; root: number }[] = [];
      for (let i = 0; i < CONNECTIONS; i++) clients.push(await s.attached('9P2000.L'));
      const made: Promise<unknown>[] = [];
      clients.forEach(({ c, root }, i) => {
        for (let j = 0; j < PER_CONNECTION; j++) made.push(c.mknod(root, `fifo-${i}-${j}`, 0o010644, 0, 0));
      });
      let settled = false;
      const all = Promise.all(made).finally(() => (settled = true));
      all.catch(() => undefined); // awaited below; a failure before that must not go unhandled
      let waiting: number;
      try {
        // A round trip behind the Tmknods on every connection: all of them reached the server.
        for (const { c, root } of clients) await walkPath(c, root, '.').then((f) => c.clunk(f));
        await until(`${BOUND} children`, () => children().length >= BOUND);
        waiting = children().length;
      } finally {
        // Opened whatever happens: the server's close waits for the requests in flight.
        fs.writeFileSync(gate, '');
      }
      assert.is(waiting, BOUND, 'children running while every request waits');
      let most = 0;
      while (!settled) {
        most = Math.max(most, children().length);
        await new Promise((r) => setImmediate(r));
      }
      await all;
      assert.ok(most <= BOUND, `at most ${BOUND} children while draining, saw ${most}`);
      const names = fs.readdirSync(s.dir).filter((n) => n.startsWith('fifo-'));
      assert.is(names.length, CONNECTIONS * PER_CONNECTION);
      for (const n of names) assert.ok(fs.lstatSync(path.join(s.dir, n)).isFIFO(), n);
      assert.equal(fs.readdirSync(s.dir).filter((n) => n.startsWith('.humbridge-mknod-')), [], 'no temporary names left');
    });
  } finally {
    fs.writeFileSync(gate, '');
    process.env['PATH'] = oldPath;
    await until('the children to end', () => children().length === 0).catch(() => undefined);
    bin.cleanup();
  }
});

test.run();
