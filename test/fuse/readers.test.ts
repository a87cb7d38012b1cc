// Readers of /dev/fuse each hold a thread-pool thread while they wait: asked
// for more than the pool has, the session keeps one thread for the Vfs
// (otherwise every request would wait forever) and says so.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { openExport, nullLogger, type Logger } from '../../src/index.js';
import { mountFuse, type FuseMount } from '../../fuse/mount.js';
import { gated, firstMissing, needRoot, needFile } from '../helpers/gate.js';
import { tmpExport } from '../helpers/tmp-export.js';

const test = suite('fuse readers');
const missing = firstMissing(needRoot('mount FUSE'), needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'));

gated(test, 'more readers than the thread pool has still answers requests, with a warning', missing, async () => {
  const tmp = tmpExport('humbridge-fuse-readers-');
  const mnt = path.join(tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  fs.writeFileSync(path.join(tmp.dir, 'f'), 'answered');
  const vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  const warnings: string[] = [];
  const log: Logger = { ...nullLogger, warn: (m: string) => warnings.push(m) };
  let m: FuseMount | undefined;
  let answered = false;
  try {
    m = await mountFuse(vfs, mnt, { log, readers: 64, passthrough: false });
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('cat', [path.join(mnt, 'f')], { cwd: '/', timeout: 20_000, killSignal: 'SIGKILL' });
      let s = '';
      child.stdout.on('data', (d: Buffer) => (s += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(s));
    });
    answered = out === 'answered';
    assert.is(out, 'answered');
    assert.ok(warnings.some((w) => /64 readers would take every thread of the pool/.test(w)), JSON.stringify(warnings));
  } finally {
    // A hung session never ends by unmounting: abort its connection first, so the readers fail and it ends.
    if (m && !answered) abortConnection(mnt);
    try {
      if (m) await m.unmount();
    } finally {
      if (fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `)) spawn('umount', ['-l', mnt]);
      await vfs.close();
      tmp.cleanup();
    }
  }
});

/** Aborts the FUSE connection mounted at `mnt` (its device minor names it under /sys/fs/fuse/connections). */
function abortConnection(mnt: string): void {
  const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mnt);
  const minor = line?.split(' ')[2]?.split(':')[1];
  if (minor !== undefined) fs.writeFileSync(`/sys/fs/fuse/connections/${minor}/abort`, '1');
}

test.run();
