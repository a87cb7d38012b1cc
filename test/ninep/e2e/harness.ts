// End-to-end harness: the real Server over a real socket (TCP on loopback,
// or a unix socket), real exports opened on temp directories (in hostfs or
// humfs mode), and the 9P client. Everything it starts is stopped by stop(),
// whatever happened.

import net from 'node:net';
import path from 'node:path';
import type { Test } from 'uvu';
import { openExport, type ExportOptions, type Vfs } from '../../../src/index.js';
import { Server, type ServerOptions } from '../../../ninep/server/index.js';
import { listenTcp, listenUnix, type Listener } from '../../../ninep/transport/index.js';
import { FrameReader, type DialectName } from '../../../ninep/index.js';
import { Client, connectAddress, type Address, type ClientOptions } from '../../../ninep/client/index.js';
import { tmpExport, type TmpExport } from '../../helpers/tmp-export.js';
import { makeExportFolder, MODES, type ExportMode } from './export-folder.js';

export { MODES, type ExportMode } from './export-folder.js';

export interface Served {
  mode: ExportMode;
  /** What the client sees of the default export on the host: the served directory (hostfs) or its data/ (humfs). */
  dir: string;
  /** The default export's folder: `dir` itself (hostfs), or the folder holding superblock, data/ and the metadata trees (humfs). */
  exportDir: string;
  /** humfs: the superblock's total in bytes; null in hostfs mode. */
  total: bigint | null;
  /** What the client sees of each named export (aname → dir), as `dir`. */
  dirs: Map<string, string>;
  /** Export folders of the named exports (aname → folder), as `exportDir`. */
  exportDirs: Map<string, string>;
  tmp: TmpExport;
  /** The default export's Vfs, as served (for its accounting in tests). */
  vfs: Vfs;
  server: Server;
  addr: Address;
  /** A connected client, version negotiated; closed by stop(). */
  client(version?: DialectName, opts?: ClientOptions): Promise<Client>;
  /** A client already attached as root (uid 0) to the default export. */
  attached(version?: DialectName, opts?: ClientOptions & { aname?: string }): Promise<{ c: Client; root: number }>;
  /** A plain socket to the server, for raw frames. */
  raw(): Promise<RawConn>;
  /** The server's ends of the open connections. */
  serverSockets(): net.Socket[];
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** How every export is opened (hostfs unless said). */
  mode?: ExportMode;
  /** humfs: the superblock's total (1 TiB unless said). */
  total?: bigint;
  /** Extra named exports: aname → subdirectory name created under the temp base. */
  exports?: string[];
  server?: Partial<ServerOptions>;
  unix?: boolean;
  readonly?: boolean;
  /** The exports' access model (ExportOptions.access; default client). */
  access?: 'client' | 'user';
  /** More export options for every export (allowSetuid, allowDevices, ...). */
  exportOptions?: Partial<ExportOptions>;
}

const TIB = 1n << 40n;

export async function serve(opts: ServeOptions = {}): Promise<Served> {
  const tmp = tmpExport('humbridge-e2e-');
  const vfss: Vfs[] = [];
  const closers: (() => Promise<void>)[] = [];
  const sockets = new Set<net.Socket>();
  let listener: Listener | undefined;
  let server: Server | undefined;
  const stop = async (): Promise<void> => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    await listener?.close();
    await server?.close();
    for (const s of sockets) s.destroy();
    for (const v of vfss) await v.close().catch(() => undefined);
    tmp.cleanup();
  };
  try {
    const mode = opts.mode ?? 'hostfs';
    const total = opts.total ?? TIB;
    const dirs = new Map<string, string>();
    const exportDirs = new Map<string, string>();
    const exports = new Map<string, Vfs>();
    const open = async (name: string, folder: string, readonly: boolean): Promise<void> => {
      const dataDir = makeExportFolder(folder, mode, total);
      // The server's logger, if a test gave one, hears the exports too.
      const logger = opts.server?.logger;
      const vfs = await openExport({ ...opts.exportOptions, path: folder, mode, readonly, access: opts.access ?? 'client', ...(logger === undefined ? {} : { logger }) });
      vfss.push(vfs);
      exports.set(name, vfs);
      dirs.set(name, dataDir);
      exportDirs.set(name, folder);
    };
    await open('main', tmp.dir, opts.readonly ?? false);
    for (const name of opts.exports ?? []) await open(name, path.join(tmp.outside, name), false);
    const srv = new Server({ exports, defaultExport: 'main', options: opts.server ?? {} });
    server = srv;
    const onConn = (sock: net.Socket): void => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
      srv.serve(sock);
    };
    let addr: Address;
    if (opts.unix) {
      const p = path.join(path.dirname(tmp.dir), '9p.sock');
      listener = await listenUnix(p, onConn);
      addr = { kind: 'unix', path: p };
    } else {
      const l = await listenTcp({ host: '127.0.0.1', port: 0 }, onConn);
      listener = l;
      addr = { kind: 'tcp', host: l.host, port: l.port };
    }
    const client = async (version: DialectName = '9P2000.L', copts: ClientOptions = {}): Promise<Client> => {
      const c = await Client.connect(await connectAddress(addr), { version, ...copts });
      closers.push(() => c.close());
      return c;
    };
    return {
      mode,
      dir: dirs.get('main') as string,
      exportDir: tmp.dir,
      total: mode === 'humfs' ? total : null,
      dirs,
      exportDirs,
      tmp,
      vfs: exports.get('main') as Vfs,
      server: srv,
      addr,
      client,
      async attached(version = '9P2000.L', copts = {}) {
        const c = await client(version, copts);
        const { fid } = await c.attach({ uname: 'root', n_uname: 0, aname: copts.aname ?? '' });
        return { c, root: fid };
      },
      async raw() {
        const r = await RawConn.open(addr);
        closers.push(async () => r.destroy());
        return r;
      },
      serverSockets: () => [...sockets],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs fn against a fresh server and always stops it. */
export async function withServer(opts: ServeOptions, fn: (s: Served) => Promise<void>): Promise<void> {
  const s = await serve(opts);
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

/** A socket that sends bytes as given and collects whole reply frames. */
export class RawConn {
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly sock: net.Socket) {
    const reader = new FrameReader(1 << 24, (f) => {
      this.frames.push(Buffer.from(f));
      this.waiter?.();
    });
    sock.on('data', (b: Buffer) => reader.push(b));
    sock.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      sock.once('close', () => {
        this.isClosed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static async open(addr: Address): Promise<RawConn> {
    return new RawConn(await connectAddress(addr));
  }

  get hasClosed(): boolean {
    return this.isClosed;
  }

  send(bytes: Buffer): void {
    this.sock.write(bytes);
  }

  /** The next reply frame; rejects if the connection closes first. */
  async next(): Promise<Buffer> {
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.isClosed) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/**
 * Registers `name` once per mode ("hostfs: name", "humfs: name"), each run
 * against a fresh server of its own in that mode.
 */
export function testModes(
  t: Test,
  name: string,
  opts: ServeOptions,
  fn: (s: Served) => Promise<void>,
  modes: readonly ExportMode[] = MODES,
): void {
  for (const mode of modes) t(`${mode}: ${name}`, () => withServer({ ...opts, mode }, fn));
}
