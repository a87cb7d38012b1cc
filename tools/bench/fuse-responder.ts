// The ceiling of a Node.js FUSE server, for the FUSE metadata benchmark
// (create, stat, `ls -l`, unlink of many empty files): a server that keeps
// its whole tree in memory, copied from DIR's names at start, and answers
// through humbridge's codec, the addon's event-loop reader of /dev/fuse and
// one synchronous write per reply, as humbridge's session does. It touches
// no file after start, counts no references and checks nothing; every reply
// is made in the read callback, with no promise. Whatever rate it reaches
// against bindfs is the most a one-thread Node server reaches with that
// kernel round trip; humbridge does the real work on top.
//
//   node dist/tools/bench/fuse-responder.js DIR MOUNTPOINT
//
// Prints "ready" once mounted; on SIGTERM or SIGINT unmounts and exits.
// Not a file system to use: files hold nothing and writes are dropped.

import fs from 'node:fs';
import path from 'node:path';
import { loadNative } from '../../native/index.js';
import { nullLogger } from '../../src/index.js';
import { decodeRequest, direntPlusSize, INIT, joinInitFlags, packDirentsPlus, splitInitFlags, beginData, finishData, type EntryOut, type FuseAttr, type FuseDirentPlus} from '../../fuse/codec/index.js';
import { kernelOptions } from '../../fuse/mount.js';
import { runProgram } from '../../fuse/run-program.js';
import { ENODEV, ENOENT, ENOSYS, status, struct } from '../../fuse/reply.js';

const ENODATA = 61;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
/** What humbridge's session takes at INIT, less locks and xattr extensions (nothing here uses them). */
const TAKEN = INIT.ASYNC_READ | INIT.BIG_WRITES | INIT.MAX_PAGES | INIT.PARALLEL_DIROPS | INIT.ATOMIC_O_TRUNC | INIT.DO_READDIRPLUS | INIT.READDIRPLUS_AUTO | INIT.HANDLE_KILLPRIV_V2;

interface Node {
  id: bigint;
  mode: number;
  /** Names of a directory's entries, in insertion order (the listing's order). */
  children?: Map<string, Node>;
}

const [dir, mountpoint] = process.argv.slice(2);
if (dir === undefined || mountpoint === undefined || process.argv.length !== 4) {
  process.stderr.write('usage: fuse-responder DIR MOUNTPOINT\n');
  process.exit(2);
}

const nodes = new Map<bigint, Node>();
let nextId = 2n;
const now = BigInt(Math.floor(Date.now() / 1000));

function made(mode: number, id?: bigint): Node {
  const n: Node = { id: id ?? nextId++, mode, ...((mode & S_IFDIR) !== 0 ? { children: new Map() } : {}) };
  nodes.set(n.id, n);
  return n;
}

/** DIR's names, recursively, as empty files and directories with DIR's modes. */
function copyTree(from: string, into: Node): void {
  for (const d of fs.readdirSync(from, { withFileTypes: true })) {
    const st = fs.lstatSync(path.join(from, d.name));
    const n = made(d.isDirectory() ? S_IFDIR | (st.mode & 0o7777) : S_IFREG | (st.mode & 0o7777));
    into.children?.set(d.name, n);
    if (d.isDirectory()) copyTree(path.join(from, d.name), n);
  }
}

const root = made(S_IFDIR | 0o755, 1n);
copyTree(dir, root);

function attr(n: Node): FuseAttr {
  return {
    ino: n.id, size: 0n, blocks: 0n, atime: now, mtime: now, ctime: now, atimensec: 0, mtimensec: 0, ctimensec: 0,
    mode: n.mode, nlink: n.children ? 2 : 1, uid: 0, gid: 0, rdev: 0, blksize: 4096, flags: 0,
  };
}

/** The same timeouts as humbridge's unwatched mount and bindfs: 1 s. */
function entryOut(n: Node): EntryOut {
  return { nodeid: n.id, generation: 0n, entry_valid: 1n, attr_valid: 1n, entry_valid_nsec: 0, attr_valid_nsec: 0, attr: attr(n) };
}

function child(parent: bigint, name: Uint8Array): { dir: Node; name: string; node: Node | undefined } | undefined {
  const p = nodes.get(parent);
  if (p?.children === undefined) return undefined;
  const key = Buffer.from(name).toString('latin1');
  return { dir: p, name: key, node: p.children.get(key) };
}

const NO_ENTRY = entryOut({ id: 0n, mode: 0 });

/** READDIRPLUS: entries from `offset` (1-based cookies in listing order), each with its entry. */
function listing(u: bigint, n: Node, offset: bigint, size: number): Buffer {
  const out = Buffer.allocUnsafe(16 + size);
  const slot = beginData(out, u).subarray(0, size);
  const items: FuseDirentPlus[] = [];
  const all = [['.', n, 4], ['..', n, 4], ...[...(n.children ?? new Map<string, Node>()).entries()].map(([k, c]) => [k, c, c.children ? 4 : 8] as const)] as const;
  let used = 0;
  for (let i = Number(offset); i < all.length; i++) {
    const [name, c, type] = all[i] as readonly [string, Node, number];
    used += direntPlusSize(name.length);
    if (used > size) break;
    const dots = i < 2;
    items.push({ entry: dots ? NO_ENTRY : entryOut(c), dirent: { ino: c.id, off: BigInt(i + 1), type, name: Buffer.from(name, 'latin1') } });
  }
  return finishData(out, packDirentsPlus(slot, items).bytes);
}

function answer(req: Buffer): Buffer | null {
  const { header: h, msg } = decodeRequest(req);
  const u = h.unique;
  switch (msg.type) {
    case 'INIT': {
      const { flags, flags2 } = splitInitFlags(joinInitFlags(msg.flags, msg.flags2) & TAKEN);
      return struct(u, {
        type: 'init_out', major: 7, minor: 45, max_readahead: msg.max_readahead, flags, max_background: 16, congestion_threshold: 12,
        max_write: 1 << 20, time_gran: 1, max_pages: 256, map_alignment: 0, flags2, max_stack_depth: 0, request_timeout: 0,
      });
    }
    case 'FORGET':
    case 'BATCH_FORGET':
    case 'INTERRUPT':
      return null;
    case 'LOOKUP': {
      const c = child(h.nodeid, msg.name);
      if (c === undefined) return status(u, ENOENT);
      return c.node ? struct(u, { type: 'entry_out', ...entryOut(c.node) }) : status(u, ENOENT);
    }
    case 'GETATTR':
      return getattrOf(u, h.nodeid);
    case 'CREATE':
    case 'MKDIR': {
      const c = child(h.nodeid, msg.name);
      if (c === undefined) return status(u, ENOENT);
      const n = made(msg.type === 'MKDIR' ? S_IFDIR | (msg.mode & 0o7777) : S_IFREG | (msg.mode & 0o7777));
      c.dir.children?.set(c.name, n);
      if (msg.type === 'MKDIR') return struct(u, { type: 'entry_out', ...entryOut(n) });
      return struct(u, { type: 'create_out', ...entryOut(n), fh: 0n, open_flags: 0, backing_id: 0 });
    }
    case 'UNLINK':
    case 'RMDIR': {
      const c = child(h.nodeid, msg.name);
      if (c?.node === undefined) return status(u, ENOENT);
      c.dir.children?.delete(c.name);
      return status(u, 0);
    }
    case 'OPEN':
    case 'OPENDIR':
      return struct(u, { type: 'open_out', fh: 0n, open_flags: 0, backing_id: 0 });
    case 'READDIRPLUS': {
      const n = nodes.get(h.nodeid);
      return n ? listing(u, n, msg.offset, msg.size) : status(u, ENOENT);
    }
    case 'READ':
      return dataOf(u);
    case 'WRITE':
      return struct(u, { type: 'write_out', size: msg.data.length });
    case 'STATFS':
      return struct(u, { type: 'statfs_out', blocks: 1n << 20n, bfree: 1n << 19n, bavail: 1n << 19n, files: 1n << 20n, ffree: 1n << 19n, bsize: 4096, namelen: 255, frsize: 4096 });
    case 'GETXATTR':
      return status(u, ENODATA);
    case 'LISTXATTR':
      return msg.size === 0 ? struct(u, { type: 'getxattr_out', size: 0 }) : dataOf(u);
    case 'SETATTR':
      return getattrOf(u, h.nodeid);
    case 'ACCESS':
    case 'FLUSH':
    case 'RELEASE':
    case 'RELEASEDIR':
    case 'FSYNC':
    case 'FSYNCDIR':
    case 'DESTROY':
      return status(u, 0);
    default:
      return status(u, ENOSYS);
  }
}

/** An empty data reply (a read at the end of an empty file). */
function dataOf(u: bigint): Buffer {
  const out = Buffer.allocUnsafe(16);
  beginData(out, u);
  return finishData(out, 0);
}

function getattrOf(u: bigint, nodeid: bigint): Buffer {
  const n = nodes.get(nodeid);
  return n ? struct(u, { type: 'attr_out', attr_valid: 1n, attr_valid_nsec: 0, attr: attr(n) }) : status(u, ENOENT);
}

async function main(): Promise<void> {
  const { native, reason } = loadNative();
  if (!native?.startReader || !native.stopReader) throw new Error(`the addon's reader is needed (${reason ?? 'rebuild it'})`);
  const abs = path.resolve(mountpoint as string);
  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  const r = await runProgram('mount', ['-i', '-t', 'fuse.floor', '-o', kernelOptions({ log: nullLogger }), 'fuse-floor', abs], [fd]);
  if (r.code !== 0) throw new Error(`mount failed: ${r.stderr.trim()}`);
  // Read only once mounted: before that a read of /dev/fuse fails (EPERM), which would end the server.
  const buf = Buffer.allocUnsafe((1 << 20) + 4096);
  let stopped = false;
  const reader = native.startReader(fd, buf, (n) => {
    if (n <= 0) {
      if (n !== -ENOENT && !stopped) {
        // ENODEV: unmounted (SIGTERM's umount); anything else is said.
        if (n !== -ENODEV) process.stderr.write(`fuse-responder: read of /dev/fuse failed: errno ${-n}\n`);
        stopped = true;
        native.stopReader?.(reader);
        fs.closeSync(fd);
        process.exit(0);
      }
      return;
    }
    const reply = answer(buf.subarray(0, n));
    if (reply === null) return;
    try {
      fs.writeSync(fd, reply);
    } catch {
      // The kernel gave up on the request (interrupted) or the mount is gone.
    }
  });
  const stop = (): void => {
    void runProgram('umount', [abs]).then(async (u) => {
      if (u.code !== 0) await runProgram('umount', ['-l', abs]);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('ready\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`fuse-responder: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
