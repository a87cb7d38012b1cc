// The 9P servers a guest can mount: diod (Debian's C server, the reference)
// and humbridge itself. Each is started on a directory and listens on TCP
// (127.0.0.1, a free port), a unix socket, or, for `stdio`, is started once
// per guest boot with its stdin/stdout wired to QEMU's virtio-serial chardev.
// Adding a server is one entry in SERVERS.
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { asUserEnv, asUserMissing, readablePath } from '../helpers/as-user.js';
import { firstMissing, needProgram } from '../helpers/gate.js';
import { repoRoot } from './paths.js';
import { GroupProcess, onPath } from './proc.js';

export type ServerKind = 'diod' | 'humbridge';
export type Listen = 'tcp' | 'unix' | 'stdio';
export type Dialect = '9p2000.L' | '9p2000.u' | '9p2000';

type Endpoint = { tcp: string } | { unix: string } | { stdio: true };

interface ServerSpec {
  dialects: readonly Dialect[];
  /** Why this server cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /** The aname a mount must pass to reach `dir`. */
  aname(dir: string): string | undefined;
  /**
   * `readable`: the server runs as another user, from the world-readable copy of the checkout (test/helpers/as-user.ts).
   * `cow`: serve `dir` as the read-only base under this copy-on-write layer.
   */
  argv(dir: string, at: Endpoint, readable: boolean, cow?: { layer: string }): string[];
  /** Whether `args` may add server options (diod's come from its config). */
  takesArgs: boolean;
}

const humbridgeCli = (readable = false): string =>
  readable ? readablePath('dist/tools/humbridge.js') : path.join(repoRoot(), 'dist', 'tools', 'humbridge.js');

const SERVERS: Record<ServerKind, ServerSpec> = {
  diod: {
    dialects: ['9p2000.L'],
    unavailable: async () => ((await onPath('diod')) ? undefined : 'diod is not installed (apt-get install diod)'),
    // diod serves only named exports and picks one by aname.
    aname: (dir) => dir,
    argv: (dir, at) => [
      'diod',
      '--foreground',
      '--no-auth',
      // Not --no-userdb: with it diod refuses the Linux client's first
      // attach, which names the user "nobody" without a numeric uid. So
      // guest uids must exist in the host's passwd for diod.
      '--config-file', '/dev/null',
      '--logdest', 'stderr',
      '--export', dir,
      ...('tcp' in at ? ['--listen', at.tcp] : 'unix' in at ? ['--listen', at.unix] : ['--rfdno', '0', '--wfdno', '1']),
    ],
    takesArgs: false,
  },
  humbridge: {
    dialects: ['9p2000.L', '9p2000.u', '9p2000'],
    unavailable: async () => (existsSync(humbridgeCli()) ? undefined : `${humbridgeCli()} is not built`),
    aname: () => undefined,
    argv: (dir, at, readable, cow) => [
      process.execPath,
      humbridgeCli(readable),
      'serve',
      ...(cow ? ['--base', dir, '--cow', cow.layer] : [dir]),
      '--listen',
      'tcp' in at ? `tcp:${at.tcp}` : 'unix' in at ? `unix:${at.unix}` : 'stdio',
    ],
    takesArgs: true,
  },
};

export function serverDialects(kind: ServerKind): readonly Dialect[] {
  return SERVERS[kind].dialects;
}

export function serverUnavailable(kind: ServerKind): Promise<string | undefined> {
  return SERVERS[kind].unavailable();
}

export interface NinepServer {
  readonly kind: ServerKind;
  readonly listen: Listen;
  readonly dir: string;
  readonly dialects: readonly Dialect[];
  /** The aname mounts use unless told otherwise. */
  readonly aname: string | undefined;
  readonly port?: number;
  readonly socketPath?: string;
  /** stdio only: starts one server process whose stdin/stdout carry a single 9P connection. */
  spawnStdio(): GroupProcess;
  /** Everything the server wrote to stderr so far. */
  log(): Promise<string>;
  /** Stops every process this server started and removes its temporary files. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it; we release it). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

function canConnect(opts: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(opts);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls until the server accepts a connection; fails if it exits or takes over `ms`. */
async function waitListening(proc: GroupProcess, opts: net.NetConnectOpts, ms: number, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!proc.running) throw new Error(`server exited before listening:\n${await log()}`);
    if (await canConnect(opts)) return;
    if (Date.now() > deadline) throw new Error(`server not listening after ${ms} ms:\n${await log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function openLog(file: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const s = createWriteStream(file);
    s.once('open', () => resolve(s));
    s.once('error', reject);
  });
}

export interface ServerOptions {
  listen?: Listen;
  /** More server options after the usual ones (humbridge: `--humfs`, `--access user`...). */
  args?: readonly string[];
  /**
   * Runs the server as this unprivileged host user (through setpriv, with
   * no supplementary groups). `dir` and every parent must be usable by it.
   */
  runAs?: { uid: number; gid: number };
  /** humbridge only: `dir` is the base, served through this layer (`serve --base DIR --cow LAYER`). */
  cow?: { layer: string };
}

/** The command line that starts `argv` as `runAs` with no privileges left. */
function unprivileged(argv: string[], runAs: { uid: number; gid: number }): string[] {
  return ['setpriv', `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', ...argv];
}

/** Why a server cannot run as another user here, or undefined when it can. */
export async function runAsUnavailable(): Promise<string | undefined> {
  return firstMissing(asUserMissing(), needProgram('setpriv', 'util-linux'));
}

/**
 * Starts `kind` serving `dir`. For diod every parent of `dir` must be
 * searchable by others: the Linux client's first attach is as "nobody".
 */
export async function startServer(kind: ServerKind, dir: string, opts: ServerOptions = {}): Promise<NinepServer> {
  const spec = SERVERS[kind];
  const why = await spec.unavailable();
  if (why) throw new Error(why);
  if ((opts.args?.length || opts.cow) && !spec.takesArgs) throw new Error(`${kind} takes no extra server options`);
  const listen = opts.listen ?? 'tcp';
  const tmp = await mkdtemp(path.join(os.tmpdir(), `hb-${kind}-`));
  // The unix socket is made in tmp: the server's user must be able to write there.
  if (opts.runAs) await chown(tmp, opts.runAs.uid, opts.runAs.gid);
  const logFile = path.join(tmp, 'server.log');
  const logStream = await openLog(logFile);
  const procs: GroupProcess[] = [];
  const log = () => readFile(logFile, 'utf8').catch(() => '');
  const start = (at: Endpoint, stdio: 'pipe' | 'ignore'): GroupProcess => {
    let argv = [...spec.argv(dir, at, opts.runAs !== undefined, opts.cow), ...(opts.args ?? [])];
    let env: NodeJS.ProcessEnv | undefined;
    if (opts.runAs) {
      // Its coverage, under c8, goes where that user may write (as-user.ts hands it on).
      argv = unprivileged(argv, opts.runAs);
      env = asUserEnv();
    }
    const [cmd, ...args] = argv;
    const p = new GroupProcess(cmd as string, args, { stdio: [stdio, stdio, logStream], ...(env ? { env } : {}) });
    procs.push(p);
    return p;
  };
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    logStream.end();
    await rm(tmp, { recursive: true, force: true });
  };

  let port: number | undefined;
  let socketPath: string | undefined;
  try {
    if (listen === 'tcp') {
      port = await freePort();
      const p = start({ tcp: `127.0.0.1:${port}` }, 'ignore');
      await waitListening(p, { host: '127.0.0.1', port }, 10_000, log);
    } else if (listen === 'unix') {
      socketPath = path.join(tmp, '9p.sock');
      const p = start({ unix: socketPath }, 'ignore');
      await waitListening(p, { path: socketPath }, 10_000, log);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    kind,
    listen,
    dir,
    dialects: spec.dialects,
    aname: spec.aname(dir),
    ...(port !== undefined ? { port } : {}),
    ...(socketPath !== undefined ? { socketPath } : {}),
    spawnStdio: () => start({ stdio: true }, 'pipe'),
    log,
    stop,
  };
}
