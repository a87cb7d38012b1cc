// A tree converted by the original Perl humfsify (Debian uml-utilities) is
// served as it is: every entry of the perl-basic fixture spec shows its
// recorded owner, mode, type and device number through the Vfs. And what the
// Vfs changes there, the Perl `humfsify -r` reads back onto the host.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  makedev,
  O_RDONLY,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  S_IFSOCK,
  type Entry,
} from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import { ME, readAll, rejects, walk } from '../../conformance/vfs.js';
import { tmpExport } from '../../helpers/tmp-export.js';
import { firstMissing, gated, needRoot } from '../../helpers/gate.js';
import { buildTree, fixtureDir, PERL_HUMFSIFY, perlHumfsifyMissing, runCli, sh, unescape } from '../../tools/humfsify-helpers.js';
import { openHumfsExport } from './humfs-helpers.js';

/** The fixture tree has entries of many owners and device nodes. */
const noRoot = needRoot('build a tree of many owners with device nodes');
const noPerl = firstMissing(noRoot, perlHumfsifyMissing());

const TYPE_BITS: Record<string, number> = { d: S_IFDIR, f: S_IFREG, l: S_IFLNK, c: S_IFCHR, b: S_IFBLK, p: S_IFIFO, s: S_IFSOCK };

interface SpecLine {
  type: string;
  rel: string;
  mode: number;
  uid: number;
  gid: number;
  extra: string;
}

function specLines(spec: string): SpecLine[] {
  return spec
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [type = '', rel = '', mode = '0', uid = '0', gid = '0', extra = ''] = l.split('\t');
      return { type, rel, mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid), extra };
    });
}

/** The fixture tree under data/, converted by the Perl humfsify (or ours) as 65534:65534, 64M. */
function perlExport(dir: string, converter: 'perl' | 'humbridge' = 'perl'): SpecLine[] {
  const spec = fs.readFileSync(path.join(fixtureDir, 'perl-basic', 'tree.txt'), 'utf8');
  buildTree(path.join(dir, 'data'), spec);
  if (converter === 'perl') sh(PERL_HUMFSIFY, ['65534', '65534', '64M'], dir);
  else {
    const r = runCli(['65534', '65534', '64M'], dir);
    if (r.status !== 0) throw new Error(`humfsify: ${r.stderr}`);
  }
  return specLines(spec);
}

const lookupPath = (vfs: Vfs, rel: string): Promise<Entry> => walk(vfs, rel === '.' ? '' : rel);

/** Serve the converted fixture and compare every entry with its spec line. */
async function checkServed(converter: 'perl' | 'humbridge'): Promise<void> {
  const tmp = tmpExport('humfs-perl-');
  let vfs: Vfs | null = null;
  try {
    const lines = perlExport(tmp.dir, converter);
    const v = await openHumfsExport(tmp.dir);
    vfs = v;
    const ids = new Map<string, number>();
    for (const s of lines) {
      const e = await lookupPath(v, s.rel);
      ids.set(s.rel, e.id);
      if (s.type === 'h') {
        assert.is(e.id, ids.get(s.extra), `${s.rel} is the same node as ${s.extra}`);
        continue;
      }
      const a = e.attr;
      const perm = s.type === 'l' ? 0o777 : s.mode;
      assert.is(a.mode, (TYPE_BITS[s.type] ?? 0) | perm, `${s.rel} mode`);
      assert.is(a.uid, s.uid, `${s.rel} uid`);
      assert.is(a.gid, s.gid, `${s.rel} gid`);
      if (s.type === 'f') assert.ok((await readAll(v, e.id)).equals(unescape(s.extra)), `${s.rel} content`);
      if (s.type === 'l') assert.ok((await v.readlink(e.id)).equals(unescape(s.extra)), `${s.rel} target`);
      if (s.type === 'c' || s.type === 'b') {
        const [ma, mi] = s.extra.split(' ').map(Number);
        assert.is(a.rdev, makedev(ma ?? -1, mi ?? -1), `${s.rel} rdev`);
      }
      if (s.type !== 'f' && s.type !== 'd' && s.type !== 'l') await rejects(v.open(ME, e.id, O_RDONLY), 'ENXIO', `${s.rel} is never opened`);
    }
    const st = await v.statfs(v.root);
    assert.is(st.blocks * BigInt(st.bsize), 64n << 20n, 'the size is the superblock\'s total');
    if (converter === 'humbridge') {
      const null_ = fs.lstatSync(path.join(tmp.dir, 'data/dev/null'));
      assert.ok(null_.isFile(), 'our humfsify leaves placeholders, served as devices above');
    }
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
}

gated(test, 'every entry of a Perl-converted tree shows its recorded owner, mode, type and device', noPerl, async () => {
  await checkServed('perl');
});

gated(test, 'the same tree converted by our humfsify (placeholders for special files) is served the same', noRoot, async () => {
  await checkServed('humbridge');
});

gated(test, 'changes made through the Vfs are what the Perl humfsify -r puts back on the host', noPerl, async () => {
  const tmp = tmpExport('humfs-perl-r-');
  let vfs: Vfs | null = null;
  try {
    perlExport(tmp.dir);
    vfs = await openHumfsExport(tmp.dir);
    const hello = await walk(vfs, 'hello.txt');
    await vfs.setattr(ME, hello.id, { uid: 4321, gid: 8765, mode: 0o600 });
    const dev = await walk(vfs, 'dev');
    await vfs.mknod({ uid: 0, gid: 5 }, dev.id, Buffer.from('console'), S_IFCHR | 0o620, makedev(5, 1));
    const etc = await walk(vfs, 'etc');
    await vfs.rename(ME, etc.id, Buffer.from('shadow'), dev.id, Buffer.from('shadow-moved'), 0);
    await vfs.close();
    vfs = null;
    sh(PERL_HUMFSIFY, ['-r'], tmp.dir);
    const data = path.join(tmp.dir, 'data');
    const h = fs.lstatSync(path.join(data, 'hello.txt'));
    assert.equal([h.uid, h.gid, h.mode & 0o7777], [4321, 8765, 0o600]);
    const c = fs.lstatSync(path.join(data, 'dev/console'), { bigint: true });
    assert.ok(c.isCharacterDevice(), 'the placeholder became a real device');
    assert.is(c.rdev, makedev(5, 1));
    assert.equal([Number(c.uid), Number(c.gid), Number(c.mode) & 0o7777], [0, 5, 0o620]);
    const moved = fs.lstatSync(path.join(data, 'dev/shadow-moved'));
    assert.equal([moved.uid, moved.gid, moved.mode & 0o7777], [0, 42, 0o640], 'the record followed the rename');
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'file_metadata')), 'humfsify -r found nothing to complain about');
  } finally {
    await vfs?.close();
    tmp.cleanup();
  }
});

test.run();
