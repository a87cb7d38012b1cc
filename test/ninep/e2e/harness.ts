// End-to-end harness: the real Server over a real socket (TCP on loopback,
// or a unix socket), real exports opened on temp directories, and the 9P
// client. Everything it starts is stopped by stop(), whatever happened.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { openExport, type Vfs } from '../../../src/index.js';
import { Server, type ServerOptions } from '../../../ninep/server/index.js';
import { listenTcp, listenUnix, type Listener } from '../../../ninep/transport/index.js';
import { FrameReader, type DialectName } from '../../../ninep/index.js';
import { Client, connectAddress, type Address, type ClientOptions } from '../../../ninep/client/index.js';
import { tmpExport, type TmpExport } from '../../helpers/tmp-export.js';

export interface Served {
  /** The default export's host directory. */
  dir: string;
  /** Host directories of the named exports (aname → dir). */
  dirs: Map<string, string>;
  tmp: TmpExport;
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
  /** Extra named exports: aname → subdirectory name created under the temp base. */
  exports?: string[];
  server?: Partial<ServerOptions>;
  unix?: boolean;
  readonly?: boolean;
  /** Open the exports with checkPermissions (for the server's 'user' access model). */
  checkPermissions?: boolean;
}

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
    const dirs = new Map<string, string>();
    const exports = new Map<string, Vfs>();
    const check = opts.checkPermissions ?? false;
    const main = await openExport({ path: tmp.dir, readonly: opts.readonly ?? false, checkPermissions: check });
    vfss.push(main);
    exports.set('main', main);
    dirs.set('main', tmp.dir);
    for (const name of opts.exports ?? []) {
      const dir = path.join(tmp.outside, name);
      fs.mkdirSync(dir, { recursive: true });
      const vfs = await openExport({ path: dir, checkPermissions: check });
      vfss.push(vfs);
      exports.set(name, vfs);
      dirs.set(name, dir);
    }
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
      dir: tmp.dir,
      dirs,
      tmp,
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
