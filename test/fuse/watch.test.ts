// Host edits seen through a FUSE mount whose kernel caches would otherwise
// hide them: 60 s entry and attribute timeouts, every file listed, stated and
// read first, one held open. Each kind of edit is made directly in the host
// directory and must show through the mount (stat, read, readdir from child
// processes) within DEADLINE_MS; without the watcher the kernel would trust
// its caches for the whole minute.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openExport, nullLogger, type Vfs } from '../../src/index.js';
import { mountFuse, type FuseMount } from '../../fuse/mount.js';
import { firstMissing, gated, needProgram } from '../helpers/gate.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { fuseMissing, noMountAt, sh } from './helpers/mount.js';

const test = suite('fuse watch');
const missing = firstMissing(fuseMissing, needProgram('git', 'git'));

/** Never seen within this long is a failure (no assertion on how fast). */
const DEADLINE_MS = 10_000;
const LONG = 60;

let tmp: TmpExport;
let mnt: string;
let vfs: Vfs;
let m: FuseMount | undefined;
let holder: ChildProcess | undefined;

const host = (...p: string[]): string => path.join(tmp.dir, ...p);

/** Runs `script` in the mount until its output is `want`; fails with the last output after DEADLINE_MS. */
async function until(script: string, want: string): Promise<void> {
  const end = Date.now() + DEADLINE_MS;
  let last = '';
  for (;;) {
    const o = await sh(script, mnt);
    last = o.stdout.toString() + o.stderr;
    if (last === want) return;
    if (Date.now() > end) assert.unreachable(`never saw ${JSON.stringify(want)} from \`${script}\`; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** git in the host-side repository (never the mount: a synchronous child is safe here). */
function git(...args: string[]): void {
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const r = spawnSync('git', ['-C', host('repo'), ...args], { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed`);
}

function fillTree(): void {
  for (const n of ['inplace', 'append', 'trunc', 'saved', 'doomed', 'modes']) fs.writeFileSync(host(n), `${n} old\n`);
  fs.mkdirSync(host('gone-dir'));
  fs.mkdirSync(host('repo'));
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(host('repo', 'f1'), 'main\n');
  fs.writeFileSync(host('repo', 'only-main'), 'm\n');
  git('add', '-A');
  git('commit', '-qm', 'main');
  git('checkout', '-qb', 'other');
  fs.writeFileSync(host('repo', 'f1'), 'other\n');
  fs.rmSync(host('repo', 'only-main'));
  fs.mkdirSync(host('repo', 'newdir'));
  fs.writeFileSync(host('repo', 'newdir', 'only-other'), 'o\n');
  git('add', '-A');
  git('commit', '-qm', 'other');
  git('checkout', '-q', 'main');
}

/** Everything listed, stated and read through the mount, so the kernel caches it. */
async function warm(): Promise<void> {
  const o = await sh('ls -laR . >/dev/null && stat * repo/* >/dev/null && cat inplace append trunc saved doomed modes repo/f1 repo/only-main >/dev/null && echo ok', mnt);
  assert.is(o.stdout.toString(), 'ok\n', o.stderr);
}

test.before.each(async () => {
  tmp = tmpExport('humbridge-fuse-watch-');
  mnt = path.join(tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  m = undefined;
  holder = undefined;
});
test.after.each(async () => {
  try {
    holder?.kill('SIGKILL');
    if (m) await m.unmount();
  } finally {
    await noMountAt(mnt);
    await vfs?.close();
    tmp.cleanup();
  }
});

gated(test, 'every kind of host edit shows through a mount with 60 s timeouts; an open handle keeps the replaced file', missing, async () => {
  fillTree();
  vfs = await openExport({ path: tmp.dir, watch: true });
  m = await mountFuse(vfs, mnt, { log: nullLogger, entryTimeout: LONG, attrTimeout: LONG });
  await warm();
  // A process holding `saved` open on the mount; it prints what it reads through that descriptor on each line of input.
  holder = spawn(process.execPath, ['-e', `
    const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'r');
    process.stdout.write('ready\\n');
    process.stdin.on('data', () => { const b = Buffer.alloc(100); const n = fs.readSync(fd, b, 0, 100, 0); process.stdout.write(b.subarray(0, n)); });
  `, path.join(mnt, 'saved')], { cwd: '/', stdio: ['pipe', 'pipe', 'inherit'] });
  let held = '';
  holder.stdout?.on('data', (d: Buffer) => (held += d.toString()));
  const end = Date.now() + DEADLINE_MS;
  while (!held.includes('ready') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(held.includes('ready'), 'the holder opened the file');

  // Write in place (same inode, same size).
  const fd = fs.openSync(host('inplace'), 'r+');
  fs.writeSync(fd, 'INPLACE', 0);
  fs.closeSync(fd);
  await until('cat inplace', 'INPLACE old\n');

  fs.appendFileSync(host('append'), 'more\n');
  await until('cat append; stat -c %s append', 'append old\nmore\n16\n');

  fs.truncateSync(host('trunc'), 3);
  await until('stat -c %s trunc; cat trunc', '3\ntru');

  // An editor's save: a new file renamed over the old one.
  fs.writeFileSync(host('.saved.swp'), 'saved new\n');
  fs.renameSync(host('.saved.swp'), host('saved'));
  await until('cat saved', 'saved new\n');
  held = '';
  holder.stdin?.write('\n');
  const end2 = Date.now() + DEADLINE_MS;
  while (held === '' && Date.now() < end2) await new Promise((r) => setTimeout(r, 20));
  assert.is(held, 'saved old\n', 'the open handle still reads the file it opened');

  fs.unlinkSync(host('doomed'));
  await until('ls; test -e doomed || echo absent', 'append\ngone-dir\ninplace\nmodes\nrepo\nsaved\ntrunc\nabsent\n');

  fs.writeFileSync(host('born'), 'born\n');
  await until('cat born && ls | grep -c born', 'born\n1\n');

  fs.chmodSync(host('modes'), 0o600);
  await until('stat -c %a modes', '600\n');
  fs.chownSync(host('modes'), 1234, 5678);
  await until('stat -c %u:%g modes', '1234:5678\n');

  fs.mkdirSync(host('made-dir'));
  fs.writeFileSync(host('made-dir', 'inside'), 'x');
  await until('ls made-dir', 'inside\n');
  // A directory moved on the host, its entry cached: the same directory lives on under its new name.
  fs.renameSync(host('made-dir'), host('moved-dir'));
  await until('test -e made-dir || echo absent; cat moved-dir/inside; ls moved-dir', 'absent\nxinside\n');
  fs.rmdirSync(host('gone-dir'));
  await until('test -d gone-dir || echo absent', 'absent\n');

  git('checkout', '-q', 'other');
  await until('cat repo/f1; ls repo; cat repo/newdir/only-other', 'other\nf1\nnewdir\no\n');
});

gated(test, 'with a small watch budget, directories past it are revalidated on access (short timeouts), warned once', missing, async () => {
  for (const d of ['a', 'b', 'c']) {
    fs.mkdirSync(host(d));
    fs.writeFileSync(host(d, 'f'), `${d} old\n`);
  }
  const warnings: string[] = [];
  const log = { ...nullLogger, warn: (msg: string) => warnings.push(msg) };
  // One watch: the root's. a, b and c are left unwatched.
  vfs = await openExport({ path: tmp.dir, watch: true, maxWatches: 1, logger: log });
  m = await mountFuse(vfs, mnt, { log: nullLogger, entryTimeout: LONG, attrTimeout: LONG });
  assert.is((await sh('cat a/f b/f c/f', mnt)).stdout.toString(), 'a old\nb old\nc old\n');
  fs.writeFileSync(host('a', 'f'), 'a new!\n');
  fs.rmSync(host('b', 'f'));
  fs.writeFileSync(host('c', 'g'), 'g\n');
  await until('cat a/f', 'a new!\n');
  await until('test -e b/f || echo absent', 'absent\n');
  await until('ls c', 'f\ng\n');
  assert.is(warnings.filter((w) => /watch budget/.test(w)).length, 1, warnings.join('\n'));
});

test.run();
