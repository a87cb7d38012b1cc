// Copy-on-write through real interfaces: `humbridge mount --base --cow` (a
// real FUSE mount, used only by children that cd into it), and the kernel's
// overlayfs reading a layer that an ordinary user made through humbridge:
// `mount -t overlay -o lowerdir=BASE,upperdir=LAYER/upper,workdir=LAYER/work,userxattr`
// must show the same tree as humbridge does. Every mount is unmounted in
// finally.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isWhiteout } from '../../src/cow/layout.js';
import { firstMissing, gated, needFile, needRoot } from '../helpers/gate.js';
import { NOBODY, spawnNodeAsSync } from '../helpers/as-user.js';
import { makeLayer } from '../helpers/cow-layer.js';
import { CHILD_ENV, collect, hb as runCli, type Out } from '../helpers/child-text.js';
import { snapshotTree } from '../src/cow/cow-helpers.js';

const test = suite('cow mounts');
const ENV = CHILD_ENV;
const fuse = firstMissing(needRoot('mount FUSE'), needFile('/dev/fuse', 'the kernel fuse module (modprobe fuse)'));
const overlay = firstMissing(
  fuse,
  fs.readFileSync('/proc/filesystems', 'utf8').includes('overlay') || fs.existsSync('/sys/module/overlay') ? undefined : 'the kernel has no overlay filesystem (modprobe overlay)',
);



/** A shell script run by a child that starts in / ($0 is `dir`; never a call on a mount from here). */
function sh(script: string, dir: string, ...args: string[]): Promise<Out> {
  return collect(spawn('sh', ['-c', script, dir, ...args], { cwd: '/', timeout: 60_000, killSignal: 'SIGKILL', env: ENV }));
}

const hb = (...args: string[]): Promise<Out> => runCli(60_000, ...args);

/** Every entry below a mount with its type, mode, owner (and size and links of files), then every file's hash. */
const VIEW =
  'cd "$0" && find . -printf "%p %y %m %U %G\\n" | sort && find . -type f -printf "%p %s %n\\n" | sort && find . -type f -exec sha256sum {} + | sort && find . -type l -printf "%p -> %l\\n" | sort';

function fixture(): { top: string; base: string; layer: string; mnt: string } {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-cowmnt-'));
  fs.chmodSync(top, 0o755);
  const base = path.join(top, 'base');
  fs.mkdirSync(path.join(base, 'd', 'deep'), { recursive: true });
  fs.mkdirSync(path.join(base, 'full'));
  fs.writeFileSync(path.join(base, 'f'), 'base f\n');
  fs.writeFileSync(path.join(base, 'gone'), 'deleted later\n');
  fs.writeFileSync(path.join(base, 'g'), 'a file, a directory later\n');
  fs.writeFileSync(path.join(base, 'mode'), 'chmod me\n', { mode: 0o644 });
  fs.writeFileSync(path.join(base, 'd', 'x'), 'x\n');
  fs.writeFileSync(path.join(base, 'd', 'deep', 'y'), 'y\n');
  fs.writeFileSync(path.join(base, 'full', 'c'), 'c\n');
  fs.writeFileSync(path.join(base, 'h1'), 'linked\n');
  fs.linkSync(path.join(base, 'h1'), path.join(base, 'h2'));
  fs.symlinkSync('f', path.join(base, 'sym'));
  const layer = path.join(top, 'layer');
  const mnt = path.join(top, 'mnt');
  fs.mkdirSync(mnt);
  return { top, base, layer, mnt };
}

async function unmount(mnt: string): Promise<void> {
  if (fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt)) await sh('umount -l "$0"', mnt);
}

gated(test, 'humbridge mount --base --cow: changes made in the mount land in the layer; the base is byte-identical', fuse, async () => {
  const t = fixture();
  makeLayer(t.base, t.layer, 'hostfs');
  const before = snapshotTree(t.base);
  try {
    const m = await hb('mount', '--base', t.base, '--cow', t.layer, t.mnt);
    assert.is(m.code, 0, m.stderr);
    const r = await sh('cd "$0" && printf guest > f && rm gone && mv d e && mkdir n && echo hi > n/file && cat e/deep/y && ls', t.mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'y\ne\nf\nfull\ng\nh1\nh2\nmode\nn\nsym\n');
  } finally {
    await unmount(t.mnt);
  }
  const upper = path.join(t.layer, 'upper');
  assert.is(fs.readFileSync(path.join(upper, 'f'), 'utf8'), 'guest');
  assert.ok(isWhiteout(fs.lstatSync(path.join(upper, 'gone'))));
  assert.ok(isWhiteout(fs.lstatSync(path.join(upper, 'd'))));
  assert.is(fs.readFileSync(path.join(upper, 'e', 'deep', 'y'), 'utf8'), 'y\n');
  assert.is(fs.readFileSync(path.join(upper, 'n', 'file'), 'utf8'), 'hi\n');
  assert.equal(snapshotTree(t.base), before, 'the base is byte-identical');
  fs.rmSync(t.top, { recursive: true, force: true });
});

for (const passthrough of [true, false]) {
  // With passthrough on, base files are never backing files: a writer sharing one would write the base.
  const how = passthrough ? 'passthrough on (as root)' : '--no-passthrough';
  gated(test, `a writer after a reader, ${how}: the write lands in the copy, the base keeps its bytes`, fuse, async () => {
    const t = fixture();
    makeLayer(t.base, t.layer, 'hostfs');
    const before = snapshotTree(t.base);
    try {
      const m = await hb('mount', ...(passthrough ? [] : ['--no-passthrough']), '--base', t.base, '--cow', t.layer, t.mnt);
      assert.is(m.code, 0, m.stderr);
      // fd 3 holds f open for reading while f is rewritten.
      const r = await sh('cd "$0" && exec 3< f && printf guest > f && cat f && echo && cat <&3 && exec 3<&-', t.mnt);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout, 'guest\nguest', 'the writer and the earlier reader both see the copy');
    } finally {
      await unmount(t.mnt);
    }
    assert.is(fs.readFileSync(path.join(t.layer, 'upper', 'f'), 'utf8'), 'guest');
    assert.equal(snapshotTree(t.base), before, 'the base is byte-identical');
    fs.rmSync(t.top, { recursive: true, force: true });
  });
}

gated(test, 'mount -t overlay ... userxattr reads a layer an ordinary user made through humbridge: the same view', overlay, async () => {
  const t = fixture();
  makeLayer(t.base, t.layer, 'hostfs');
  fs.chownSync(t.layer, NOBODY.uid, NOBODY.gid);
  for (const d of ['upper', 'work']) fs.chownSync(path.join(t.layer, d), NOBODY.uid, NOBODY.gid);
  const made = spawnNodeAsSync(NOBODY, 'dist/test/src/cow/cow-user-child.js', [t.base, t.layer]);
  assert.is(made.status, 0, `${made.stdout}${made.stderr}`);
  const before = snapshotTree(t.base);
  let ours: Out;
  try {
    const m = await hb('mount', '--base', t.base, '--cow', t.layer, t.mnt);
    assert.is(m.code, 0, m.stderr);
    ours = await sh(VIEW, t.mnt);
    assert.is(ours.code, 0, ours.stderr);
  } finally {
    await unmount(t.mnt);
  }
  let theirs: Out;
  try {
    const o = await sh('mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work,userxattr" "$0"', t.mnt, t.base, t.layer);
    assert.is(o.code, 0, o.stderr);
    theirs = await sh(VIEW, t.mnt);
    assert.is(theirs.code, 0, theirs.stderr);
  } finally {
    await unmount(t.mnt);
  }
  assert.match(ours.stdout, /\.\/e\/deep\/y/);
  assert.match(ours.stdout, /\.\/g\/inside/);
  assert.not.match(ours.stdout, /\.\/gone|\.\/full|\.\/d /);
  assert.equal(ours.stdout.split('\n'), theirs.stdout.split('\n'), 'humbridge and overlayfs show the same tree');
  assert.equal(snapshotTree(t.base), before, 'the base is byte-identical');
  fs.rmSync(t.top, { recursive: true, force: true });
});

test.run();
