// A child process for the FUSE mount tests: `node driver.js SCRIPT`, with
// SCRIPT the JSON {dir, ops} (or '-': read from stdin). It changes into dir itself (it is started in
// /), runs every op with node:fs and prints one JSON result per op: {ok:
// value} or {err: 'ENOENT'}. An error does not stop the script. Paths and
// data are latin-1 strings, one char per byte, so any name round-trips.
// Descriptors are named: {op:'open', fd:'a', p:'f', flags:'w+'} then
// {op:'write', fd:'a', ...}.

import fs from 'node:fs';

type Op = Record<string, string | number | boolean | undefined> & { op: string };

const B = (s: string): Buffer => Buffer.from(s, 'latin1');
const fds = new Map<string, number>();

function str(op: Op, key: string): string {
  const v = op[key];
  if (typeof v !== 'string') throw new Error(`${op.op}: ${key} must be a string`);
  return v;
}
function num(op: Op, key: string, dflt?: number): number {
  const v = op[key] ?? dflt;
  if (typeof v !== 'number') throw new Error(`${op.op}: ${key} must be a number`);
  return v;
}
const fd = (op: Op): number => {
  const n = fds.get(str(op, 'fd'));
  if (n === undefined) throw new Error(`no descriptor ${String(op['fd'])}`);
  return n;
};
const p = (op: Op, key = 'p'): Buffer => B(str(op, key));

function statOut(s: fs.BigIntStats): Record<string, string | number> {
  return {
    mode: Number(s.mode),
    uid: Number(s.uid),
    gid: Number(s.gid),
    size: s.size.toString(),
    nlink: Number(s.nlink),
    ino: s.ino.toString(),
    blocks: s.blocks.toString(),
    rdev: s.rdev.toString(),
    atimeNs: s.atimeNs.toString(),
    mtimeNs: s.mtimeNs.toString(),
  };
}

function one(op: Op): unknown {
  switch (op.op) {
    case 'open': {
      const n = fs.openSync(p(op), str(op, 'flags'), typeof op['mode'] === 'number' ? op['mode'] : 0o644);
      fds.set(str(op, 'fd'), n);
      return null;
    }
    case 'close':
      fs.closeSync(fd(op));
      fds.delete(str(op, 'fd'));
      return null;
    case 'write':
      return fs.writeSync(fd(op), B(str(op, 'data')), 0, undefined, typeof op['pos'] === 'number' ? op['pos'] : null);
    case 'read': {
      const buf = Buffer.alloc(num(op, 'len'));
      const n = fs.readSync(fd(op), buf, 0, buf.length, typeof op['pos'] === 'number' ? op['pos'] : null);
      return buf.subarray(0, n).toString('latin1');
    }
    case 'writeFile':
      fs.writeFileSync(p(op), B(str(op, 'data')), { flag: typeof op['flag'] === 'string' ? op['flag'] : 'w' });
      return null;
    case 'readFile':
      return fs.readFileSync(p(op)).toString('latin1');
    case 'stat':
      return statOut(fs.statSync(p(op), { bigint: true }));
    case 'lstat':
      return statOut(fs.lstatSync(p(op), { bigint: true }));
    case 'fstat':
      return statOut(fs.fstatSync(fd(op), { bigint: true }));
    case 'truncate':
      fs.truncateSync(p(op), num(op, 'len'));
      return null;
    case 'ftruncate':
      fs.ftruncateSync(fd(op), num(op, 'len'));
      return null;
    case 'fsync':
      fs.fsyncSync(fd(op));
      return null;
    case 'chmod':
      fs.chmodSync(p(op), num(op, 'mode'));
      return null;
    case 'chown':
      fs.chownSync(p(op), num(op, 'uid'), num(op, 'gid'));
      return null;
    case 'lchown':
      fs.lchownSync(p(op), num(op, 'uid'), num(op, 'gid'));
      return null;
    case 'link':
      fs.linkSync(p(op, 'from'), p(op, 'to'));
      return null;
    case 'symlink':
      fs.symlinkSync(p(op, 'target'), p(op));
      return null;
    case 'readlink':
      return fs.readlinkSync(p(op), { encoding: 'buffer' }).toString('latin1');
    case 'rename':
      fs.renameSync(p(op, 'from'), p(op, 'to'));
      return null;
    case 'mkdir':
      fs.mkdirSync(p(op), typeof op['mode'] === 'number' ? op['mode'] : 0o755);
      return null;
    case 'rmdir':
      fs.rmdirSync(p(op));
      return null;
    case 'unlink':
      fs.unlinkSync(p(op));
      return null;
    case 'readdir':
      return fs
        .readdirSync(p(op), { encoding: 'buffer' })
        .map((n) => n.toString('latin1'))
        .sort();
    case 'access':
      fs.accessSync(p(op), num(op, 'mode'));
      return null;
    case 'exists':
      return fs.existsSync(p(op));
    case 'fill': {
      // Writes `count` blocks of `len` bytes of `byte` at `pos` (data too big for the script).
      const block = Buffer.alloc(num(op, 'len'), num(op, 'byte'));
      const pos = num(op, 'pos');
      for (let i = 0; i < num(op, 'count', 1); i++) fs.writeSync(fd(op), block, 0, block.length, pos + i * block.length);
      return null;
    }
    case 'umask':
      return process.umask(num(op, 'mask'));
    default:
      throw new Error(`unknown op ${op.op}`);
  }
}

// SCRIPT '-' reads it from stdin (a long script would not fit in an argument).
const arg = process.argv[2] ?? '-';
const script = JSON.parse(arg === '-' ? fs.readFileSync(0, 'utf8') : arg) as { dir: string; ops: Op[] };
process.chdir(script.dir);
const results = script.ops.map((op) => {
  try {
    return { ok: one(op) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { err: code };
    throw e;
  }
});
process.stdout.write(JSON.stringify(results));
