// A tree converted by Debian's original Perl humfsify, mounted with FUSE in
// humfs mode: every entry, seen by a child through the kernel, has the type,
// mode, owner, device number, size, symlink target and content of the same
// entry in the source tree it was made from (built twice from one spec of
// many owners, devices, a FIFO, a socket, hard links and odd names).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { gated, firstMissing } from '../helpers/gate.js';
import { tmpExport } from '../helpers/tmp-export.js';
import { buildTree, fixtureDir, PERL_HUMFSIFY, perlHumfsifyMissing, sh as shSync } from '../tools/humfsify-helpers.js';
import { fuseMissing, sh, withMount } from './helpers/mount.js';

const test = suite('fuse humfs: a Perl humfsify tree');
const missing = firstMissing(fuseMissing, perlHumfsifyMissing());

/** One line per entry: path, type, mode, owner, device (for devices), size (not for directories), link target; then a hash per file. */
const LISTING =
  "find . -printf '%p|%y|%m|%U|%G|%l|' -exec sh -c 'case $(stat -c %F \"$1\") in *special*) stat -c %t:%T \"$1\";; directory) echo -;; *) stat -c %s \"$1\";; esac' _ {} \\; | sort" +
  " && find . -type f -print0 | sort -z | xargs -0 sha256sum";

gated(test, 'every entry matches the source tree: type, mode, owner, device, size, link target, content', missing, async () => {
  const spec = fs.readFileSync(path.join(fixtureDir, 'perl-basic', 'tree.txt'), 'utf8');
  const source = tmpExport('humbridge-fuse-perl-src-');
  try {
    buildTree(source.dir, spec);
    const want = await sh(LISTING, source.dir);
    assert.is(want.code, 0, want.stderr);
    await withMount(
      'humfs',
      (data) => buildTree(data, spec),
      async (m) => {
        // The conversion chowned the data to 65534 and moved the owners into records.
        assert.is(fs.lstatSync(path.join(m.data, 'etc/shadow')).uid, 65534);
        const got = await sh(LISTING, m.mnt);
        assert.is(got.code, 0, got.stderr);
        const lines = got.stdout.toString('latin1').split('\n');
        const wantLines = want.stdout.toString('latin1').split('\n');
        for (let i = 0; i < Math.max(lines.length, wantLines.length); i++) assert.is(lines[i], wantLines[i], `line ${i}`);
        assert.ok(wantLines.some((l) => l.startsWith('./dev/sda1|b|660|0|6||8:1')), 'the listing covers devices');
        assert.ok(wantLines.some((l) => l.startsWith('./dev/log|s|666')), 'and sockets');
        // Hard links stay one inode through the mount.
        const ino = await sh('stat -c "%i %h" hello.txt hello-link dev/null dev/null-too', m.mnt);
        const [a, b, c, d] = ino.stdout.toString().trim().split('\n');
        assert.is(a, b);
        assert.is(c, d);
        assert.match(a ?? '', / 2$/);
      },
      { prefix: 'humbridge-fuse-perl-', convert: (dir) => void shSync(PERL_HUMFSIFY, ['65534', '65534', '64M'], dir) },
    );
  } finally {
    source.cleanup();
  }
});

test.run();
