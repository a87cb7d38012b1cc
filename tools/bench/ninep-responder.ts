// The ceiling of a Node.js 9P server, for the diodls -l and diodcat
// benchmarks: a responder that speaks just enough 9P2000.L for `diodls -l
// DIR` and `diodcat` of small files (version, auth, attach, walk, lopen,
// getattr, readdir, read, clunk) through humbridge's
// codec and Node's net sockets, with every answer made up in memory. It
// opens no file beyond one listing of DIR at start, keeps no fid table
// beyond which fids are directories, and answers in the socket's data
// handler. Whatever rate it reaches against diod is the most any server on
// this runtime and socket layer can reach for that client; humbridge does
// the real work (lookups, stats, node and fid tables) on top.
//
// With --preencoded the three requests diodls sends per entry (a one-name
// Twalk, Tgetattr, Tclunk) skip the codec too: the fields are read straight
// from the frame and the reply is a copy of one encoded in advance with the
// tag put in. That is Node's sockets alone.
//
//   node dist/tools/bench/ninep-responder.js DIR [--preencoded]
// prints "listening on PORT" (127.0.0.1, a port the kernel picks) and
// serves until SIGTERM. Not a server to use: it lies about every file.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  decode,
  dialect9P2000L,
  encode,
  FrameReader,
  packDirents,
  QTDIR,
  QTFILE,
  type Dirent,
  type Message9P2000L,
  type Qid,
} from '../../ninep/index.js';

const dir = process.argv[2];
const preencoded = process.argv[3] === '--preencoded';
if (dir === undefined || (process.argv[3] !== undefined && !preencoded)) {
  process.stderr.write('usage: ninep-responder DIR [--preencoded]\n');
  process.exit(2);
}

/** The one directory diodls lists: ".", ".." and its real names, each a made-up empty file. */
const listed = path.basename(dir);
const names = fs.readdirSync(dir, { encoding: 'buffer' });
const fileQid: Qid = { type: QTFILE, version: 0, path: 3n };
const dirQid: Qid = { type: QTDIR, version: 0, path: 2n };
const dirents: Dirent[] = [
  { qid: dirQid, offset: 1n, type: 4, name: Buffer.from('.') },
  { qid: dirQid, offset: 2n, type: 4, name: Buffer.from('..') },
  ...names.map((name, i) => ({ qid: fileQid, offset: BigInt(i + 3), type: 8, name })),
];

/** Every file holds the same 4 KiB, as the small files diodcat reads do. */
const FILE_SIZE = 4096;
const content = Buffer.alloc(FILE_SIZE, 'x');

function attrs(qid: Qid, mode: number): Message9P2000L {
  const t = BigInt(Math.floor(Date.now() / 1000));
  return {
    type: 'Rgetattr', valid: 0x7ffn, qid, mode, uid: 0, gid: 0, nlink: 1n, rdev: 0n, size: (mode & 0o170000) === 0o040000 ? 0n : BigInt(FILE_SIZE), blksize: 4096n, blocks: 8n,
    atime_sec: t, atime_nsec: 0n, mtime_sec: t, mtime_nsec: 0n, ctime_sec: t, ctime_nsec: 0n,
    btime_sec: 0n, btime_nsec: 0n, gen: 0n, data_version: 0n,
  };
}
const fileAttrs = attrs(fileQid, 0o100644);
const dirAttrs = attrs(dirQid, 0o40755);

/** Replies encoded once (tag 0), for --preencoded. */
const early = {
  fileWalk: encode(dialect9P2000L, 0, { type: 'Rwalk', wqid: [fileQid] }),
  dirWalk: encode(dialect9P2000L, 0, { type: 'Rwalk', wqid: [dirQid] }),
  fileAttrs: encode(dialect9P2000L, 0, fileAttrs),
  dirAttrs: encode(dialect9P2000L, 0, dirAttrs),
  clunk: encode(dialect9P2000L, 0, { type: 'Rclunk' }),
};
const TWALK = 110;
const TGETATTR = 24;
const TCLUNK = 120;

/**
 * The pre-encoded reply to a one-name Twalk, a Tgetattr or a Tclunk, read
 * from the frame's bytes (fid at 7; Twalk: newfid at 11, nwname at 15, the
 * name's length at 17); undefined for anything else.
 */
function earlyReply(frame: Buffer, dirs: Set<number>): Buffer | undefined {
  const type = frame[4];
  if (type === TGETATTR) return dirs.has(frame.readUInt32LE(7)) ? early.dirAttrs : early.fileAttrs;
  if (type === TCLUNK) {
    dirs.delete(frame.readUInt32LE(7));
    return early.clunk;
  }
  if (type !== TWALK || frame.length < 19 || frame.readUInt16LE(15) !== 1) return undefined;
  const name = frame.toString('latin1', 19, 19 + frame.readUInt16LE(17));
  const newfid = frame.readUInt32LE(11);
  const isDir = name === listed || name === '.' || name === '..';
  if (isDir) dirs.add(newfid);
  else dirs.delete(newfid);
  return isDir ? early.dirWalk : early.fileWalk;
}

function serve(sock: net.Socket): void {
  /** Fids that name a directory (the attach root, DIR, "." and ".."). */
  const dirs = new Set<number>();
  const answer = (tag: number, reply: Message9P2000L): void => void sock.write(encode(dialect9P2000L, tag, reply));
  const reader = new FrameReader(1 << 20, (frame) => {
    const ready = preencoded ? earlyReply(frame, dirs) : undefined;
    if (ready !== undefined) {
      const out = Buffer.from(ready);
      out.writeUInt16LE(frame.readUInt16LE(5), 5);
      sock.write(out);
      return;
    }
    let msg: Message9P2000L;
    let tag: number;
    try {
      ({ tag, msg } = decode(dialect9P2000L, frame));
    } catch {
      sock.destroy();
      return;
    }
    switch (msg.type) {
      case 'Tversion':
        return answer(tag, { type: 'Rversion', msize: Math.min(msg.msize, 1 << 20), version: '9P2000.L' });
      case 'Tauth':
        return answer(tag, { type: 'Rlerror', ecode: 2 });
      case 'Tattach':
        dirs.add(msg.fid);
        return answer(tag, { type: 'Rattach', qid: dirQid });
      case 'Twalk': {
        const last = msg.wname[msg.wname.length - 1]?.toString('latin1');
        const isDir = last === undefined ? dirs.has(msg.fid) : last === listed || last === '.' || last === '..';
        if (isDir) dirs.add(msg.newfid);
        else dirs.delete(msg.newfid);
        return answer(tag, { type: 'Rwalk', wqid: msg.wname.map(() => (isDir ? dirQid : fileQid)) });
      }
      case 'Tlopen':
        return answer(tag, { type: 'Rlopen', qid: dirs.has(msg.fid) ? dirQid : fileQid, iounit: 0 });
      case 'Tgetattr':
        return answer(tag, dirs.has(msg.fid) ? dirAttrs : fileAttrs);
      case 'Treaddir': {
        const into = Buffer.allocUnsafe(msg.count);
        const packed = packDirents(into, dirents.slice(Number(msg.offset)));
        return answer(tag, { type: 'Rreaddir', data: into.subarray(0, packed.bytes) });
      }
      case 'Tread': {
        if (dirs.has(msg.fid)) return answer(tag, { type: 'Rlerror', ecode: 21 /* EISDIR */ });
        const from = Math.min(Number(msg.offset), FILE_SIZE);
        return answer(tag, { type: 'Rread', data: content.subarray(from, Math.min(FILE_SIZE, from + msg.count)) });
      }
      case 'Tclunk':
        dirs.delete(msg.fid);
        return answer(tag, { type: 'Rclunk' });
      default:
        return answer(tag, { type: 'Rlerror', ecode: 95 /* EOPNOTSUPP */ });
    }
  });
  sock.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch {
      sock.destroy();
    }
  });
  sock.on('error', () => sock.destroy());
}

const server = net.createServer({ noDelay: true }, serve);
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`listening on ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
