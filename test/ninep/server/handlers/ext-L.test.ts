// The 9P2000.L messages, each checked on the wire and on the host tree.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { unpackDirents, NONUNAME, QTSYMLINK, READDIRHDRSZ } from '../../../../ninep/index.js';
import { LINUX_ERRNO as E } from '../../../../src/errno.js';
import { startHarness, type WireConn } from '../harness.js';

const b = (s: string): Buffer => Buffer.from(s);

test('lopen: files by flags, directories read-only; lcreate makes and opens with mode and gid', async () => {
  const h = await startHarness();
  try {
    const c = await h.session();
    await c.walk(0, 1);
    assert.is(await c.err({ type: 'Tlopen', fid: 1, flags: 1 }), E.EISDIR);
    const created = await c.ok({ type: 'Tlcreate', fid: 1, name: b('new'), flags: 0o2 | 0o200, mode: 0o600, gid: 77 }, 'Rlcreate');
    assert.ok(created.iounit > 0);
    await c.ok({ type: 'Twrite', fid: 1, offset: 0n, data: b('hello') }, 'Rwrite');
    const st = fs.statSync(path.join(h.tmp.dir, 'new'));
    assert.is(st.mode & 0o777, 0o600);
    assert.is(st.gid, 77);
    assert.is(fs.readFileSync(path.join(h.tmp.dir, 'new'), 'utf8'), 'hello');
    await c.walk(0, 2);
    assert.is(await c.err({ type: 'Tlcreate', fid: 2, name: b('new'), flags: 0o2 | 0o100 | 0o200, mode: 0o600, gid: NONUNAME }), E.EEXIST);
    // O_TRUNC through lopen.
    await c.walk(0, 3, 'new');
    await c.ok({ type: 'Tlopen', fid: 3, flags: 0o1 | 0o1000 }, 'Rlopen');
    assert.is(fs.statSync(path.join(h.tmp.dir, 'new')).size, 0);
    // A second lopen of an open fid is refused.
    assert.is(await c.err({ type: 'Tlopen', fid: 3, flags: 0 }), E.EBUSY);
  } finally {
    await h.stop();
  }
});

test('symlink, readlink, mknod, mkdir, link: created on the host with the request gid', async () => {
  const h = await startHarness({ exportOptions: { allowDevices: true } });
  try {
    const c = await h.session();
    const sl = await c.ok({ type: 'Tsymlink', fid: 0, name: b('ln'), symtgt: b('../outside/target'), gid: 5 }, 'Rsymlink');
    assert.is(sl.qid.type, QTSYMLINK);
    assert.is(fs.readlinkSync(path.join(h.tmp.dir, 'ln')), '../outside/target');
    await c.walk(0, 1, 'ln');
    assert.equal((await c.ok({ type: 'Treadlink', fid: 1 }, 'Rreadlink')).target, b('../outside/target'));
    await c.ok({ type: 'Tmknod', dfid: 0, name: b('fifo'), mode: 0o010644, major: 0, minor: 0, gid: 6 }, 'Rmknod');
    assert.ok(fs.lstatSync(path.join(h.tmp.dir, 'fifo')).isFIFO());
    await c.ok({ type: 'Tmknod', dfid: 0, name: b('null'), mode: 0o020666, major: 1, minor: 3, gid: 6 }, 'Rmknod');
    const dev = fs.lstatSync(path.join(h.tmp.dir, 'null'));
    assert.ok(dev.isCharacterDevice());
    assert.is(dev.rdev, (1 << 8) | 3);
    await c.ok({ type: 'Tmkdir', dfid: 0, name: b('dir'), mode: 0o2750, gid: 8 }, 'Rmkdir');
    const d = fs.statSync(path.join(h.tmp.dir, 'dir'));
    assert.is(d.mode & 0o7777, 0o2750);
    assert.is(d.gid, 8);
    fs.writeFileSync(path.join(h.tmp.dir, 'orig'), 'x');
    await c.walk(0, 2, 'orig');
    await c.ok({ type: 'Tlink', dfid: 0, fid: 2, name: b('hard') }, 'Rlink');
    assert.is(fs.statSync(path.join(h.tmp.dir, 'orig')).ino, fs.statSync(path.join(h.tmp.dir, 'hard')).ino);
    assert.is(await c.err({ type: 'Tmkdir', dfid: 0, name: b('dir'), mode: 0o755, gid: 0 }), E.EEXIST);
    assert.is(await c.err({ type: 'Tmkdir', dfid: 2, name: b('x'), mode: 0o755, gid: 0 }), E.ENOTDIR);
  } finally {
    await h.stop();
  }
});

test('rename, renameat, unlinkat', async () => {
  const h = await startHarness();
  try {
    fs.mkdirSync(path.join(h.tmp.dir, 'd1'));
    fs.mkdirSync(path.join(h.tmp.dir, 'd2'));
    fs.writeFileSync(path.join(h.tmp.dir, 'd1/a'), 'a');
    const c = await h.session();
    await c.walk(0, 1, 'd1', 'a');
    await c.walk(0, 2, 'd2');
    await c.ok({ type: 'Trename', fid: 1, dfid: 2, name: b('b') }, 'Rrename');
    assert.is(fs.readFileSync(path.join(h.tmp.dir, 'd2/b'), 'utf8'), 'a');
    // The fid follows the file: a second rename uses its new name.
    await c.ok({ type: 'Trename', fid: 1, dfid: 0, name: b('c') }, 'Rrename');
    assert.ok(fs.existsSync(path.join(h.tmp.dir, 'c')));
    await c.ok({ type: 'Trenameat', olddirfid: 0, oldname: b('c'), newdirfid: 2, newname: b('d') }, 'Rrenameat');
    assert.ok(fs.existsSync(path.join(h.tmp.dir, 'd2/d')));
    assert.is(await c.err({ type: 'Trenameat', olddirfid: 0, oldname: b('zz'), newdirfid: 2, newname: b('d') }), E.ENOENT);
    assert.is(await c.err({ type: 'Tunlinkat', dirfd: 0, name: b('d2'), flags: 0 }), E.EISDIR);
    await c.ok({ type: 'Tunlinkat', dirfd: 2, name: b('d'), flags: 0 }, 'Runlinkat');
    await c.ok({ type: 'Tunlinkat', dirfd: 0, name: b('d2'), flags: 0x200 }, 'Runlinkat');
    assert.equal(fs.readdirSync(h.tmp.dir), ['d1']);
  } finally {
    await h.stop();
  }
});

test('getattr: every basic field, gen, btime when known; through an open handle after unlink', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'twelve bytes');
    fs.chownSync(path.join(h.tmp.dir, 'f'), 123, 456);
    fs.chmodSync(path.join(h.tmp.dir, 'f'), 0o4751);
    fs.utimesSync(path.join(h.tmp.dir, 'f'), new Date(1_000_000_000_123), new Date(1_500_000_000_456));
    const st = fs.statSync(path.join(h.tmp.dir, 'f'), { bigint: true });
    const c = await h.session();
    await c.walk(0, 1, 'f');
    for (const mask of [0x1n, 0x800n, 0x3fffn]) {
      const a = await c.ok({ type: 'Tgetattr', fid: 1, request_mask: mask }, 'Rgetattr');
      assert.is(a.valid & 0x7ffn, 0x7ffn);
      assert.is(a.mode, 0o104751);
      assert.is(a.uid, 123);
      assert.is(a.gid, 456);
      assert.is(a.nlink, 1n);
      assert.is(a.size, 12n);
      assert.is(a.atime_sec * 1_000_000_000n + a.atime_nsec, st.atimeNs);
      assert.is(a.mtime_sec * 1_000_000_000n + a.mtime_nsec, st.mtimeNs);
      assert.is(a.ctime_sec * 1_000_000_000n + a.ctime_nsec, st.ctimeNs);
      assert.is(a.blocks, st.blocks);
      if (st.birthtimeNs > 0n) {
        assert.is(a.valid & 0x800n, 0x800n);
        assert.is(a.btime_sec * 1_000_000_000n + a.btime_nsec, st.birthtimeNs);
      }
      assert.is(a.valid & 0x1000n, 0x1000n);
    }
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    fs.unlinkSync(path.join(h.tmp.dir, 'f'));
    const gone = await c.ok({ type: 'Tgetattr', fid: 1, request_mask: 0x7ffn }, 'Rgetattr');
    assert.is(gone.nlink, 0n);
    assert.is(gone.size, 12n);
  } finally {
    await h.stop();
  }
});

test('setattr: mode, uid, gid, size, times given (ATIME_SET/MTIME_SET) and "now"', async () => {
  const h = await startHarness();
  try {
    const f = path.join(h.tmp.dir, 'f');
    fs.writeFileSync(f, 'some content');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    const base = { type: 'Tsetattr', fid: 1, valid: 0, mode: 0, uid: 0, gid: 0, size: 0n, atime_sec: 0n, atime_nsec: 0n, mtime_sec: 0n, mtime_nsec: 0n } as const;
    await c.ok({ ...base, valid: 0x1, mode: 0o100640 }, 'Rsetattr');
    assert.is(fs.statSync(f).mode & 0o7777, 0o640);
    await c.ok({ ...base, valid: 0x2 | 0x4, uid: 11, gid: 22 }, 'Rsetattr');
    assert.is(fs.statSync(f).uid, 11);
    assert.is(fs.statSync(f).gid, 22);
    await c.ok({ ...base, valid: 0x8, size: 4n }, 'Rsetattr');
    assert.is(fs.readFileSync(f, 'utf8'), 'some');
    await c.ok({ ...base, valid: 0x10 | 0x20 | 0x80 | 0x100, atime_sec: 1000n, atime_nsec: 5000n, mtime_sec: 2000n, mtime_nsec: 7000n }, 'Rsetattr');
    let st = fs.statSync(f, { bigint: true });
    // The server passes nanoseconds on; the host sets them exactly with
    // the native addon, to about a microsecond without it.
    const near = (a: bigint, want: bigint): boolean => (a > want ? a - want : want - a) <= 1000n;
    assert.ok(near(st.atimeNs, 1000n * 1_000_000_000n + 5000n), String(st.atimeNs));
    assert.ok(near(st.mtimeNs, 2000n * 1_000_000_000n + 7000n), String(st.mtimeNs));
    const before = BigInt(Date.now() - 5000) * 1_000_000n;
    await c.ok({ ...base, valid: 0x10 | 0x20, atime_sec: 1n, mtime_sec: 1n }, 'Rsetattr');
    st = fs.statSync(f, { bigint: true });
    assert.ok(st.atimeNs > before && st.mtimeNs > before, 'ATIME/MTIME without _SET mean now');
    // Only the mtime: the atime stays.
    await c.ok({ ...base, valid: 0x20 | 0x100, mtime_sec: 3000n }, 'Rsetattr');
    const st2 = fs.statSync(f, { bigint: true });
    assert.is(st2.mtimeNs, 3000n * 1_000_000_000n);
    assert.ok(near(st2.atimeNs, st.atimeNs), 'the atime was left alone');
  } finally {
    await h.stop();
  }
});

async function xattrRead(c: WireConn, fid: number, newfid: number, name: string): Promise<Buffer> {
  const { size } = await c.ok({ type: 'Txattrwalk', fid, newfid, name }, 'Rxattrwalk');
  const r = await c.ok({ type: 'Tread', fid: newfid, offset: 0n, count: Number(size) + 10 }, 'Rread');
  await c.ok({ type: 'Tclunk', fid: newfid }, 'Rclunk');
  return Buffer.from(r.data);
}

async function xattrWrite(c: WireConn, fid: number, clone: number, name: string, value: Buffer, flags = 0): Promise<void> {
  await c.walk(fid, clone);
  await c.ok({ type: 'Txattrcreate', fid: clone, name, attr_size: BigInt(value.length), flags }, 'Rxattrcreate');
  if (value.length > 0) await c.ok({ type: 'Twrite', fid: clone, offset: 0n, data: value }, 'Rwrite');
  await c.ok({ type: 'Tclunk', fid: clone }, 'Rclunk');
}

test('xattrs: set by xattrcreate+write+clunk, get, list, remove with size 0', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), '');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    await xattrWrite(c, 1, 2, 'user.color', b('blue'));
    await xattrWrite(c, 1, 2, 'user.size', b('xl'));
    assert.equal(await xattrRead(c, 1, 3, 'user.color'), b('blue'));
    const list = (await xattrRead(c, 1, 3, '')).toString().split('\0').filter(Boolean).sort();
    assert.equal(list, ['user.color', 'user.size']);
    assert.is(await c.err({ type: 'Txattrwalk', fid: 1, newfid: 3, name: 'user.nope' }), E.ENODATA);
    // XATTR_CREATE on an existing name fails at clunk.
    await c.walk(1, 4);
    await c.ok({ type: 'Txattrcreate', fid: 4, name: 'user.color', attr_size: 1n, flags: 1 }, 'Rxattrcreate');
    await c.ok({ type: 'Twrite', fid: 4, offset: 0n, data: b('x') }, 'Rwrite');
    assert.is(await c.err({ type: 'Tclunk', fid: 4 }), E.EEXIST);
    // Remove: size 0 with XATTR_REPLACE, as Linux removexattr sends it.
    await xattrWrite(c, 1, 5, 'user.size', Buffer.alloc(0), 2);
    const after = (await xattrRead(c, 1, 3, '')).toString().split('\0').filter(Boolean);
    assert.equal(after, ['user.color']);
    // A value written short of its announced size is refused at clunk.
    await c.walk(1, 6);
    await c.ok({ type: 'Txattrcreate', fid: 6, name: 'user.short', attr_size: 5n, flags: 0 }, 'Rxattrcreate');
    await c.ok({ type: 'Twrite', fid: 6, offset: 0n, data: b('ab') }, 'Rwrite');
    assert.is(await c.err({ type: 'Tclunk', fid: 6 }), E.EINVAL);
    assert.is(await c.err({ type: 'Txattrcreate', fid: 1, name: 'user.big', attr_size: 70000n, flags: 0 }), E.E2BIG);
  } finally {
    await h.stop();
  }
});

test('readdir: 10,000 entries, replies cut exactly at count, resumed by cookie, nothing lost or repeated', async () => {
  const h = await startHarness();
  try {
    const names = new Set<string>();
    for (let i = 0; i < 10000; i++) {
      const n = `file-${i}-${'x'.repeat(i % 37)}`;
      names.add(n);
      fs.writeFileSync(path.join(h.tmp.dir, n), '');
    }
    const c = await h.session();
    await c.walk(0, 1);
    await c.ok({ type: 'Tlopen', fid: 1, flags: 0 }, 'Rlopen');
    for (const count of [8192 - READDIRHDRSZ, 500, 80]) {
      const seen: string[] = [];
      let offset = 0n;
      let previous = -1;
      for (;;) {
        const r = await c.ok({ type: 'Treaddir', fid: 1, offset, count }, 'Rreaddir');
        if (r.data.length === 0) break;
        assert.ok(r.data.length <= count);
        const ents = unpackDirents(r.data);
        // Cut exactly: this reply's first entry did not fit in the previous one.
        const first = ents[0] as { name: Buffer };
        if (previous >= 0) assert.ok(previous + 24 + first.name.length > count, 'an entry that fitted was left for the next reply');
        previous = r.data.length;
        for (const e of ents) seen.push(e.name.toString());
        offset = (ents[ents.length - 1] as { offset: bigint }).offset;
      }
      const real = seen.filter((n) => n !== '.' && n !== '..');
      assert.is(real.length, 10000);
      assert.equal(new Set(real), names);
    }
    // Too small for the next entry: EINVAL, not an empty (end of directory) reply.
    assert.is(await c.err({ type: 'Treaddir', fid: 1, offset: 0n, count: 20 }), E.EINVAL);
  } finally {
    await h.stop();
  }
});

test('fsync and statfs', async () => {
  const h = await startHarness();
  try {
    fs.writeFileSync(path.join(h.tmp.dir, 'f'), 'x');
    const c = await h.session();
    await c.walk(0, 1, 'f');
    assert.is(await c.err({ type: 'Tfsync', fid: 1, datasync: 0 }), E.EBADF);
    await c.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
    await c.ok({ type: 'Tfsync', fid: 1, datasync: 1 }, 'Rfsync');
    const st = await c.ok({ type: 'Tstatfs', fid: 0 }, 'Rstatfs');
    const host = fs.statfsSync(h.tmp.dir, { bigint: true });
    assert.is(st.blocks, host.blocks);
    assert.is(BigInt(st.bsize), host.bsize);
    assert.is(BigInt(st.fs_type), host.type);
    assert.ok(st.namelen >= 255);
  } finally {
    await h.stop();
  }
});

test('locks: honoured between connections; getlock reports the holder; a blocking lock waits for the unlock', async () => {
  const h = await startHarness();
  try {
    const [a, z] = await h.lockers('f', 'x');
    const lk = { type: 'Tlock', fid: 1, lock_type: 1, flags: 0, start: 10n, length: 10n, proc_id: 100, client_id: 'guest-a' } as const;
    assert.is((await a.ok(lk, 'Rlock')).status, 0);
    assert.is((await z.ok({ ...lk, proc_id: 200, client_id: 'guest-z', start: 15n, length: 1n }, 'Rlock')).status, 1);
    // Outside the range is free.
    assert.is((await z.ok({ ...lk, proc_id: 200, client_id: 'guest-z', start: 30n, length: 5n }, 'Rlock')).status, 0);
    const gl = await z.ok({ type: 'Tgetlock', fid: 1, lock_type: 1, start: 0n, length: 0n, proc_id: 200, client_id: 'guest-z' }, 'Rgetlock');
    assert.equal([gl.lock_type, gl.start, gl.length, gl.proc_id, gl.client_id], [1, 10n, 10n, 100, 'guest-a']);
    const free = await a.ok({ type: 'Tgetlock', fid: 1, lock_type: 0, start: 0n, length: 5n, proc_id: 100, client_id: 'guest-a' }, 'Rgetlock');
    assert.is(free.lock_type, 2);
    // Blocking request: answered once the holder unlocks.
    const waiting = z.send({ ...lk, flags: 1, proc_id: 200, client_id: 'guest-z' });
    assert.is((await a.ok({ ...lk, lock_type: 2 }, 'Rlock')).status, 0);
    assert.equal(await waiting, { type: 'Rlock', status: 0 });
    // Locks need an open file.
    await a.walk(0, 2, 'f');
    assert.is(await a.err({ ...lk, fid: 2 }), E.EBADF);
  } finally {
    await h.stop();
  }
});

test('locks: a blocking request still in conflict after blockingLockWait answers BLOCKED (Linux retries)', async () => {
  for (const wait of [0, 20]) {
    const h = await startHarness({ options: { blockingLockWait: wait } });
    try {
      const [a, z] = await h.lockers('f', 'x');
      const lk = { type: 'Tlock', fid: 1, lock_type: 1, flags: 1, start: 0n, length: 0n, proc_id: 1, client_id: 'a' } as const;
      assert.is((await a.ok(lk, 'Rlock')).status, 0);
      assert.is((await z.ok({ ...lk, proc_id: 2 }, 'Rlock')).status, 1);
      assert.is(h.exportLocks().waiting, 0);
    } finally {
      await h.stop();
    }
  }
});

test.run();
