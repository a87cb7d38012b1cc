// Shared by the humfsify tests: build trees from a small spec, take full
// snapshots of trees (Buffer names), list a humfs layout, run the real CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnNodeAsSync, type User } from '../helpers/as-user.js';
import { needFile, type Missing } from '../helpers/gate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (tests run from dist/test/tools). */
export const repoRoot = path.resolve(here, '../../..');
export const cliPath = path.join(repoRoot, 'dist/tools/humfsify.js');
export const fixtureDir = path.join(repoRoot, 'test/fixtures/humfs');
export const PERL_HUMFSIFY = '/usr/bin/humfsify';

/** Temp dirs made by a test file; removed by cleanup() (call it in test.after). */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(tag: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `humfsify-${tag}-`));
    this.dirs.push(d);
    return d;
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/tools/humfsify.js in a child process (as another user when `as` is given). */
export function runCli(args: readonly string[], cwd: string, as?: User): CliResult {
  const r =
    as === undefined
      ? spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8', timeout: 300_000 })
      : spawnNodeAsSync(as, 'dist/tools/humfsify.js', args, { cwd, timeout: 300_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command and fails loudly; returns stdout. */
export function sh(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600_000 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Why the Debian Perl humfsify cannot be compared with here, or undefined (a gate, test/helpers/gate.ts). */
export function perlHumfsifyMissing(): Missing {
  return needFile(PERL_HUMFSIFY, 'uml-utilities');
}

/**
 * Builds a tree under `root` from spec lines "type<TAB>path<TAB>mode<TAB>uid<TAB>gid<TAB>extra":
 *   d dir, f file (extra: contents), l symlink (extra: target; mode ignored),
 *   h hard link (extra: existing path; other fields ignored), p FIFO,
 *   c/b device (extra: "major minor"), s unix socket. `.` is root itself.
 *   Paths may hold \xNN escapes (any byte, newline included).
 */
export function buildTree(root: string, spec: string): void {
  fs.mkdirSync(root, { recursive: true });
  const modes: Array<[Buffer, number, boolean]> = [];
  for (const raw of spec.split('\n')) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const [type, rel, mode, uid, gid, extra] = raw.split('\t') as [string, string, string, string, string, string?];
    const p = rel === '.' ? Buffer.from(root) : Buffer.concat([Buffer.from(root + '/'), unescape(rel)]);
    switch (type) {
      case 'd':
        if (rel !== '.') fs.mkdirSync(p);
        break;
      case 'f':
        fs.writeFileSync(p, unescape(extra ?? '').toString('latin1'), 'latin1');
        break;
      case 'l':
        fs.symlinkSync(unescape(extra ?? ''), p);
        break;
      case 'h':
        fs.linkSync(Buffer.concat([Buffer.from(root + '/'), unescape(extra ?? '')]), p);
        continue;
      case 'p':
        mknodAt(p, ['p']);
        break;
      case 'c':
      case 'b':
        mknodAt(p, [type, ...(extra ?? '0 0').split(' ')]);
        break;
      case 's':
        makeSocket(p);
        break;
      default:
        throw new Error(`bad spec line ${raw}`);
    }
    fs.lchownSync(p, Number(uid), Number(gid));
    modes.push([p, parseInt(mode, 8), type === 'l']);
  }
  // Modes last: a 0500 directory would not stop root, but keep it simple and ordered.
  for (const [p, mode, isLink] of modes) if (!isLink) fs.chmodSync(p, mode);
}

/** Turns \xNN escapes of a spec path into bytes. */
export function unescape(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else out.push(...Buffer.from(s[i] ?? '', 'utf8'));
  }
  return Buffer.from(out);
}

/** mknod(1) at any byte path: made under an ASCII name in the same directory, then renamed. */
function mknodAt(p: Buffer, args: string[]): void {
  const dir = p.subarray(0, p.lastIndexOf(0x2f));
  const tmp = `${dir.toString('latin1')}/.mknod-${process.pid}`;
  sh('mknod', [Buffer.from(tmp, 'latin1').toString(), ...args]);
  fs.renameSync(Buffer.from(tmp, 'latin1'), p);
}

/** A unix socket node: bound by a child node process, renamed away before it closes (close unlinks). */
function makeSocket(p: Buffer): void {
  const dir = p.subarray(0, p.lastIndexOf(0x2f));
  const tmp = `${dir.toString('latin1')}/.sock-${process.pid}`;
  const code =
    "const net=require('net'),fs=require('fs');const s=net.createServer();" +
    "s.listen(process.argv[1],()=>{fs.renameSync(process.argv[1],process.argv[1]+'x');s.close(()=>fs.renameSync(process.argv[1]+'x',process.argv[1]));});";
  sh(process.execPath, ['-e', code, Buffer.from(tmp, 'latin1').toString()]);
  fs.renameSync(Buffer.from(tmp, 'latin1'), p);
}

export interface SnapEntry {
  path: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  rdev: string;
  size: string;
  nlink: number;
  /** The first path (in sorted order) of the same inode, for hard-link grouping. */
  inode: string;
  target?: string;
  sha256?: string;
  times?: string;
}

const TYPE_CHAR: Record<number, string> = {
  0o140000: 's',
  0o120000: 'l',
  0o100000: 'f',
  0o060000: 'b',
  0o040000: 'd',
  0o020000: 'c',
  0o010000: 'p',
};

/**
 * A full lstat of every entry under `root` (root included as "."), sorted by
 * path: type, mode, owner, rdev, size, nlink, hard-link grouping, symlink
 * target, content hash. `withTimes` adds mtime and ctime (to prove that
 * nothing at all changed). Names are shown as \xNN-escaped latin1.
 */
export function snapshot(root: string, withTimes = false): SnapEntry[] {
  const found: Array<{ rel: Buffer; abs: Buffer }> = [];
  const visit = (abs: Buffer, rel: Buffer): void => {
    found.push({ rel, abs });
    if (!fs.lstatSync(abs).isDirectory()) return;
    const names = fs.readdirSync(abs, { encoding: 'buffer' }) as unknown as Buffer[];
    for (const name of names) {
      visit(Buffer.concat([abs, Buffer.from('/'), name]), rel.length === 0 ? name : Buffer.concat([rel, Buffer.from('/'), name]));
    }
  };
  visit(Buffer.from(root), Buffer.alloc(0));
  const shown = (b: Buffer): string => (b.length === 0 ? '.' : escapeBytes(b));
  found.sort((a, b) => Buffer.compare(a.rel, b.rel));
  const firstOfInode = new Map<string, string>();
  return found.map(({ rel, abs }) => {
    const st = fs.lstatSync(abs, { bigint: true });
    const key = `${st.dev}:${st.ino}`;
    if (!firstOfInode.has(key)) firstOfInode.set(key, shown(rel));
    const type = TYPE_CHAR[Number(st.mode & 0o170000n)] ?? '?';
    const e: SnapEntry = {
      path: shown(rel),
      type,
      mode: (st.mode & 0o7777n).toString(8),
      uid: Number(st.uid),
      gid: Number(st.gid),
      rdev: String(st.rdev),
      size: type === 'd' ? '-' : String(st.size),
      nlink: type === 'd' ? 0 : Number(st.nlink),
      inode: firstOfInode.get(key) ?? '',
    };
    if (type === 'l') e.target = escapeBytes(fs.readlinkSync(abs, { encoding: 'buffer' }) as unknown as Buffer);
    if (type === 'f') e.sha256 = crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    if (withTimes) e.times = `${st.mtimeNs} ${st.ctimeNs}`;
    return e;
  });
}

export function escapeBytes(b: Buffer): string {
  let s = '';
  for (const byte of b) s += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return s;
}

/**
 * The metadata of a humfs export as text, one line per entry of
 * file_metadata/ and dir_metadata/ (sorted): path, kind, mode, owner, nlink,
 * the first name of its inode (hard-link grouping), and the contents
 * (newline shown as \n) for files.
 */
export function layoutListing(exportDir: string): string {
  const lines: string[] = [];
  for (const top of ['dir_metadata', 'file_metadata']) {
    for (const e of snapshot(path.join(exportDir, top))) {
      const rel = e.path === '.' ? top : `${top}/${e.path}`;
      const abs = Buffer.concat([Buffer.from(exportDir + '/' + top + '/'), unescape(e.path === '.' ? '' : e.path)]);
      const content = e.type === 'f' ? fs.readFileSync(abs, 'latin1').replace(/\n/g, '\\n') : '';
      lines.push([rel, e.type, e.mode, `${e.uid}:${e.gid}`, String(e.nlink), e.inode, content].join('\t'));
    }
  }
  return lines.join('\n') + '\n';
}

/** `du -sk data` * 1024, as the original computes `used`. */
export function duUsed(exportDir: string): bigint {
  const out = sh('du', ['-sk', 'data'], exportDir);
  return BigInt(out.split('\t')[0] ?? 'x') * 1024n;
}
