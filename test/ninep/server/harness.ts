// Test harness for the 9P server: a real Server over a real TCP socket on
// loopback, driven frame by frame with the codec (no client library), with
// a temporary export opened through openExport. Everything started here is
// stopped by stop(), whatever the test did.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  decode,
  dialect9P2000,
  dialect9P2000L,
  encode,
  FrameReader,
  NOFID,
  NONUNAME,
  type AnyDialect,
  type AnyMessage,
  type Qid,
} from '../../../ninep/index.js';
import { Server, type ServerOptions } from '../../../ninep/server/index.js';
import { openExport, type ExportOptions, type Vfs } from '../../../src/index.js';
import type { CoreVfs } from '../../../src/core.js';
import { tmpExport, type TmpExport } from '../../helpers/tmp-export.js';

/** One connection speaking raw frames. */
export class WireConn {
  readonly sock: net.Socket;
  dialect: AnyDialect = dialect9P2000L;
  /** Waiters per tag, first come first served. */
  private readonly waiting = new Map<number, ((m: AnyMessage) => void)[]>();
  private nextTag = 1;
  /** Replies that arrived for no waiter, in order. */
  readonly stray: AnyMessage[] = [];
  /** Every reply tag in arrival order. */
  readonly order: number[] = [];
  readonly ended: Promise<void>;
  private readonly framer: FrameReader;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.framer = new FrameReader(1 << 24, (frame) => this.onFrame(Buffer.from(frame)));
    this.sock.on('data', (c: Buffer) => this.framer.push(c));
    this.sock.on('error', () => {});
    this.ended = new Promise((resolve) => this.sock.once('close', () => resolve()));
  }

  static async open(port: number): Promise<WireConn> {
    const c = new WireConn(port);
    await new Promise<void>((resolve, reject) => {
      c.sock.once('connect', resolve);
      c.sock.once('error', reject);
    });
    return c;
  }

  private onFrame(frame: Buffer): void {
    const tag = frame.readUInt16LE(5);
    let msg: AnyMessage;
    try {
      msg = decode(this.dialect, frame).msg as AnyMessage;
    } catch {
      // Before Tversion the server answers in 9P2000 form.
      msg = decode(dialect9P2000, frame).msg as AnyMessage;
    }
    this.order.push(tag);
    const w = this.waiting.get(tag)?.shift();
    if (w === undefined) this.stray.push(msg);
    else w(msg);
  }

  tag(): number {
    const t = this.nextTag;
    this.nextTag = (this.nextTag % 60000) + 1;
    return t;
  }

  /** Resolves with the next reply carrying `tag`. */
  reply(tag: number): Promise<AnyMessage> {
    return new Promise((resolve) => {
      const list = this.waiting.get(tag) ?? [];
      list.push(resolve);
      this.waiting.set(tag, list);
    });
  }

  send(msg: AnyMessage, tag = this.tag()): Promise<AnyMessage> {
    const p = this.reply(tag);
    this.sock.write(encode(this.dialect, tag, msg as never));
    return p;
  }

  raw(bytes: Buffer): void {
    this.sock.write(bytes);
  }

  /** Sends and expects a reply of type `type`; throws with the reply otherwise. */
  async ok<K extends AnyMessage['type']>(msg: AnyMessage, type: K): Promise<Extract<AnyMessage, { type: K }>> {
    const r = await this.send(msg);
    if (r.type !== type) throw new Error(`${msg.type}: expected ${type}, got ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    return r as Extract<AnyMessage, { type: K }>;
  }

  /** Sends and expects an error: the Linux errno (.L, .u) or the text (9P2000). */
  async err(msg: AnyMessage): Promise<number | string> {
    const r = await this.send(msg);
    if (r.type === 'Rlerror') return r.ecode;
    if (r.type === 'Rerror') return 'errno' in r ? r.errno : r.ename;
    throw new Error(`${msg.type}: expected an error, got ${r.type}`);
  }

  async version(version = '9P2000.L', msize = 1 << 20): Promise<number> {
    const r = await this.ok({ type: 'Tversion', msize, version }, 'Rversion');
    if (r.version === '9P2000.L' || r.version === '9P2000.u' || r.version === '9P2000') {
      const { dialectByName } = await import('../../../ninep/index.js');
      this.dialect = dialectByName(r.version) as AnyDialect;
    }
    return r.msize;
  }

  async attach(fid = 0, opts: { uname?: string; n_uname?: number; aname?: string } = {}): Promise<Qid> {
    const base = { type: 'Tattach', fid, afid: NOFID, uname: opts.uname ?? 'root', aname: opts.aname ?? '' } as const;
    const msg = this.dialect.name === '9P2000' ? base : { ...base, n_uname: opts.n_uname ?? NONUNAME };
    return (await this.ok(msg as AnyMessage, 'Rattach')).qid;
  }

  async walk(fid: number, newfid: number, ...names: string[]): Promise<Qid[]> {
    return (await this.ok({ type: 'Twalk', fid, newfid, wname: names.map((n) => Buffer.from(n)) }, 'Rwalk')).wqid as Qid[];
  }

  close(): Promise<void> {
    this.sock.end();
    this.sock.destroy();
    return this.ended;
  }
}

export interface Harness {
  tmp: TmpExport;
  vfs: Vfs;
  server: Server;
  port: number;
  connect(): Promise<WireConn>;
  /** Connects, negotiates 9P2000.L (or `version`) and attaches fid 0 as root. */
  session(version?: string): Promise<WireConn>;
  /** The lock waiters of the default export. */
  exportLocks(): { waiting: number };
  /** Two sessions, each with `name` (created with `content`) walked to fid 1 and opened read-write, for lock tests. */
  lockers(name: string, content: string): Promise<[WireConn, WireConn]>;
  /** Open handles and live nodes of the export's core. */
  stats(): { nodes: number; idle: number; descriptors: number; handles: number };
  stop(): Promise<void>;
}

export async function startHarness(
  opts: { options?: Partial<ServerOptions>; exports?: Record<string, string>; exportOptions?: Partial<ExportOptions> } = {},
): Promise<Harness> {
  const tmp = tmpExport('humbridge-9p-');
  const vfs = await openExport({ ...opts.exportOptions, path: tmp.dir });
  const extra = new Map<string, Vfs>();
  for (const [name, dir] of Object.entries(opts.exports ?? {})) extra.set(name, await openExport({ path: dir }));
  // Lock waits end when the test says so, not by the server's short default.
  const server = new Server({ exports: new Map([['', vfs], ...extra]), defaultExport: '', options: { blockingLockWait: 600_000, ...opts.options } });
  const conns: WireConn[] = [];
  const listener = net.createServer((sock) => server.serve(sock));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  const connect = async (): Promise<WireConn> => {
    const c = await WireConn.open(port);
    conns.push(c);
    return c;
  };
  const session = async (version = '9P2000.L'): Promise<WireConn> => {
    const c = await connect();
    await c.version(version);
    await c.attach(0);
    return c;
  };
  return {
    tmp,
    vfs,
    server,
    port,
    connect,
    session,
    async lockers(name, content) {
      fs.writeFileSync(path.join(tmp.dir, name), content);
      const pair: WireConn[] = [];
      for (let i = 0; i < 2; i++) {
        const c = await session();
        await c.walk(0, 1, name);
        await c.ok({ type: 'Tlopen', fid: 1, flags: 2 }, 'Rlopen');
        pair.push(c);
      }
      return pair as [WireConn, WireConn];
    },
    stats: () => (vfs as CoreVfs).stats,
    exportLocks: () => ({ waiting: (vfs as CoreVfs).lockWaiters }),
    async stop() {
      try {
        for (const c of conns) c.sock.destroy();
        await new Promise<void>((resolve) => listener.close(() => resolve()));
        await server.close();
        await vfs.close();
        for (const v of extra.values()) await v.close();
      } finally {
        tmp.cleanup();
      }
    },
  };
}
