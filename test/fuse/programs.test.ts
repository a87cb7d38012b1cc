// Real programs on a FUSE mount (hostfs and humfs), each compared with the
// same steps on a native directory: tar, git, rsync, cp -a, sqlite3 with
// concurrent writers, find -ls, du and df. Every step runs in a child.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gated, firstMissing, needProgram, type Missing } from '../helpers/gate.js';
import { fuseMissing, MODES, sh, shEnv, withMount, type Mounted } from './helpers/mount.js';

const test = suite('fuse programs');
const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let src = '';
let scratch = '';

/**
 * The source tree: this checkout's src/ plus binary files, symlinks, an
 * empty dir, files of other owners and odd modes. Times are whole seconds:
 * without the addon the Vfs keeps microseconds (src/host/times.ts), a native copy nanoseconds.
 */
function makeSource(dir: string): void {
  fs.cpSync(path.join(checkout, 'src'), path.join(dir, 'src'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin/empty'), { recursive: true });
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, 'bin', `blob${i}`), crypto.randomBytes(1000 + i * 70_000));
  fs.symlinkSync('blob1', path.join(dir, 'bin/to-blob'));
  fs.symlinkSync('../src/index.ts', path.join(dir, 'bin/to-index'));
  fs.symlinkSync('/nowhere', path.join(dir, 'bin/dangling'));
  fs.chownSync(path.join(dir, 'bin/blob2'), 1000, 100);
  fs.chmodSync(path.join(dir, 'bin/blob3'), 0o600);
  fs.chmodSync(path.join(dir, 'bin/blob4'), 0o755);
  fs.lchownSync(path.join(dir, 'bin/to-blob'), 1234, 1234);
  fs.linkSync(path.join(dir, 'bin/blob0'), path.join(dir, 'bin/blob0-again'));
}

test.before(async () => {
  if (fuseMissing !== undefined) return;
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-fuse-prog-src-'));
  src = path.join(scratch, 'src-tree');
  fs.mkdirSync(src);
  makeSource(src);
  const r = await sh('find . -exec touch -h -d @1700000000 {} +', src);
  if (r.code !== 0) throw new Error(r.stderr);
});
test.after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Listing of a tree: every entry with type, mode, owner, size (not directories'), mtime and link target; then file hashes. */
const LIST =
  "find . -path ./.git -prune -o -printf '%p %y %m %U %G %T@ %l\\n' | sort && find . -path ./.git -prune -o ! -type d -printf '%p %s %n\\n' | sort && " +
  'find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum';

/** Runs `script` (with $1 = the source tree, $2 = a fresh native scratch folder) on the mount and on a native folder; both must agree and succeed. */
async function both(m: Mounted, script: string, env: Record<string, string> = {}): Promise<string> {
  const nat = fs.mkdtempSync(path.join(scratch, 'native-'));
  const out1 = fs.mkdtempSync(path.join(scratch, 'out-'));
  const out2 = fs.mkdtempSync(path.join(scratch, 'out-'));
  const a = await shEnv(env, script, m.mnt, src, out1);
  const b = await shEnv(env, script, nat, src, out2);
  assert.is(a.code, 0, `on the mount: ${a.stderr}`);
  assert.is(b.code, 0, `natively: ${b.stderr}`);
  const got = a.stdout.toString('latin1');
  const want = b.stdout.toString('latin1');
  const gl = got.split('\n');
  const wl = want.split('\n');
  for (let i = 0; i < Math.max(gl.length, wl.length); i++) assert.is(gl[i], wl[i], `line ${i}`);
  assert.ok(got.length > 0);
  return got;
}

for (const mode of MODES) {
  const on = (name: string, fn: (m: Mounted) => Promise<void>, missing: Missing = fuseMissing): void =>
    gated(test, `${mode}: ${name}`, missing, () => withMount(mode, () => undefined, fn, { prefix: 'humbridge-fuse-prog-' }));

  on('tar x and tar c', async (m) => {
    const out = await both(
      m,
      `tar -C "$1" -cf - . | tar -xpf - && ${LIST} && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf - . | sha256sum`,
    );
    assert.match(out, /\.\/bin\/blob2 f 644 1000 100 /);
  });

  on('cp -a', async (m) => {
    const out = await both(m, `cp -a "$1"/. . && ${LIST}`);
    assert.match(out, /\.\/bin\/to-blob l 777 1234 1234 1700000000\.0+ blob1/);
    assert.match(out, /\.\/bin\/blob0 1000 2/);
  });

  on(
    'rsync -a onto the mount and back off it',
    async (m) => {
      await both(m, `rsync -aH "$1"/ in/ && rsync -aH in/ "$2"/ && cd in && ${LIST} && cd "$2" && ${LIST}`);
    },
    firstMissing(fuseMissing, needProgram('rsync', 'rsync')),
  );

  on(
    'git init, add, commit, status, checkout',
    async (m) => {
      const env = {
        GIT_AUTHOR_NAME: 'T',
        GIT_AUTHOR_EMAIL: 't@example.org',
        GIT_COMMITTER_NAME: 'T',
        GIT_COMMITTER_EMAIL: 't@example.org',
        GIT_AUTHOR_DATE: '@1700000000 +0000',
        GIT_COMMITTER_DATE: '@1700000000 +0000',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
      };
      const script =
        'git init -q -b main r && cd r && cp -a "$1"/. . && git add -A && git commit -qm one && git status --porcelain && git ls-files -s && ' +
        'echo more >> src/index.ts && rm bin/blob1 && echo new > untracked && git status --porcelain && git checkout -q -- . && git status --porcelain && ' +
        'git checkout -qb side && git mv src/types.ts moved.ts && git commit -qm two && git checkout -q main && test -f src/types.ts && test ! -e moved.ts && ' +
        'git checkout -q side && git log --format="%H %T %s" && git fsck --strict 2>&1 && git status --porcelain';
      const out = await both(m, script, env);
      assert.match(out, / D bin\/blob1\n M src\/index\.ts\n\?\? untracked\n/);
    },
    firstMissing(fuseMissing, needProgram('git', 'git')),
  );

  on(
    'sqlite3: concurrent writers with a busy timeout; count and integrity_check',
    async (m) => {
      const init = await sh('sqlite3 db "CREATE TABLE t(w INTEGER, i INTEGER)"', m.mnt);
      assert.is(init.code, 0, init.stderr);
      const WRITERS = 4;
      const ROWS = 60;
      const writers = Array.from({ length: WRITERS }, (_, w) =>
        sh(`for i in $(seq ${ROWS}); do echo "INSERT INTO t VALUES(${w}, $i);"; done | sqlite3 -cmd ".timeout 30000" db`, m.mnt),
      );
      for (const r of await Promise.all(writers)) assert.is(r.code, 0, r.stderr);
      const r = await sh('sqlite3 db "SELECT count(*), count(DISTINCT w), sum(i) FROM t" "PRAGMA integrity_check"', m.mnt);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.toString(), `${WRITERS * ROWS}|${WRITERS}|${(WRITERS * ROWS * (ROWS + 1)) / 2}\nok\n`);
    },
    firstMissing(fuseMissing, needProgram('sqlite3', 'sqlite3')),
  );

  on('find -ls, du -s --apparent-size, du -s and df', async (m) => {
    // find -ls of everything but directories (their sizes are the host's), without inode and block columns.
    await both(m, 'cp -a "$1"/. . && find . ! -type d -ls | awk \'{ $1 = ""; $2 = ""; print }\' | sort');
    // du on the mount agrees with du on the folder it serves (read on the host by a child, not through the mount).
    const files = 'du -s --apparent-size -B1 --exclude=. bin src | sort; du -s -B1 bin/blob4 bin/blob2';
    const onMount = await sh(files, m.mnt);
    const onHost = await sh(files, m.data);
    assert.is(onMount.code, 0, onMount.stderr);
    assert.is(onMount.stdout.toString(), onHost.stdout.toString());
    const df = await sh('df -P -B1 "$1" | tail -1', '/', m.mnt);
    assert.is(df.code, 0, df.stderr);
    const [, total = '0', used = '0', avail = '0'] = df.stdout.toString().trim().split(/\s+/);
    if (m.mode === 'hostfs') {
      const host = (await sh('df -P -B1 "$1" | tail -1', '/', m.data)).stdout.toString().trim().split(/\s+/);
      assert.is(total, host[1], 'the host file system\'s size');
      // Others write to this disk meanwhile: near, not equal.
      assert.ok(Math.abs(Number(avail) - Number(host[3])) < Number(total) / 100, `${avail} vs ${host[3] ?? ''}`);
    } else {
      assert.is(total, String(1n << 40n), 'the superblock\'s total');
      assert.ok(Number(used) > 300_000, `used ${used} counts what cp wrote`);
    }
  });
}

test.run();
