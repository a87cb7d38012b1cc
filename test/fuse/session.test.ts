// The FUSE dispatcher without a mount: encoded requests in, reply bytes out,
// over the real Vfs of a temp hostfs export.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { openExport, nullLogger, vfsError, type Vfs } from '../../src/index.js';
import { FuseSession } from '../../fuse/session.js';
import { decodeOutHeader, decodeReply, encodeRequest, unpackDirentsPlus, OUT_HEADER_SIZE, type FuseRequest } from '../../fuse/codec/index.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';
import { gated } from '../helpers/gate.js';
import { loadNative } from '../../native/index.js';

let tmp: TmpExport;
let vfs: Vfs;
let s: FuseSession;
let unique = 100n;

test.before.each(async () => {
  tmp = tmpExport('humbridge-fuse-session-');
  fs.writeFileSync(path.join(tmp.dir, 'a'), 'hello');
  fs.symlinkSync('a', path.join(tmp.dir, 'l'));
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
  s = new FuseSession(vfs, { log: nullLogger });
});
test.after.each(async () => {
  await s.ledger.releaseAll();
  await vfs.close();
  tmp.cleanup();
});

async function ask(nodeid: bigint, msg: FuseRequest): Promise<Buffer> {
  const r = await s.handle(encodeRequest({ unique: ++unique, nodeid, uid: 0, gid: 0, pid: 1 }, msg));
  assert.ok(r, `no reply to ${msg.type}`);
  return r;
}

test('an unknown opcode is answered ENOSYS with its unique', async () => {
  const req = Buffer.alloc(40);
  req.writeUInt32LE(40, 0);
  req.writeUInt32LE(4242, 4);
  req.writeBigUInt64LE(77n, 8);
  const r = await s.handle(req);
  assert.ok(r);
  assert.equal(decodeOutHeader(r), { len: 16, error: -os.constants.errno.ENOSYS, unique: 77n });
  assert.ok(s.unsupported.has('opcode 4242'));
});

test('a known opcode without a handler is ENOSYS too', async () => {
  const r = await ask(1n, { type: 'BMAP', block: 0n, blocksize: 4096 });
  assert.is(decodeOutHeader(r).error, -os.constants.errno.ENOSYS);
  assert.ok(s.unsupported.has('BMAP'));
});

test('INIT answers 7.45 with max_write 1 MiB and only flags the kernel offered', async () => {
  const r = await ask(0n, { type: 'INIT', major: 7, minor: 45, max_readahead: 131072, flags: 0x1 | 0x20, flags2: 0 });
  const { header, reply } = decodeReply('init_out', r);
  assert.is(header.error, 0);
  assert.is(reply.major, 7);
  assert.is(reply.minor, 45);
  assert.is(reply.max_write, 1 << 20);
  assert.is(reply.time_gran, 1);
  assert.is(reply.flags, 0x1 | 0x20);
});

test('LOOKUP gives an entry that never uses nodeid 1; GETATTR of root is inode 1; FORGET gives back', async () => {
  const { header, reply } = decodeReply('entry_out', await ask(1n, { type: 'LOOKUP', name: Buffer.from('a') }));
  assert.is(header.error, 0);
  assert.ok(reply.nodeid > 1n);
  assert.is(reply.attr.ino, reply.nodeid);
  assert.is(reply.attr.size, 5n);
  assert.is(s.ledger.stats.refs, 1);
  const root = decodeReply('attr_out', await ask(1n, { type: 'GETATTR', getattr_flags: 0, fh: 0n }));
  assert.is(root.reply.attr.ino, 1n);
  assert.is(await s.handle(encodeRequest({ unique: 5n, nodeid: reply.nodeid, uid: 0, gid: 0, pid: 1 }, { type: 'FORGET', nlookup: 1n })), null);
  assert.is(s.ledger.stats.refs, 0);
});

test('ENOENT is the negative host errno; OPEN/READ/RELEASE read the bytes', async () => {
  assert.is(decodeOutHeader(await ask(1n, { type: 'LOOKUP', name: Buffer.from('nope') })).error, -os.constants.errno.ENOENT);
  const e = decodeReply('entry_out', await ask(1n, { type: 'LOOKUP', name: Buffer.from('a') })).reply;
  const o = decodeReply('open_out', await ask(e.nodeid, { type: 'OPEN', flags: 0, open_flags: 0 })).reply;
  const r = await ask(e.nodeid, { type: 'READ', fh: o.fh, offset: 1n, size: 100, read_flags: 0, lock_owner: 0n, flags: 0 });
  assert.is(r.subarray(OUT_HEADER_SIZE).toString(), 'ello');
  assert.is(s.ledger.stats.handles, 1);
  await ask(e.nodeid, { type: 'RELEASE', fh: o.fh, flags: 0, release_flags: 0, lock_owner: 0n });
  assert.is(s.ledger.stats.handles, 0);
  const l = decodeReply('entry_out', await ask(1n, { type: 'LOOKUP', name: Buffer.from('l') })).reply;
  assert.is((await ask(l.nodeid, { type: 'READLINK' })).subarray(OUT_HEADER_SIZE).toString(), 'a');
});

test('INIT takes locks, readdirplus and setxattr_ext when offered; writeback only when asked', async () => {
  const offered = 0x1 | 0x2 | 0x400 | 0x2000 | 0x4000 | 0x10000 | 0x20000000;
  const r = decodeReply('init_out', await ask(0n, { type: 'INIT', major: 7, minor: 45, max_readahead: 131072, flags: offered, flags2: 0 })).reply;
  assert.is(r.flags, offered & ~0x10000);
  const wb = new FuseSession(vfs, { log: nullLogger, writeback: true });
  const w = await wb.handle(encodeRequest({ unique: 3n, nodeid: 0n, uid: 0, gid: 0, pid: 1 }, { type: 'INIT', major: 7, minor: 45, max_readahead: 0, flags: offered, flags2: 0 }));
  assert.ok(w);
  assert.is(decodeReply('init_out', w).reply.flags & 0x10000, 0x10000);
});

test('xattrs: size 0 asks the length, a short buffer is ERANGE, LISTXATTR is NUL-separated', async () => {
  await ask(0n, { type: 'INIT', major: 7, minor: 45, max_readahead: 0, flags: 0, flags2: 0 });
  const e = decodeReply('entry_out', await ask(1n, { type: 'LOOKUP', name: Buffer.from('a') })).reply;
  const set = await ask(e.nodeid, { type: 'SETXATTR', size: 5, flags: 0, setxattr_flags: 0, name: Buffer.from('user.k'), value: Buffer.from('value') });
  assert.is(decodeOutHeader(set).error, 0);
  assert.is(decodeReply('getxattr_out', await ask(e.nodeid, { type: 'GETXATTR', size: 0, name: Buffer.from('user.k') })).reply.size, 5);
  assert.is(decodeOutHeader(await ask(e.nodeid, { type: 'GETXATTR', size: 4, name: Buffer.from('user.k') })).error, -os.constants.errno.ERANGE);
  assert.is((await ask(e.nodeid, { type: 'GETXATTR', size: 64, name: Buffer.from('user.k') })).subarray(OUT_HEADER_SIZE).toString(), 'value');
  assert.is((await ask(e.nodeid, { type: 'LISTXATTR', size: 64 })).subarray(OUT_HEADER_SIZE).toString(), 'user.k\0');
  assert.is(decodeOutHeader(await ask(e.nodeid, { type: 'REMOVEXATTR', name: Buffer.from('user.k') })).error, 0);
  assert.is(decodeOutHeader(await ask(e.nodeid, { type: 'GETXATTR', size: 64, name: Buffer.from('user.k') })).error, -os.constants.errno.ENODATA);
});

test('SETLKW waits for a conflicting lock and INTERRUPT makes it answer EINTR', async () => {
  const e = decodeReply('entry_out', await ask(1n, { type: 'LOOKUP', name: Buffer.from('a') })).reply;
  const o = decodeReply('open_out', await ask(e.nodeid, { type: 'OPEN', flags: 2, open_flags: 0 })).reply;
  const lk = { start: 0n, end: 0x7fffffffffffffffn, type: 1, pid: 10 };
  assert.is(decodeOutHeader(await ask(e.nodeid, { type: 'SETLK', fh: o.fh, owner: 1n, lk, lk_flags: 0 })).error, 0);
  assert.is(decodeOutHeader(await ask(e.nodeid, { type: 'SETLK', fh: o.fh, owner: 2n, lk, lk_flags: 0 })).error, -os.constants.errno.EAGAIN);
  const g = decodeReply('lk_out', await ask(e.nodeid, { type: 'GETLK', fh: o.fh, owner: 2n, lk, lk_flags: 0 })).reply;
  assert.equal(g.lk, { start: 0n, end: 0x7fffffffffffffffn, type: 1, pid: 10 });
  const waiting = s.handle(encodeRequest({ unique: 500n, nodeid: e.nodeid, uid: 0, gid: 0, pid: 1 }, { type: 'SETLKW', fh: o.fh, owner: 2n, lk, lk_flags: 0 }));
  await new Promise((r) => setTimeout(r, 20));
  assert.is(s.locks.waiters, 1);
  assert.is(await s.handle(encodeRequest({ unique: 501n, nodeid: 0n, uid: 0, gid: 0, pid: 1 }, { type: 'INTERRUPT', unique: 500n })), null);
  const r = await waiting;
  assert.ok(r);
  assert.is(decodeOutHeader(r).error, -os.constants.errno.EINTR);
  // FLUSH by the holder drops its locks: owner 2 gets the lock at once.
  await ask(e.nodeid, { type: 'FLUSH', fh: o.fh, lock_owner: 1n });
  assert.is(decodeOutHeader(await ask(e.nodeid, { type: 'SETLKW', fh: o.fh, owner: 2n, lk, lk_flags: 0 })).error, 0);
  await ask(e.nodeid, { type: 'RELEASE', fh: o.fh, flags: 0, release_flags: 0, lock_owner: 0n });
});

test('READDIRPLUS hands out node ids as lookups, not for . and ..', async () => {
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(tmp.dir, `f${i}`), 'x');
  const o = decodeReply('open_out', await ask(1n, { type: 'OPENDIR', flags: 0, open_flags: 0 })).reply;
  let off = 0n;
  let named = 0;
  for (;;) {
    const r = await ask(1n, { type: 'READDIRPLUS', fh: o.fh, offset: off, size: 4096, read_flags: 0, lock_owner: 0n, flags: 0 });
    const list = unpackDirentsPlus(r.subarray(OUT_HEADER_SIZE));
    if (list.length === 0) break;
    for (const d of list) {
      const dots = d.dirent.name.toString() === '.' || d.dirent.name.toString() === '..';
      assert.is(d.entry.nodeid === 0n, dots, d.dirent.name.toString());
      if (!dots) named++;
      off = d.dirent.off;
    }
  }
  assert.is(named, 52);
  assert.is(s.ledger.stats.refs, 52);
  await ask(1n, { type: 'RELEASEDIR', fh: o.fh, flags: 0, release_flags: 0, lock_owner: 0n });
});

gated(test, 'LSEEK answers SEEK_DATA and SEEK_HOLE from the host file; ENXIO past the end', loadNative().reason, async () => {
  const f = path.join(tmp.dir, 'sparse');
  const fd = fs.openSync(f, 'w');
  fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 1 << 20);
  fs.ftruncateSync(fd, 2 << 20);
  fs.closeSync(fd);
  const e = decodeReply('entry_out', await ask(1n, { type: 'LOOKUP', name: Buffer.from('sparse') })).reply;
  const o = decodeReply('open_out', await ask(e.nodeid, { type: 'OPEN', flags: 0, open_flags: 0 })).reply;
  const seek = async (offset: bigint, whence: number): Promise<bigint | number> => {
    const r = await ask(e.nodeid, { type: 'LSEEK', fh: o.fh, offset, whence });
    const h = decodeOutHeader(r);
    return h.error !== 0 ? h.error : decodeReply('lseek_out', r).reply.offset;
  };
  assert.is(await seek(0n, 3), 1n << 20n, 'SEEK_DATA from 0: the written block');
  assert.is(await seek(1n << 20n, 4), (1n << 20n) + 4096n, 'SEEK_HOLE after it');
  assert.is(await seek(2n << 20n, 3), -os.constants.errno.ENXIO);
  assert.is(await seek(0n, 1), -os.constants.errno.EINVAL, 'SEEK_CUR is the kernel\'s own');
  await ask(e.nodeid, { type: 'RELEASE', fh: o.fh, flags: 0, release_flags: 0, lock_owner: 0n });
});

test('LSEEK without the host call (no addon) is ENOSYS once, then without asking the Vfs again', async () => {
  let asked = 0;
  const noSeek = { root: vfs.root, seek: () => (asked++, Promise.reject(vfsError('ENOSYS', 'lseek'))) } as unknown as Vfs;
  const ns = new FuseSession(noSeek, { log: nullLogger });
  for (const unique of [1n, 2n]) {
    const r = await ns.handle(encodeRequest({ unique, nodeid: 2n, uid: 0, gid: 0, pid: 1 }, { type: 'LSEEK', fh: 0n, offset: 0n, whence: 3 }));
    assert.ok(r);
    assert.is(decodeOutHeader(r).error, -os.constants.errno.ENOSYS);
  }
  assert.is(asked, 1);
  assert.ok(ns.unsupported.has('LSEEK'));
});

test('a handler that throws something unexpected answers EIO', async () => {
  const broken = new FuseSession({ ...vfs, root: vfs.root, statfs: () => Promise.reject(new TypeError('boom')) } as Vfs, { log: nullLogger });
  const r = await broken.handle(encodeRequest({ unique: 9n, nodeid: 1n, uid: 0, gid: 0, pid: 1 }, { type: 'STATFS' }));
  assert.ok(r);
  assert.equal(decodeOutHeader(r), { len: 16, error: -os.constants.errno.EIO, unique: 9n });
});

test.run();
