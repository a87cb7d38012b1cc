// Passthrough through a real root mount: with it, the kernel reads and
// writes host files itself (the session sees no READ or WRITE); without it
// (`passthrough: false`) every read and write comes through the session.
// Uses of the mount are child processes, as in mount.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { openExport, nullLogger, type Vfs } from '../../src/index.js';
import type { VfsChange } from '../../src/changes.js';
import { mountFuse, type FuseMount } from '../../fuse/mount.js';
import { loadNative } from '../../native/index.js';
import { gated, firstMissing, needRoot, needFile } from '../helpers/gate.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { openHumfsExport } from '../src/meta/humfs-helpers.js';

const test = suite('fuse passthrough');
const missing = firstMissing(needRoot('register backing files (CAP_SYS_ADMIN)'), needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'), loadNative().reason);

function sh(script: string, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `cd "$0" && ${script}`, dir], { cwd: '/', timeout: 30_000, killSignal: 'SIGKILL', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const BIG = crypto.randomBytes(2 * 1024 * 1024 + 77);
const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

let tmp: TmpExport;
let mnt: string;
let vfs: Vfs | undefined;
let m: FuseMount | undefined;

test.before.each(() => {
  tmp = tmpExport('humbridge-fuse-passthrough-');
  mnt = path.join(tmp.outside, 'mnt');
  fs.mkdirSync(mnt);
  vfs = undefined;
  m = undefined;
});
test.after.each(async () => {
  try {
    if (m) await m.unmount();
  } finally {
    if (fs.readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `)) await sh('umount -l "$0"', mnt);
    await vfs?.close();
    tmp.cleanup();
  }
});

/** Copies big.bin to copy.bin, appends to it, and reads both back with sha256sum. */
const SCRIPT = 'cat big.bin > copy.bin && printf tail >> small && sha256sum big.bin copy.bin && cat small';

function expected(): string {
  const h = sha(BIG);
  return `${h}  big.bin\n${h}  copy.bin\nhead tail`;
}

gated(test, 'with passthrough, reads and writes reach the host file and never the session', missing, async () => {
  fs.writeFileSync(path.join(tmp.dir, 'big.bin'), BIG);
  fs.writeFileSync(path.join(tmp.dir, 'small'), 'head ');
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh(SCRIPT, mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, expected());
  assert.ok(m.session.passthrough.active);
  assert.is(m.session.counts.get('READ'), undefined);
  assert.is(m.session.counts.get('WRITE'), undefined);
  assert.ok((m.session.counts.get('OPEN') ?? 0) >= 2);
  assert.ok(fs.readFileSync(path.join(tmp.dir, 'copy.bin')).equals(BIG));
  assert.is(fs.readFileSync(path.join(tmp.dir, 'small'), 'utf8'), 'head tail');
  // Every backing file is given back with its last handle.
  await sh('true', mnt);
  assert.is(m.session.passthrough.backings, 0);
});

gated(test, 'with passthrough off, the same reads and writes come through the session', missing, async () => {
  fs.writeFileSync(path.join(tmp.dir, 'big.bin'), BIG);
  fs.writeFileSync(path.join(tmp.dir, 'small'), 'head ');
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  m = await mountFuse(vfs, mnt, { log: nullLogger, passthrough: false });
  const r = await sh(SCRIPT, mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, expected());
  assert.not.ok(m.session.passthrough.active);
  assert.ok((m.session.counts.get('READ') ?? 0) > 0);
  assert.ok((m.session.counts.get('WRITE') ?? 0) > 0);
});

gated(test, 'a write through passthrough is announced to the Vfs by the time the writer has closed it', missing, async () => {
  fs.writeFileSync(path.join(tmp.dir, 'f'), 'old contents');
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  const v = vfs;
  const seen: VfsChange[] = [];
  v.onChange((c) => seen.push(c));
  m = await mountFuse(v, mnt, { log: nullLogger });
  const r = await sh('printf NEW >> f', mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(m.session.counts.get('WRITE'), undefined);
  // What a 9P client reads through the Vfs: the new bytes, and a data change to drop its read-ahead.
  const cred = { uid: 0, gid: 0, pid: 0 };
  const e = await v.lookup(cred, v.root, Buffer.from('f'));
  assert.ok(seen.some((c) => c.kind === 'data' && c.node === e.id), JSON.stringify(seen));
  const h = await v.open(cred, e.id, 0);
  const into = Buffer.alloc(64);
  const n = await v.read(h, 0n, into);
  assert.is(into.subarray(0, n).toString(), 'old contentsNEW');
  await v.release(h);
  v.forget(e.id, 1);
});

gated(test, 'humfs: no passthrough (the superblock counts written bytes); a reader and a writer share one file', missing, async () => {
  const h = await openHumfsExport(tmp.dir);
  vfs = h;
  m = await mountFuse(h, mnt, { log: nullLogger });
  const r = await sh('printf abc > f && exec 3<f && printf def >> f && cat f && cat <&3', mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'abcdefabcdef');
  assert.ok((m.session.counts.get('WRITE') ?? 0) > 0);
  assert.ok((m.session.counts.get('READ') ?? 0) > 0);
  assert.is(fs.readFileSync(path.join(tmp.dir, 'data', 'f'), 'utf8'), 'abcdef');
});

gated(test, 'hostfs: a file open for reading and for writing at once passes through both', missing, async () => {
  fs.writeFileSync(path.join(tmp.dir, 'f'), 'abc');
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  m = await mountFuse(vfs, mnt, { log: nullLogger });
  const r = await sh('exec 3<f && printf def >> f && cat f && cat <&3', mnt);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'abcdefabcdef');
  assert.is(m.session.counts.get('READ'), undefined);
  assert.is(m.session.counts.get('WRITE'), undefined);
});

test.run();
