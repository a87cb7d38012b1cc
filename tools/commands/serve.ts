// `humbridge serve DIR`: serve DIR (and any --export NAME=DIR) over 9P on
// one listener (tcp, unix socket, or a single connection on stdio / an
// inherited descriptor pair). Prints a ready line with the mount command a
// guest should use; on SIGINT/SIGTERM stops accepting, answers what is in
// flight, closes everything and returns 0.

import path from 'node:path';
import type { Duplex } from 'node:stream';
import { Server, type Session } from '../../ninep/server/index.js';
import type { ServerOptions } from '../../ninep/server/options.js';
import {
  defaultAllowUids,
  fdConnection,
  isLoopbackHost,
  listenTcp,
  listenUnix,
  DEFAULT_TCP_HOST,
  DEFAULT_TCP_PORT,
  type Listener,
  type PeerDecision,
  type PeerPolicy,
} from '../../ninep/transport/index.js';
import { openExport, type Vfs } from '../../src/index.js';
import type { ExportOptions } from '../../src/options.js';
import type { Logger } from '../../src/log.js';
import { getBool, getInt, getList, getString, parseInteger, UsageError, type FlagSpec, type ParsedArgs } from '../cli/args.js';
import { processFdLimit, withFdBudget } from '../cli/fd-budget.js';

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'listen', kind: 'string', arg: 'tcp:HOST:PORT|unix:PATH|stdio|fd:R,W', help: `where to serve (default tcp:${DEFAULT_TCP_HOST}:${DEFAULT_TCP_PORT})` },
  { name: 'export', kind: 'list', arg: 'NAME=DIR', help: 'serve DIR too, to attaches with aname NAME (repeatable)' },
  { name: 'msize', kind: 'integer', arg: 'N', help: 'largest 9P message size granted (default 1048576)' },
  { name: 'max-locks', kind: 'integer', arg: 'N', help: 'byte-range lock ranges one connection may hold in one export; more fail with ENOLCK (default 16384)' },
  { name: 'allow-uid', kind: 'list', arg: 'UID', help: 'tcp: also accept local processes of this uid (repeatable; default: the serving uid and root only)' },
  { name: 'trust-network', kind: 'boolean', help: 'allow a non-loopback tcp address: anyone who can reach it can act as any user, root included' },
  { name: 'squash', kind: 'string', arg: 'none|root|all', help: 'map client uid/gid 0 (root) or every id (all) to the anonymous ids (default none)' },
  { name: 'anon-uid', kind: 'integer', arg: 'N', help: 'uid that squashed identities become (default 65534)' },
  { name: 'anon-gid', kind: 'integer', arg: 'N', help: 'gid that squashed identities become (default 65534)' },
  { name: 'max-connections', kind: 'integer', arg: 'N', help: 'connections served at once; more are closed at once, logged (default 256)' },
  { name: 'max-open-files', kind: 'integer', arg: 'N', help: 'open files and directories per connection, EMFILE past it (default 4096, at most the total)' },
  { name: 'max-open-files-total', kind: 'integer', arg: 'N', help: "open files of all connections, ENFILE past it (default: the process's descriptor limit less the exports' cached descriptors, one per connection and 64)" },
  { name: 'max-xattr-bytes', kind: 'integer', arg: 'N', help: 'bytes of xattr values one connection holds between Txattrcreate/Txattrwalk and clunk, ENOMEM past it (default 1048576)' },
  { name: 'read-ahead-bytes', kind: 'integer', arg: 'N', help: 'bytes of read-ahead buffers of the whole server, oldest dropped first; 0: no read-ahead (default 67108864)' },
  { name: 'max-queued-bytes', kind: 'integer', arg: 'N', help: 'reply bytes queued for all sockets; above it connections with replies queued stop reading (default 67108864)' },
  { name: 'frame-timeout', kind: 'integer', arg: 'MS', help: 'close a connection holding part of a frame that sends nothing more for MS ms; 0: never (default 30000)' },
];

export type ListenSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'fd'; read: number; write: number };

export interface ServeOptions {
  /** The default export (aname "" and its own absolute path) first, then named ones. */
  exports: { name: string; options: ExportOptions }[];
  listen: ListenSpec;
  server: Partial<ServerOptions>;
  /** tcp: who may connect (default: local processes of the serving uid and root). */
  peers?: Partial<PeerPolicy>;
  logger: Logger;
}

export function parseListen(text: string | undefined): ListenSpec {
  if (text === undefined) return { kind: 'tcp', host: DEFAULT_TCP_HOST, port: DEFAULT_TCP_PORT };
  if (text === 'stdio') return { kind: 'fd', read: 0, write: 1 };
  let m = /^fd:(\d+),(\d+)$/.exec(text);
  if (m !== null) return { kind: 'fd', read: Number(m[1]), write: Number(m[2]) };
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: path.resolve(text.slice(5)) };
  m = /^tcp:(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^tcp:()()(\d+)$/.exec(text);
  if (m !== null) {
    const port = Number(m[3]);
    if (port > 65535) throw new UsageError(`--listen: port ${port} is out of range`);
    return { kind: 'tcp', host: m[1] || m[2] || DEFAULT_TCP_HOST, port };
  }
  throw new UsageError(`--listen wants tcp:HOST:PORT, unix:PATH, stdio or fd:R,W, not "${text}"`);
}

/** Server options from the serve flags (plus --trace). */
export function serverOptionsFromArgs(args: ParsedArgs, trace: boolean, logger: Logger): Partial<ServerOptions> {
  const o: Partial<ServerOptions> = { logger, trace };
  const msize = getInt(args, 'msize');
  if (msize !== undefined) o.maxMsize = msize;
  const squash = getString(args, 'squash');
  if (squash !== undefined) {
    if (squash !== 'none' && squash !== 'root' && squash !== 'all') throw new UsageError(`--squash wants none, root or all, not "${squash}"`);
    o.squash = squash;
  }
  const ints: [string, 'anonUid' | 'anonGid' | 'maxConnections' | 'maxOpenFiles' | 'maxOpenFilesTotal' | 'maxXattrBytes' | 'readAheadBytes' | 'maxQueuedBytes' | 'frameTimeout' | 'maxLocks'][] = [
    ['anon-uid', 'anonUid'],
    ['anon-gid', 'anonGid'],
    ['max-connections', 'maxConnections'],
    ['max-open-files', 'maxOpenFiles'],
    ['max-open-files-total', 'maxOpenFilesTotal'],
    ['max-xattr-bytes', 'maxXattrBytes'],
    ['read-ahead-bytes', 'readAheadBytes'],
    ['max-queued-bytes', 'maxQueuedBytes'],
    ['frame-timeout', 'frameTimeout'],
    ['max-locks', 'maxLocks'],
  ];
  for (const [flag, field] of ints) {
    const v = getInt(args, flag);
    if (v !== undefined) o[field] = v;
  }
  return o;
}

/**
 * Who may connect, from --allow-uid and --trust-network. Both are about tcp:
 * a unix socket's boundary is its file mode (0600: its owner and root), and
 * Node cannot read a unix peer's credentials, so no uid list can apply there.
 */
export function peerPolicyFromArgs(args: ParsedArgs, listen: ListenSpec): Partial<PeerPolicy> {
  const uids = getList(args, 'allow-uid').map((text) => {
    if (!/^\d+$/.test(text) || parseInteger(text) > 0xfffffffe) throw new UsageError(`--allow-uid wants a numeric uid, not "${text}"`);
    return parseInteger(text);
  });
  const trustNetwork = getBool(args, 'trust-network');
  if (listen.kind !== 'tcp') {
    if (uids.length > 0) {
      throw new UsageError(
        listen.kind === 'unix'
          ? "--allow-uid applies to tcp only: a unix socket (mode 0600) admits its owner and root; humbridge cannot read a unix peer's uid, so widen access with the socket file's group and mode instead"
          : '--allow-uid applies to tcp only: stdio and fd:R,W serve whoever handed over the descriptors',
      );
    }
    if (trustNetwork) throw new UsageError('--trust-network applies to tcp listeners only');
    return {};
  }
  if (!isLoopbackHost(listen.host) && !trustNetwork) {
    throw new UsageError(
      `--listen tcp:${listen.host}: not a loopback address. 9P has no usable authentication, so anyone who can reach it could act as any user on the export, root included. Listen on 127.0.0.1, or pass --trust-network if every host that can reach it is trusted`,
    );
  }
  const p: Partial<PeerPolicy> = { trustNetwork };
  if (uids.length > 0) p.allowUids = [...new Set([...defaultAllowUids(), ...uids])];
  return p;
}

/** NAME=DIR pairs of --export. */
export function namedExports(args: ParsedArgs): { name: string; dir: string }[] {
  return getList(args, 'export').map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--export wants NAME=DIR, not "${spec}"`);
    return { name: spec.slice(0, eq), dir: spec.slice(eq + 1) };
  });
}

function mountHint(listen: ListenSpec, msize: number, listener: Listener | undefined): string {
  const opts = `version=9p2000.L,msize=${msize}`;
  switch (listen.kind) {
    case 'tcp': {
      const port = listener !== undefined && 'port' in listener ? (listener as { port: number }).port : listen.port;
      const loop = listen.host === '127.0.0.1' || listen.host === 'localhost' || listen.host === '::1';
      const guestHost = loop ? '10.0.2.2' : listen.host === '0.0.0.0' || listen.host === '::' ? 'HOST-ADDRESS' : listen.host;
      const note = loop
        ? ` (10.0.2.2 is this host as a QEMU user-network guest sees it; the server listens on ${listen.host} only)`
        : '';
      return `mount -t 9p -o trans=tcp,port=${port},${opts} ${guestHost} /mnt${note}`;
    }
    case 'unix':
      return `mount -t 9p -o trans=unix,${opts} ${listen.path} /mnt (QEMU: -chardev socket,path=${listen.path},id=hb9p and a virtserialport; the guest then mounts with trans=fd)`;
    case 'fd':
      return `mount -t 9p -o trans=fd,rfdno=R,wfdno=W,${opts} none /mnt (R and W: the guest's descriptors of this channel)`;
  }
}

/** Refusals always (a refused client sees only a closed connection); accepts with --trace. */
function logPeer(logger: Logger, d: PeerDecision): void {
  const who = `tcp connection from ${d.address.includes(':') ? `[${d.address}]` : d.address}:${d.port}`;
  if (d.accept) logger.debug(`accepted ${who}: ${d.reason}`);
  else logger.warn(`refused ${who}: ${d.reason}`);
}

/** Serves until a signal (or, for stdio/fd, until the one connection closes). Returns the exit status. */
export async function serveCommand(o: ServeOptions): Promise<number> {
  const vfses: Vfs[] = [];
  const exportsByName = new Map<string, Vfs>();
  const aliases = new Map<string, string>();
  try {
    for (const e of o.exports) {
      const vfs = await openExport(e.options);
      vfses.push(vfs);
      exportsByName.set(e.name, vfs);
    }
    const main = o.exports[0];
    if (main !== undefined && !exportsByName.has(path.resolve(main.options.path))) aliases.set(path.resolve(main.options.path), main.name);
    const options = withFdBudget(o.server, o.exports.map((e) => e.options), processFdLimit(), (m) => o.logger.warn(m));
    const server = new Server({ exports: exportsByName, defaultExport: main?.name ?? '', aliases, options });
    const msize = server.options.maxMsize;
    let listener: Listener | undefined;
    let single: Promise<void> | undefined;
    if (o.listen.kind === 'tcp') {
      const onPeer = (d: PeerDecision): void => logPeer(o.logger, d);
      listener = await listenTcp({ host: o.listen.host, port: o.listen.port, peers: o.peers ?? {}, onPeer }, (s) => server.serve(s));
    } else if (o.listen.kind === 'unix') listener = await listenUnix(o.listen.path, (s) => server.serve(s));
    else {
      // One reusable read buffer for the connection: bytes go straight to the session.
      let session: Session | undefined;
      const conn: Duplex = fdConnection({ read: o.listen.read, write: o.listen.write }, { onread: (chunk) => session?.push(chunk) });
      session = server.serve(conn);
      single = session.closed;
    }
    const where = listener?.description ?? (o.listen.kind === 'fd' ? `fd ${o.listen.read},${o.listen.write}` : '');
    const names = o.exports.map((e) => (e.name === '' ? e.options.path : `${e.name}=${e.options.path}`)).join(', ');
    const trusted = o.listen.kind === 'tcp' && !isLoopbackHost(o.listen.host) ? `; WARNING: --trust-network: anyone who can reach ${where.slice(4)} can act as any user, root included` : '';
    process.stderr.write(`humbridge: ready: serving ${names} on ${where} (9P2000.L, 9P2000.u, 9P2000; access=${o.exports[0]?.options.access ?? 'client'})${trusted}\n`);
    process.stderr.write(`humbridge: guest mount: ${mountHint(o.listen, msize, listener)}\n`);
    // once: a second signal gets the default action and ends the process at
    // once, for a user who does not want to wait for the requests in flight.
    const signalled = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const why = await (single === undefined ? signalled : Promise.race([signalled, single.then(() => 'connection closed')]));
    o.logger.info(`stopping (${why})`);
    await listener?.close();
    await server.close();
    return 0;
  } finally {
    for (const v of vfses) await v.close();
  }
}
