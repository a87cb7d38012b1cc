// `humbridge 9p [options] VERB PATH...`: talk to any 9P server (humbridge,
// diod, QEMU's) from the shell, with the project's own client. For people:
// one line per problem on stderr naming the path, exit status 1 if any path
// failed, 2 for a usage mistake.

import fs from 'node:fs';
import os from 'node:os';
import { formatFlags, getBool, getInt, getString, parseArgs, UsageError, type FlagSpec } from '../cli/args.js';
import { modeString } from '../cli/mode-string.js';
import { stderrLogger } from '../../src/log.js';
import { S_IFDIR, S_IFMT } from '../../src/types.js';
import type { DialectName } from '../../ninep/codec/index.js';
import {
  Client,
  ClientError,
  connectAddress,
  mkdirPath,
  NinepError,
  parseAddress,
  readAll,
  readdirAll,
  removePath,
  renamePath,
  splitPath,
  statFid,
  walkPath,
  openFid,
  writeFile,
  type FileInfo,
} from '../../ninep/client/index.js';

export const NINEP_FLAGS: readonly FlagSpec[] = [
  { name: 'addr', short: 'a', kind: 'string', arg: 'tcp:HOST:PORT|unix:PATH', help: 'server address (default tcp:127.0.0.1:5640)' },
  { name: 'aname', kind: 'string', arg: 'NAME', help: 'export to attach (default: the server default, "")' },
  { name: 'version', kind: 'string', arg: '9p2000.L|9p2000.u|9p2000', help: 'protocol dialect (default 9p2000.L)' },
  { name: 'msize', kind: 'integer', arg: 'N', help: 'largest message to propose (default 1048576)' },
  { name: 'uname', kind: 'string', arg: 'NAME', help: 'user name to attach as (default: yours)' },
  { name: 'uid', kind: 'integer', arg: 'N', help: 'numeric uid to attach as, .u and .L (default: yours)' },
  { name: 'long', short: 'l', kind: 'boolean', help: 'ls: one line per entry with mode, owner, size, time' },
  { name: 'trace', kind: 'boolean', help: 'log every 9P message to stderr' },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help' },
];

export const NINEP_USAGE = `humbridge 9p — a 9P client

Usage:
  humbridge 9p [options] ls [-l] [PATH...]     list directories (or show files)
  humbridge 9p [options] stat PATH...          show attributes
  humbridge 9p [options] cat PATH...           write file contents to stdout
  humbridge 9p [options] put LOCAL|- PATH      write a local file (or stdin) to PATH
  humbridge 9p [options] mkdir PATH...         make directories
  humbridge 9p [options] rm PATH...            remove files or empty directories
  humbridge 9p [options] rename OLD NEW        rename (9P2000/.u: within one directory)

Options:
${formatFlags(NINEP_FLAGS)}
`;

const DIALECTS: Record<string, DialectName> = { '9p2000.l': '9P2000.L', '9p2000.u': '9P2000.u', '9p2000': '9P2000' };

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** Runs the command; returns the exit status. Usage mistakes throw UsageError. */
export async function ninepCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, NINEP_FLAGS);
  if (getBool(args, 'help')) {
    io.stdout.write(NINEP_USAGE);
    return 0;
  }
  const [verb, ...paths] = args.positionals;
  if (verb === undefined) throw new UsageError('9p needs a verb: ls, stat, cat, put, mkdir, rm or rename');
  checkArity(verb, paths);
  const versionText = getString(args, 'version') ?? '9p2000.L';
  const version = DIALECTS[versionText.toLowerCase()];
  if (version === undefined) throw new UsageError(`--version: "${versionText}" is not 9p2000.L, 9p2000.u or 9p2000`);
  let addr;
  try {
    addr = parseAddress(getString(args, 'addr') ?? 'tcp:127.0.0.1:5640');
  } catch (e) {
    throw new UsageError(`--addr: ${(e as Error).message.replace(/^usage: /, '')}`);
  }
  const trace = getBool(args, 'trace');
  let client: Client;
  try {
    client = await Client.connect(await connectAddress(addr), {
      msize: getInt(args, 'msize') ?? 1 << 20,
      version,
      logger: stderrLogger({ debug: trace }),
      trace,
    });
  } catch (e) {
    io.stderr.write(`humbridge 9p: ${describe(e)}\n`);
    return 1;
  }
  try {
    const uid = getInt(args, 'uid') ?? process.getuid?.() ?? 0;
    const uname = getString(args, 'uname') ?? (uid === 0 ? 'root' : os.userInfo().username);
    let root: number;
    try {
      root = (await client.attach({ uname, n_uname: uid, aname: getString(args, 'aname') ?? '' })).fid;
    } catch (e) {
      io.stderr.write(`humbridge 9p: attach: ${describe(e)}\n`);
      return 1;
    }
    return await runVerb(client, root, verb, paths, getBool(args, 'long'), io);
  } finally {
    await client.close();
  }
}

function checkArity(verb: string, paths: readonly string[]): void {
  switch (verb) {
    case 'ls':
      return;
    case 'stat':
    case 'cat':
    case 'mkdir':
    case 'rm':
      if (paths.length === 0) throw new UsageError(`${verb} needs at least one PATH`);
      return;
    case 'put':
    case 'rename':
      if (paths.length !== 2) throw new UsageError(`${verb} needs exactly two arguments`);
      return;
    default:
      throw new UsageError(`unknown 9p verb "${verb}"`);
  }
}

function describe(e: unknown): string {
  if (e instanceof NinepError) return e.ename + (e.code !== undefined ? ` (${e.code})` : '');
  if (e instanceof ClientError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Runs fn on each path; a failing path is reported and the rest go on. */
async function eachPath(paths: readonly string[], io: Io, fn: (p: string) => Promise<void>): Promise<number> {
  let status = 0;
  for (const p of paths) {
    try {
      await fn(p);
    } catch (e) {
      if (e instanceof ClientError && e.reason !== 'usage') throw e; // the connection is gone: stop
      io.stderr.write(`humbridge 9p: ${p}: ${describe(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function runVerb(c: Client, root: number, verb: string, paths: string[], long: boolean, io: Io): Promise<number> {
  switch (verb) {
    case 'ls':
      return eachPath(paths.length > 0 ? paths : ['/'], io, async (p) => {
        if (paths.length > 1) io.stdout.write(`${p}:\n`);
        await list(c, root, p, long, io.stdout);
      });
    case 'stat':
      return eachPath(paths, io, async (p) => {
        const fid = await walkPath(c, root, p);
        try {
          const info = await statFid(c, fid);
          io.stdout.write(statText(p, info));
        } finally {
          await c.clunk(fid);
        }
      });
    case 'cat':
      return eachPath(paths, io, async (p) => {
        const fid = await walkPath(c, root, p);
        try {
          const { iounit } = await openFid(c, fid, 'read');
          await readAll(c, fid, iounit, (chunk) => io.stdout.write(Buffer.from(chunk)));
        } finally {
          await c.clunk(fid);
        }
      });
    case 'put': {
      const [local, remote] = paths as [string, string];
      const data = local === '-' ? await readStream(io.stdin) : fs.readFileSync(local);
      return eachPath([remote], io, (p) => writeFile(c, root, p, data));
    }
    case 'mkdir':
      return eachPath(paths, io, (p) => mkdirPath(c, root, p));
    case 'rm':
      return eachPath(paths, io, (p) => removePath(c, root, p));
    case 'rename': {
      const [from, to] = paths as [string, string];
      return eachPath([from], io, () => renamePath(c, root, from, to));
    }
    default:
      throw new UsageError(`unknown 9p verb "${verb}"`);
  }
}

async function list(c: Client, root: number, p: string, long: boolean, out: NodeJS.WritableStream): Promise<void> {
  const fid = await walkPath(c, root, p);
  try {
    const self = await statFid(c, fid);
    if ((self.mode & S_IFMT) !== S_IFDIR) {
      out.write(long ? longLine(splitPath(p).pop() ?? '/', self) : `${p}\n`);
      return;
    }
    const names = (await readdirAll(c, fid))
      .map((e) => e.name)
      .filter((n) => !(n.equals(DOT) || n.equals(DOTDOT)))
      .sort(Buffer.compare);
    if (!long) {
      for (const n of names) out.write(Buffer.concat([n, NL]));
      return;
    }
    // Attributes of many entries at once: the walks and getattrs are pipelined.
    const BATCH = 64;
    for (let i = 0; i < names.length; i += BATCH) {
      const infos = await Promise.all(
        names.slice(i, i + BATCH).map(async (n) => {
          const r = await c.walk(fid, [n]);
          const child = r.fid as number;
          try {
            return await statFid(c, child);
          } finally {
            await c.clunk(child);
          }
        }),
      );
      for (const [j, info] of infos.entries()) out.write(longLine((names[i + j] as Buffer).toString('utf8'), info));
    }
  } finally {
    await c.clunk(fid);
  }
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');
const NL = Buffer.from('\n');

function time(sec: bigint): string {
  return new Date(Number(sec) * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

function longLine(name: string, i: FileInfo): string {
  const size = i.rdev ? `${i.rdev.major}, ${i.rdev.minor}` : String(i.size);
  const nlink = i.nlink !== undefined ? String(i.nlink) : '-';
  return `${modeString(i.mode)} ${nlink.padStart(3)} ${i.uid.padEnd(8)} ${i.gid.padEnd(8)} ${size.padStart(10)} ${time(i.mtimeSec)} ${name}\n`;
}

function statText(p: string, i: FileInfo): string {
  return [
    `  File: ${p}`,
    `  Mode: ${modeString(i.mode)} (${(i.mode & 0o7777).toString(8).padStart(4, '0')})  Links: ${i.nlink ?? '-'}`,
    `  Uid: ${i.uid}  Gid: ${i.gid}  Size: ${i.size}${i.rdev ? `  Device: ${i.rdev.major},${i.rdev.minor}` : ''}`,
    `  Modify: ${time(i.mtimeSec)} UTC  Qid: type 0x${i.qid.type.toString(16)} version ${i.qid.version} path ${i.qid.path}`,
    '',
  ].join('\n');
}

async function readStream(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of s) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
