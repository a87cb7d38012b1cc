// Nanosecond times and SEEK_DATA/SEEK_HOLE through a real FUSE mount, in
// hostfs (passthrough on and off) and humfs modes; both need the native
// addon (utimensat, lseek). Every use of the mount is a child process.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../../native/index.js';
import { firstMissing, gated, needProgram } from '../helpers/gate.js';
import { fuseMissing, sh, withMount, type Mode } from './helpers/mount.js';

const test = suite('fuse times and seek');
const missing = firstMissing(fuseMissing, loadNative().reason);
const missingPython = firstMissing(missing, needProgram('python3', 'python3'));

const VARIANTS: ReadonlyArray<{ mode: Mode; passthrough: boolean }> = [
  { mode: 'hostfs', passthrough: true },
  { mode: 'hostfs', passthrough: false },
  { mode: 'humfs', passthrough: false },
];

/** Times of `f` and of `l` (the link itself) as stat(1) prints them with nanoseconds: atime|mtime. */
const STAT = 'stat -c "%n %.9X|%.9Y"';

const TOUCHES =
  `touch f && touch -d @1700000000.123456789 f && ${STAT} f && ` +
  `touch -a -d @1600000000.111111111 f && ${STAT} f && ` +
  `touch -m -d @1650000000.222222222 f && ${STAT} f && ` +
  `ln -s f l && touch -h -d @1500000000.333333333 l && ${STAT} l f`;

const TOUCHED = [
  'f 1700000000.123456789|1700000000.123456789',
  'f 1600000000.111111111|1700000000.123456789',
  'f 1600000000.111111111|1650000000.222222222',
  'l 1500000000.333333333|1500000000.333333333',
  'f 1600000000.111111111|1650000000.222222222',
  '',
].join('\n');

/** SEEK_DATA/SEEK_HOLE answers on a 2 GiB file with 4 KiB of data at 1 GiB (argv[1]: the file). */
const SEEKS = `
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, b"x" * 4096, 1 << 30)
out = []
for off, how in [(0, os.SEEK_DATA), (0, os.SEEK_HOLE), (1 << 30, os.SEEK_DATA), (1 << 30, os.SEEK_HOLE), ((1 << 30) + 4096, os.SEEK_DATA), (3 << 30, os.SEEK_HOLE)]:
    try:
        out.append(str(os.lseek(fd, off, how)))
    except OSError as e:
        out.append(errno.errorcode[e.errno])
print(" ".join(out))
`;

function sparseSeeks(dir: string): ReturnType<typeof sh> {
  return sh('truncate -s 2G sparse && python3 -c "$1" sparse', dir, SEEKS);
}

for (const v of VARIANTS) {
  const name = `${v.mode}${v.mode === 'hostfs' ? (v.passthrough ? ' (passthrough)' : ' (no passthrough)') : ''}`;
  const opts = { prefix: 'humbridge-fuse-times-', mount: { passthrough: v.passthrough } };

  gated(test, `${name}: touch -d, -a, -m and -h set nanoseconds exactly and leave the other time exactly as it was`, missing, () =>
    withMount(
      v.mode,
      () => undefined,
      async (m) => {
        const r = await sh(TOUCHES, m.mnt);
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stdout.toString(), TOUCHED);
        const st = fs.statSync(path.join(m.data, 'f'), { bigint: true });
        assert.is(st.atimeNs, 1600000000111111111n);
        assert.is(st.mtimeNs, 1650000000222222222n);
        assert.is(fs.lstatSync(path.join(m.data, 'l'), { bigint: true }).mtimeNs, 1500000000333333333n);
      },
      opts,
    ),
  );

  gated(test, `${name}: touch -a and -m without a date set that time to now and keep the other exact`, missing, () =>
    withMount(
      v.mode,
      (d) => fs.writeFileSync(path.join(d, 'f'), 'x'),
      async (m) => {
        const r = await sh(`touch -d @1700000000.123456789 f && touch -a f && ${STAT} f && touch -d @1700000000.123456789 f && touch -m f && ${STAT} f`, m.mnt);
        assert.is(r.code, 0, r.stderr);
        const [a, b] = r.stdout.toString().trim().split('\n');
        // 'now' is the host clock: later than the date set, the other time untouched.
        assert.match(a ?? '', /^f (\d+)\.\d{9}\|1700000000\.123456789$/);
        assert.match(b ?? '', /^f 1700000000\.123456789\|(\d+)\.\d{9}$/);
        const soon = BigInt(Math.floor(Date.now() / 1000)) - 600n;
        assert.ok(BigInt(/^f (\d+)/.exec(a ?? '')?.[1] ?? '0') > soon, a);
        assert.ok(BigInt(/\|(\d+)/.exec(b ?? '')?.[1] ?? '0') > soon, b);
      },
      opts,
    ),
  );

  gated(test, `${name}: SEEK_DATA and SEEK_HOLE on a sparse file answer as on a native directory`, missingPython, async () => {
    const nat = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-native-seek-'));
    let want: string;
    try {
      const n = await sparseSeeks(nat);
      assert.is(n.code, 0, n.stderr);
      want = n.stdout.toString();
    } finally {
      fs.rmSync(nat, { recursive: true, force: true });
    }
    // ext4 here; the kernel's generic lseek would call it all data (0 2147483648 ...).
    assert.is(want, `${1 << 30} 0 ${1 << 30} ${(1 << 30) + 4096} ENXIO ENXIO\n`);
    await withMount(
      v.mode,
      () => undefined,
      async (m) => {
        const r = await sparseSeeks(m.mnt);
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stdout.toString(), want);
        assert.ok((m.mount.session.counts.get('LSEEK') ?? 0) > 0);
      },
      opts,
    );
  });
}

test.run();
