// The client against a real 9P2000.L server that is not ours: diod. Every
// request the client can send that diod implements, with results checked
// on the host file system.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  P9_DOTL_CREATE,
  P9_DOTL_RDWR,
  P9_DOTL_RDONLY,
  P9_DOTL_WRONLY,
  P9_GETATTR_BASIC,
  P9_GETATTR_MODE,
  P9_GETATTR_SIZE,
  P9_LOCK_SUCCESS,
  P9_LOCK_TYPE_UNLCK,
  P9_LOCK_TYPE_WRLCK,
  P9_SETATTR_MODE,
  P9_SETATTR_MTIME,
  P9_SETATTR_MTIME_SET,
  P9_SETATTR_SIZE,
  QTDIR,
  QTSYMLINK,
} from '../../../ninep/index.js';
import {
  Client,
  connectAddress,
  NinepError,
  readAll,
  readdirAll,
  readFile,
  removePath,
  renamePath,
  statPath,
  walkPath,
  writeFile,
} from '../../../ninep/client/index.js';
import { startDiod, type RunningServer } from '../../../tools/bench/servers.js';
import { tmpExport, type TmpExport } from '../../helpers/tmp-export.js';
import { gated, needProgram } from '../../helpers/gate.js';

interface Ctx {
  tmp: TmpExport;
  diod: RunningServer;
  c: Client;
  root: number;
}

const noDiod = needProgram('diod', 'diod');
/** A case against a live diod (skipped, or failed under HUMBRIDGE_REQUIRE_ALL=1, without it). */
const diodTest = (name: string, fn: () => Promise<void>): void => gated(test, name, noDiod, fn);

async function withDiod(fn: (x: Ctx) => Promise<void>, msize = 1 << 20): Promise<void> {
  const tmp = tmpExport('humbridge-diod-');
  let diod: RunningServer | undefined;
  let c: Client | undefined;
  try {
    diod = await startDiod(tmp.dir);
    c = await Client.connect(await connectAddress({ kind: 'tcp', host: diod.host, port: diod.port }), { msize });
    const { fid } = await c.attach({ uname: 'root', n_uname: 0, aname: diod.aname });
    await fn({ tmp, diod, c, root: fid });
  } finally {
    await c?.close();
    await diod?.stop();
    tmp.cleanup();
  }
}

diodTest('diod caps msize at 64 KiB and the client takes it', () =>
  withDiod(async ({ c }) => {
    assert.is(c.dialect.name, '9P2000.L');
    assert.is(c.msize, 65536);
  }));

diodTest('a 5 MiB file written and read back in pipelined msize chunks is byte-exact', () =>
  withDiod(async ({ tmp, c, root }) => {
    const data = crypto.randomBytes(5 * 1024 * 1024 + 123);
    await writeFile(c, root, 'big.bin', data);
    assert.ok(fs.readFileSync(path.join(tmp.dir, 'big.bin')).equals(data), 'host sees the bytes');
    assert.ok((await readFile(c, root, 'big.bin')).equals(data));
    assert.is(c.fids.inUse, 1, 'only the root fid is left');
  }));

diodTest('walk: clone, multi-name walk, and a missing first name is an error reply', () =>
  withDiod(async ({ tmp, c, root }) => {
    fs.mkdirSync(path.join(tmp.dir, 'a/b/c'), { recursive: true });
    const clone = await c.walk(root, []);
    assert.ok(clone.fid !== undefined);
    assert.is(clone.wqid.length, 0);
    const deep = await c.walk(root, ['a', 'b', 'c']);
    assert.is(deep.wqid.length, 3);
    assert.ok(deep.wqid.every((q) => (q.type & QTDIR) !== 0));
    const partial = await c.walk(root, ['a', 'nope', 'c']);
    assert.is(partial.fid, undefined, 'a short walk creates no newfid');
    assert.is(partial.wqid.length, 1);
    const e = (await c.walk(root, ['nope']).catch((x: unknown) => x)) as NinepError;
    assert.instance(e, NinepError);
    assert.is(e.code, 'ENOENT');
    await c.clunk(clone.fid as number);
    await c.clunk(deep.fid as number);
  }));

diodTest('lcreate, write, getattr, setattr (mode, size, mtime), fsync, statfs', () =>
  withDiod(async ({ tmp, c, root }) => {
    const fid = (await c.walk(root, [])).fid as number;
    const opened = await c.lcreate(fid, 'f', P9_DOTL_RDWR | P9_DOTL_CREATE, 0o640);
    assert.ok(opened.iounit > 0);
    assert.is(await c.write(fid, 0n, Buffer.from('hello world')), 11);
    await c.fsync(fid);
    const ga = await c.getattr(fid, P9_GETATTR_BASIC);
    assert.is(ga.mode & 0o7777, 0o640);
    assert.is(ga.size, 11n);
    assert.ok((ga.valid & (P9_GETATTR_MODE | P9_GETATTR_SIZE)) === (P9_GETATTR_MODE | P9_GETATTR_SIZE));
    await c.setattr(fid, { valid: P9_SETATTR_MODE | P9_SETATTR_SIZE | P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, mode: 0o600, size: 5n, mtime_sec: 1_000_000_000n });
    const st = fs.statSync(path.join(tmp.dir, 'f'));
    assert.is(st.mode & 0o7777, 0o600);
    assert.is(st.size, 5);
    assert.is(Math.floor(st.mtimeMs / 1000), 1_000_000_000);
    const sf = await c.statfs(root);
    assert.ok(sf.bsize > 0 && sf.blocks > 0n);
    await c.clunk(fid);
    assert.is(fs.readFileSync(path.join(tmp.dir, 'f'), 'utf8'), 'hello');
  }));

diodTest('readdir resumes from offsets across many replies (small msize)', () =>
  withDiod(async ({ tmp, c, root }) => {
      const names = Array.from({ length: 300 }, (_, i) => `entry-with-a-long-name-${String(i).padStart(4, '0')}`);
      for (const n of names) fs.writeFileSync(path.join(tmp.dir, n), '');
      const listed = (await readdirAll(c, root)).map((e) => e.name.toString()).filter((n) => n !== '.' && n !== '..');
      assert.equal(listed.sort(), names);
    },
    4096,
  ));

diodTest('mkdir, symlink/readlink, mknod (FIFO), link, rename, remove', () =>
  withDiod(async ({ tmp, c, root }) => {
    await c.mkdir(root, 'd', 0o750);
    assert.is(fs.statSync(path.join(tmp.dir, 'd')).mode & 0o7777, 0o750);
    const q = await c.symlink(root, 'ln', 'd/target');
    assert.is(q.type & QTSYMLINK, QTSYMLINK);
    assert.is(fs.readlinkSync(path.join(tmp.dir, 'ln')), 'd/target');
    const lfid = await walkPath(c, root, 'ln');
    assert.is((await c.readlink(lfid)).toString(), 'd/target');
    await c.clunk(lfid);
    await c.mknod(root, 'fifo', 0o010644, 0, 0);
    assert.ok(fs.statSync(path.join(tmp.dir, 'fifo')).isFIFO());
    await writeFile(c, root, 'orig', Buffer.from('x'));
    const ofid = await walkPath(c, root, 'orig');
    await c.link(root, ofid, 'hard');
    await c.clunk(ofid);
    assert.is(fs.statSync(path.join(tmp.dir, 'hard')).ino, fs.statSync(path.join(tmp.dir, 'orig')).ino);
    await renamePath(c, root, 'hard', 'd/moved');
    assert.ok(fs.existsSync(path.join(tmp.dir, 'd/moved')));
    await removePath(c, root, 'd/moved');
    await removePath(c, root, 'd');
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'd')));
    const info = await statPath(c, root, 'fifo');
    assert.is(info.mode & 0o170000, 0o010000);
  }));

diodTest('locks: a write lock is reported by getlock and released by unlock', () =>
  withDiod(async ({ tmp, c, root }) => {
    fs.writeFileSync(path.join(tmp.dir, 'lk'), 'data');
    const fid = await walkPath(c, root, 'lk');
    await c.lopen(fid, P9_DOTL_RDWR);
    const lock = { lock_type: P9_LOCK_TYPE_WRLCK, start: 0n, length: 0n, proc_id: 42, client_id: 'test' };
    assert.is(await c.lock(fid, lock), P9_LOCK_SUCCESS);
    const seen = await c.getlock(fid, { ...lock, proc_id: 43 });
    assert.ok(seen.lock_type === P9_LOCK_TYPE_WRLCK || seen.lock_type === P9_LOCK_TYPE_UNLCK, `lock_type ${seen.lock_type}`);
    assert.is(await c.lock(fid, { ...lock, lock_type: P9_LOCK_TYPE_UNLCK }), P9_LOCK_SUCCESS);
    await c.clunk(fid);
  }));

diodTest('many requests in flight at once all come back right', () =>
  withDiod(async ({ tmp, c, root }) => {
    const data = crypto.randomBytes(64 * 1024);
    fs.writeFileSync(path.join(tmp.dir, 'p'), data);
    const fid = await walkPath(c, root, 'p');
    await c.lopen(fid, P9_DOTL_RDONLY);
    const reads = Array.from({ length: 64 }, (_, i) => c.read(fid, BigInt(i * 1024), 1024));
    const got = await Promise.all(reads);
    assert.ok(Buffer.concat(got).equals(data));
    const chunks: Buffer[] = [];
    await readAll(c, fid, 1000, (b) => chunks.push(b));
    assert.ok(Buffer.concat(chunks).equals(data), 'readAll with a unit that does not divide the size');
    await c.clunk(fid);
  }));

diodTest('error replies name the errno: write to a read-only fid, open of a directory for writing', () =>
  withDiod(async ({ tmp, c, root }) => {
    fs.writeFileSync(path.join(tmp.dir, 'ro'), 'x');
    const fid = await walkPath(c, root, 'ro');
    await c.lopen(fid, P9_DOTL_RDONLY);
    const e = (await c.write(fid, 0n, Buffer.from('y')).catch((x: unknown) => x)) as NinepError;
    assert.instance(e, NinepError);
    assert.is(e.code, 'EBADF');
    await c.clunk(fid);
    const w = await walkPath(c, root, 'ro');
    await c.remove(w);
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'ro')));
    const dir = (await c.walk(root, [])).fid as number;
    const isdir = (await c.lopen(dir, P9_DOTL_WRONLY).catch((x: unknown) => x)) as NinepError;
    assert.instance(isdir, NinepError);
    assert.is(isdir.code, 'EISDIR');
    await c.clunk(dir);
  }));

test.run();
