// Ground truth: our frames against diod, Debian's C 9P2000.L server (not
// written by us). diod runs on a pipe (--rfdno 0 --wfdno 1) over a temp
// export; every reply must decode exactly (no trailing bytes, no overrun),
// and diod must accept every request we encode. Skips, saying why, when
// diod is not installed or we are not root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  decode,
  encode,
  unpackDirents,
  dialect9P2000L,
  NOTAG,
  NOFID,
  QTDIR,
  P9_GETATTR_BASIC,
  P9_DOTL_RDONLY,
  P9_DOTL_WRONLY,
  P9_DOTL_CREATE,
  P9_DOTL_DIRECTORY,
  type Message9P2000L,
} from '../../../ninep/codec/index.js';
import { FrameReader } from '../../../ninep/framing.js';
import { firstMissing, gated, needProgram, needRoot } from '../../helpers/gate.js';

// diod serves attach as uid 0 only when it runs as root.
const noDiod = firstMissing(needProgram('diod', 'diod'), needRoot('let diod serve attach as uid 0'));
const it = (name: string, fn: () => Promise<void>): void => gated(test, name, noDiod, fn);

const ODD = Buffer.from([0x66, 0xff, 0xfe]); // a file name that is not UTF-8

interface Conn {
  rpc(msg: Message9P2000L): Promise<Message9P2000L>;
}

let dir = '';
let child: ChildProcessWithoutNullStreams | undefined;
let conn: Conn;

test.before(() => {
  if (noDiod !== undefined) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-diod-'));
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello\n');
  fs.writeFileSync(Buffer.from(`${dir}/${ODD.toString('latin1')}`, 'latin1'), 'odd');
  fs.mkdirSync(path.join(dir, 'sub'));
  const proc = spawn('diod', ['-f', '-n', '--rfdno', '0', '--wfdno', '1', '-e', dir, '-L', 'stderr'], { stdio: 'pipe' });
  child = proc;
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting = new Map<number, { resolve: (m: Message9P2000L) => void; reject: (e: Error) => void }>();
  const reader = new FrameReader(1 << 20, (frame) => {
    const tag = frame.readUInt16LE(5);
    const w = waiting.get(tag);
    waiting.delete(tag);
    try {
      w?.resolve(decode(dialect9P2000L, Buffer.from(frame)).msg);
    } catch (e) {
      w?.reject(e as Error); // a reply we cannot decode fails the test, not the process
    }
  });
  proc.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
  proc.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error(`diod exited: ${stderr}`));
    waiting.clear();
  });
  let nextTag = 1;
  conn = {
    rpc(msg) {
      const tag = msg.type === 'Tversion' ? NOTAG : nextTag++;
      return new Promise((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`no reply to ${msg.type} from diod: ${stderr}`)), 10000);
        waiting.set(tag, {
          resolve: (m) => (clearTimeout(guard), resolve(m)),
          reject: (e) => (clearTimeout(guard), reject(e)),
        });
        proc.stdin.write(encode(dialect9P2000L, tag, msg));
      });
    },
  };
});

test.after(async () => {
  const proc = child;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    // End of input ends diod's only connection and diod exits; SIGKILL if it lingers.
    proc.stdin.end();
    const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function expect<K extends Message9P2000L['type']>(msg: Message9P2000L, type: K): Promise<Extract<Message9P2000L, { type: K }>> {
  const reply = await conn.rpc(msg);
  assert.is(reply.type, type, `${msg.type} answered ${JSON.stringify(reply, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  return reply as Extract<Message9P2000L, { type: K }>;
}

it('version and attach', async () => {
  const v = await expect({ type: 'Tversion', msize: 65536, version: '9P2000.L' }, 'Rversion');
  assert.is(v.version, '9P2000.L');
  assert.ok(v.msize <= 65536 && v.msize > 4096);
  const a = await expect({ type: 'Tattach', fid: 0, afid: NOFID, uname: 'root', aname: dir, n_uname: 0 }, 'Rattach');
  assert.is(a.qid.type & QTDIR, QTDIR);
  const g = await expect({ type: 'Tgetattr', fid: 0, request_mask: P9_GETATTR_BASIC }, 'Rgetattr');
  assert.is(g.mode & 0o170000, 0o040000);
  assert.equal(g.qid, a.qid);
});

it('walk, lopen, read', async () => {
  const w = await expect({ type: 'Twalk', fid: 0, newfid: 1, wname: [Buffer.from('hello.txt')] }, 'Rwalk');
  assert.is(w.wqid.length, 1);
  await expect({ type: 'Tlopen', fid: 1, flags: P9_DOTL_RDONLY }, 'Rlopen');
  const r = await expect({ type: 'Tread', fid: 1, offset: 0n, count: 100 }, 'Rread');
  assert.is(r.data.toString(), 'hello\n');
  await expect({ type: 'Tclunk', fid: 1 }, 'Rclunk');
});

it('a non-UTF-8 name walks and lists with its exact bytes', async () => {
  const w = await expect({ type: 'Twalk', fid: 0, newfid: 2, wname: [ODD] }, 'Rwalk');
  assert.is(w.wqid.length, 1);
  const g = await expect({ type: 'Tgetattr', fid: 2, request_mask: P9_GETATTR_BASIC }, 'Rgetattr');
  assert.is(g.size, 3n);
  await expect({ type: 'Tclunk', fid: 2 }, 'Rclunk');

  await expect({ type: 'Twalk', fid: 0, newfid: 3, wname: [] }, 'Rwalk');
  await expect({ type: 'Tlopen', fid: 3, flags: P9_DOTL_RDONLY | P9_DOTL_DIRECTORY }, 'Rlopen');
  const names: string[] = [];
  let offset = 0n;
  for (;;) {
    const rd = await expect({ type: 'Treaddir', fid: 3, offset, count: 4000 }, 'Rreaddir');
    const ents = unpackDirents(rd.data);
    if (ents.length === 0) break;
    for (const e of ents) names.push(e.name.toString('hex'));
    offset = ents[ents.length - 1]!.offset;
  }
  const want = ['.', '..', 'hello.txt', 'sub'].map((n) => Buffer.from(n).toString('hex')).concat(ODD.toString('hex'));
  assert.equal(names.sort(), want.sort());
  await expect({ type: 'Tclunk', fid: 3 }, 'Rclunk');
});

it('create, write, mkdir, statfs and an error', async () => {
  await expect({ type: 'Twalk', fid: 0, newfid: 4, wname: [] }, 'Rwalk');
  await expect(
    { type: 'Tlcreate', fid: 4, name: Buffer.from('new'), flags: P9_DOTL_WRONLY | P9_DOTL_CREATE, mode: 0o640, gid: 0 },
    'Rlcreate',
  );
  const wr = await expect({ type: 'Twrite', fid: 4, offset: 0n, data: Buffer.from('abc') }, 'Rwrite');
  assert.is(wr.count, 3);
  await expect({ type: 'Tfsync', fid: 4, datasync: 0 }, 'Rfsync');
  await expect({ type: 'Tclunk', fid: 4 }, 'Rclunk');
  assert.is(fs.readFileSync(path.join(dir, 'new'), 'utf8'), 'abc');
  assert.is(fs.statSync(path.join(dir, 'new')).mode & 0o777, 0o640);

  const mk = await expect({ type: 'Tmkdir', dfid: 0, name: Buffer.from('d2'), mode: 0o750, gid: 0 }, 'Rmkdir');
  assert.is(mk.qid.type & QTDIR, QTDIR);
  assert.ok(fs.statSync(path.join(dir, 'd2')).isDirectory());
  // diod answers renameat/unlinkat with EOPNOTSUPP (protocol.md: the client
  // then falls back to rename/remove); either answer shows it parsed the frame.
  for (const msg of [
    { type: 'Trenameat', olddirfid: 0, oldname: Buffer.from('d2'), newdirfid: 0, newname: Buffer.from('d3') },
    { type: 'Tunlinkat', dirfd: 0, name: Buffer.from('d2'), flags: 0x200 },
  ] as const) {
    const reply = await conn.rpc(msg);
    assert.ok(reply.type === `R${msg.type.slice(1)}` || (reply.type === 'Rlerror' && reply.ecode === 95), msg.type);
  }
  await expect({ type: 'Twalk', fid: 0, newfid: 6, wname: [Buffer.from('d2')] }, 'Rwalk');
  await expect({ type: 'Trename', fid: 6, dfid: 0, name: Buffer.from('d3') }, 'Rrename');
  assert.ok(fs.statSync(path.join(dir, 'd3')).isDirectory());
  await expect({ type: 'Tremove', fid: 6 }, 'Rremove');
  assert.not.ok(fs.existsSync(path.join(dir, 'd3')));

  const sf = await expect({ type: 'Tstatfs', fid: 0 }, 'Rstatfs');
  assert.ok(sf.bsize > 0 && sf.namelen > 0);
  const err = await expect({ type: 'Twalk', fid: 0, newfid: 5, wname: [Buffer.from('nope')] }, 'Rlerror');
  assert.is(err.ecode, 2); // ENOENT
});

it('locks, xattrs, symlinks and setattr', async () => {
  await expect({ type: 'Twalk', fid: 0, newfid: 7, wname: [Buffer.from('hello.txt')] }, 'Rwalk');
  await expect({ type: 'Tlopen', fid: 7, flags: 2 }, 'Rlopen');
  const lk = await expect(
    { type: 'Tlock', fid: 7, lock_type: 1, flags: 0, start: 0n, length: 0n, proc_id: 42, client_id: 'vm' },
    'Rlock',
  );
  assert.is(lk.status, 0); // P9_LOCK_SUCCESS
  const gl = await expect(
    { type: 'Tgetlock', fid: 7, lock_type: 1, start: 0n, length: 0n, proc_id: 43, client_id: 'vm' },
    'Rgetlock',
  );
  assert.ok(gl.lock_type <= 2);
  const st = await expect(
    {
      type: 'Tsetattr',
      fid: 7,
      valid: 0x1 | 0x20 | 0x100, // MODE | MTIME | MTIME_SET
      mode: 0o600,
      uid: 0,
      gid: 0,
      size: 0n,
      atime_sec: 0n,
      atime_nsec: 0n,
      mtime_sec: 981173106n,
      mtime_nsec: 0n,
    },
    'Rsetattr',
  );
  assert.is(st.type, 'Rsetattr');
  const s = fs.statSync(path.join(dir, 'hello.txt'));
  assert.is(s.mode & 0o777, 0o600);
  assert.is(Math.floor(s.mtimeMs / 1000), 981173106);
  await expect({ type: 'Tclunk', fid: 7 }, 'Rclunk');

  const sl = await expect({ type: 'Tsymlink', fid: 0, name: Buffer.from('ln'), symtgt: ODD, gid: 0 }, 'Rsymlink');
  assert.is(sl.qid.type, 0x02); // QTSYMLINK
  await expect({ type: 'Twalk', fid: 0, newfid: 8, wname: [Buffer.from('ln')] }, 'Rwalk');
  const rl = await expect({ type: 'Treadlink', fid: 8 }, 'Rreadlink');
  assert.ok(rl.target.equals(ODD));
  await expect({ type: 'Tclunk', fid: 8 }, 'Rclunk');

  // xattrs may be unsupported by the host filesystem: either answer proves the layout.
  const xw = await conn.rpc({ type: 'Txattrwalk', fid: 0, newfid: 9, name: '' });
  assert.ok(xw.type === 'Rxattrwalk' || xw.type === 'Rlerror', xw.type);
  if (xw.type === 'Rxattrwalk') await expect({ type: 'Tclunk', fid: 9 }, 'Rclunk');
});

test.run();
