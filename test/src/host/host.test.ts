import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Host } from '../../../src/host/host.js';
import { childPath, isValidName } from '../../../src/host/paths.js';
import { identityKey } from '../../../src/host/stat.js';
import { mknodAt } from '../../../src/host/special.js';
import { renameAt } from '../../../src/host/rename.js';
import { nullLogger } from '../../../src/log.js';
import { loadNative } from '../../../native/index.js';
import { gated } from '../../helpers/gate.js';
import { tmpExport, type TmpExport } from '../../helpers/tmp-export.js';

const B = (s: string) => Buffer.from(s);

function withHost(fn: (host: Host, root: number, tmp: TmpExport) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const tmp = tmpExport('humbridge-host-');
    const host = new Host(nullLogger);
    const root = host.openRoot(tmp.dir);
    try {
      await fn(host, root, tmp);
    } finally {
      host.close(root);
      tmp.cleanup();
    }
  };
}

test('names: one component of raw bytes', () => {
  for (const ok of ['a', '...', 'a b', '-x', '\n']) assert.ok(isValidName(B(ok)), ok);
  assert.ok(isValidName(Buffer.from([0xff, 0x00 + 1])));
  for (const bad of ['', '.', '..', 'a/b', '/', 'a\0b']) assert.not.ok(isValidName(B(bad)), JSON.stringify(bad));
  assert.not.ok(isValidName(Buffer.alloc(256, 0x61)));
  assert.ok(childPath(7, Buffer.from([0xfe, 0x41])).equals(Buffer.concat([B('/proc/self/fd/7/'), Buffer.from([0xfe, 0x41])])));
});

test(
  'reopen never opens a FIFO, a socket or a device (and never blocks on one)',
  withHost(async (host, root) => {
    await mknodAt(host, root, B('fifo'), 0o010600, 0, 0);
    await mknodAt(host, root, B('sock'), 0o140600, 0, 0);
    for (const name of ['fifo', 'sock']) {
      const fd = host.openAt(root, B(name));
      await host.reopen(fd, 0).then(
        () => assert.unreachable(`opened ${name}`),
        (e: { code?: string }) => assert.is(e.code, 'ENXIO'),
      );
      host.close(fd);
    }
  }),
);

test(
  'mknod failures carry the errno mknod(1) reported; no temporary names stay',
  withHost(async (host, root, tmp) => {
    fs.mkdirSync(path.join(tmp.dir, 'gone'));
    const gone = host.openAt(root, B('gone'));
    fs.rmdirSync(path.join(tmp.dir, 'gone'));
    await mknodAt(host, gone, B('p'), 0o010600, 0, 0).then(
      () => assert.unreachable('mknod in a removed directory'),
      (e: { code?: string }) => assert.is(e.code, 'ENOENT'),
    );
    host.close(gone);
    await mknodAt(host, root, B('x'), 0o040755, 0, 0).then(
      () => assert.unreachable('directory type'),
      (e: { code?: string }) => assert.is(e.code, 'EINVAL'),
    );
    await mknodAt(host, root, B('p'), 0o010600, 0, 0);
    await mknodAt(host, root, B('p'), 0o010600, 0, 0).then(
      () => assert.unreachable('existing name'),
      (e: { code?: string }) => assert.is(e.code, 'EEXIST'),
    );
    await mknodAt(host, root, B('sock'), 0o140600, 0, 0);
    assert.ok(fs.lstatSync(path.join(tmp.dir, 'sock')).isSocket());
    assert.equal(fs.readdirSync(tmp.dir).sort(), ['p', 'sock']);
  }),
);

test(
  'offsets: past 2^53 is EFBIG, negative is EINVAL',
  withHost(async (host, root, tmp) => {
    fs.writeFileSync(path.join(tmp.dir, 'f'), 'x');
    const io = await host.reopen(host.openAt(root, B('f')), 2);
    const tooFar = 1n << 60n;
    await host.write(io, B('x'), tooFar).then(
      () => assert.unreachable('write'),
      (e: { code?: string }) => assert.is(e.code, 'EFBIG'),
    );
    await host.read(io, Buffer.alloc(1), -1n).then(
      () => assert.unreachable('read'),
      (e: { code?: string }) => assert.is(e.code, 'EINVAL'),
    );
    await host.closeAsync(io);
  }),
);

test(
  'renameAt flags: bad flags, NOREPLACE on directories, EXCHANGE of one inode with itself',
  withHost(async (host, root, tmp) => {
    fs.mkdirSync(path.join(tmp.dir, 'a'));
    fs.mkdirSync(path.join(tmp.dir, 'b'));
    await renameAt(host, root, B('a'), root, B('b'), 4).then(
      () => assert.unreachable('unknown flag'),
      (e: { code?: string }) => assert.is(e.code, 'EINVAL'),
    );
    await renameAt(host, root, B('a'), root, B('b'), 1).then(
      () => assert.unreachable('NOREPLACE'),
      (e: { code?: string }) => assert.is(e.code, 'EEXIST'),
    );
    await renameAt(host, root, B('a'), root, B('c'), 1);
    assert.ok(fs.statSync(path.join(tmp.dir, 'c')).isDirectory());
    fs.writeFileSync(path.join(tmp.dir, 'f'), '');
    fs.linkSync(path.join(tmp.dir, 'f'), path.join(tmp.dir, 'g'));
    await renameAt(host, root, B('f'), root, B('g'), 2);
    assert.equal(fs.readdirSync(tmp.dir).sort(), ['b', 'c', 'f', 'g']);
  }),
);

for (const withAddon of [true, false]) {
  const why = withAddon ? loadNative().reason : undefined;
  gated(test, `renameAt EXCHANGE of a directory and a file, NOREPLACE of a directory, ${withAddon ? 'by renameat2 (one kernel step)' : 'emulated (no addon)'}`, why, async () => {
    const tmp = tmpExport('humbridge-host-');
    const host = new Host(nullLogger, undefined, withAddon ? loadNative().native : null);
    const root = host.openRoot(tmp.dir);
    try {
      fs.mkdirSync(path.join(tmp.dir, 'd'));
      fs.writeFileSync(path.join(tmp.dir, 'd', 'inside'), 'i');
      fs.writeFileSync(path.join(tmp.dir, 'f'), 'f');
      assert.is(host.renameFlags(root, B('d'), root, B('f'), 2), withAddon, 'the kernel did it');
      if (!withAddon) await renameAt(host, root, B('d'), root, B('f'), 2);
      assert.is(fs.readFileSync(path.join(tmp.dir, 'f', 'inside'), 'utf8'), 'i');
      assert.is(fs.readFileSync(path.join(tmp.dir, 'd'), 'utf8'), 'f');
      assert.equal(fs.readdirSync(tmp.dir).sort(), ['d', 'f'], 'no temporary name is left');
      fs.mkdirSync(path.join(tmp.dir, 'e'));
      await renameAt(host, root, B('f'), root, B('e'), 1).then(
        () => assert.unreachable('NOREPLACE over a directory'),
        (e: { code?: string }) => assert.is(e.code, 'EEXIST'),
      );
    } finally {
      host.close(root);
      tmp.cleanup();
    }
  });
}

gated(test, 'the addon\'s statx, openat and unlinkat: the same stats as Node\'s, the same errors, no path through /proc', loadNative().reason, async () => {
  const tmp = tmpExport('humbridge-host-');
  const viaAddon = new Host(nullLogger, undefined, loadNative().native);
  const viaNode = new Host(nullLogger, undefined, null);
  const root = viaNode.openRoot(tmp.dir);
  try {
    fs.writeFileSync(path.join(tmp.dir, 'f'), 'twelve bytes');
    fs.mkdirSync(path.join(tmp.dir, 'd'));
    fs.symlinkSync('f', path.join(tmp.dir, 'l'));
    fs.utimesSync(path.join(tmp.dir, 'f'), 1.5, 1_600_000_000.123456);
    for (const name of ['f', 'd', 'l']) {
      const a = viaAddon.lstatAt(root, B(name));
      assert.equal(a, viaNode.lstatAt(root, B(name)), `lstat ${name}`);
      const fd = viaAddon.openAt(root, B(name));
      try {
        assert.equal(viaAddon.fstat(fd), viaNode.fstat(fd), `fstat ${name}`);
        assert.is(viaAddon.fstat(fd).ino, a.ino, `${name}: openat opened the name itself (a symlink as itself)`);
      } finally {
        viaAddon.close(fd);
      }
    }
    const devnull = fs.openSync('/dev/null', 'r');
    try {
      assert.equal(viaAddon.fstat(devnull), viaNode.fstat(devnull), 'device numbers as Node gives them');
    } finally {
      fs.closeSync(devnull);
    }
    assert.is(viaAddon.lstatAtMaybe(root, B('missing')), null);
    for (const h of [viaAddon, viaNode]) {
      assert.throws(() => h.lstatAt(root, B('missing')), (e: { code?: string }) => e.code === 'ENOENT');
      assert.throws(() => h.openAt(root, B('missing')), (e: { code?: string }) => e.code === 'ENOENT');
      assert.throws(() => h.fstat(987_654), (e: { code?: string }) => e.code === 'EBADF');
    }
    const made = await viaAddon.createAt(root, B('new'), 1, 0o640);
    viaAddon.close(made);
    assert.is(fs.statSync(path.join(tmp.dir, 'new')).mode & 0o777, 0o640 & ~process.umask());
    await viaAddon.createAt(root, B('new'), 1, 0o640).then(
      () => assert.unreachable('create over an existing name'),
      (e: { code?: string }) => assert.is(e.code, 'EEXIST'),
    );
    await viaAddon.unlinkAt(root, B('new'));
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'new')));
    await viaAddon.unlinkAt(root, B('new')).then(
      () => assert.unreachable('unlink of a missing name'),
      (e: { code?: string }) => assert.is(e.code, 'ENOENT'),
    );
  } finally {
    viaNode.close(root);
    tmp.cleanup();
  }
});

test('identityKey: one key per (dev, ino), 64-bit values included, and short', () => {
  const pairs: [bigint, bigint][] = [[0n, 1n], [1n, 0n], [2049n, 1n], [2049n, 0x1_0000_0001n], [2049n, 1n << 63n], [1n << 40n, 1n], [0xffff_ffffn, 0xffff_ffffn]];
  const keys = pairs.map(([dev, ino]) => identityKey({ dev, ino }));
  assert.is(new Set(keys).size, pairs.length);
  assert.is(identityKey({ dev: 2049n, ino: 0x1_0000_0001n }), keys[3], 'the same inode, the same key');
  for (const k of keys) assert.is(k.length, 16);
});

test.run();
