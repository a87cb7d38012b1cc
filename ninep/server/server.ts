// The 9P server: a set of named exports (each a Vfs) served over any number
// of connections. It knows nothing of the host (no node:fs) and nothing of
// transports: give it a connected Duplex and it runs a Session on it.
//
//   const server = new Server({ exports: new Map([['', vfs]]), options: { maxMsize: 1 << 20 } });
//   net.createServer((sock) => server.serve(sock)).listen(5640);

import type { Duplex } from 'node:stream';
import type { Vfs } from '../../src/vfs.js';
import type { ServedExport } from './exports.js';
import { resolveServerOptions, ServerOptionsError, type ServerOptions } from './options.js';
import { Session, type SessionHost } from './session.js';
import { Tally } from './limits.js';
import { ReadAheads } from './handlers/read-ahead.js';

/**
 * How long a connection must have sat on part of a frame before a new
 * connection at maxConnections may take its place: a frame sent in pieces
 * by a working client completes far sooner.
 */
const STALL_GRACE = 1000;

export interface ServerConfig {
  /** Exports by aname. */
  exports: ReadonlyMap<string, Vfs>;
  /** The aname whose export an attach with an empty aname (or "/") gets; default: the first. */
  defaultExport?: string;
  /** More anames for an export (alias → export name), e.g. its host path as diod's tools send it. */
  aliases?: ReadonlyMap<string, string>;
  options?: Partial<ServerOptions>;
}

export class Server implements SessionHost {
  readonly options: ServerOptions;
  /** Open files of all connections (maxOpenFilesTotal). */
  readonly openFiles: Tally;
  /** Reply bytes waiting for the sockets of all connections (maxQueuedBytes). */
  readonly queued: Tally;
  /** Read-ahead buffers of all connections (readAheadBytes). */
  readonly readAheads: ReadAheads;
  private readonly served = new Map<string, ServedExport>();
  private readonly defaultName: string | undefined;
  private readonly sessions = new Set<Session>();
  private nextSession = 1;
  private closing = false;
  /** Stops listening to the exports' changes (read-ahead coherence). */
  private readonly unlisten: Array<() => void> = [];

  constructor(config: ServerConfig) {
    this.options = resolveServerOptions(config.options);
    this.openFiles = new Tally(this.options.maxOpenFilesTotal, 'open files of the server', 'ENFILE');
    this.queued = new Tally(this.options.maxQueuedBytes, 'reply bytes queued by the server', 'EAGAIN');
    this.readAheads = new ReadAheads(this.options.readAheadBytes);
    for (const [name, vfs] of config.exports) this.served.set(name, { name, vfs });
    this.defaultName = config.defaultExport ?? config.exports.keys().next().value;
    if (this.defaultName !== undefined && !this.served.has(this.defaultName)) {
      throw new ServerOptionsError(`default export "${this.defaultName}" is not among the exports`);
    }
    for (const [alias, name] of config.aliases ?? []) {
      const target = this.served.get(name);
      if (target === undefined) throw new ServerOptionsError(`alias "${alias}" names no export "${name}"`);
      if (!this.served.has(alias)) this.served.set(alias, target);
    }
    // A file changed by anyone (any client, another server or front end on the same Vfs) loses its read-aheads.
    for (const vfs of new Set(config.exports.values())) {
      this.unlisten.push(vfs.onChange((c) => this.readAheads.changed(vfs, c.node)));
    }
  }

  /** The export an aname selects: its own name, or the default for "" and "/". */
  exportFor(aname: string): ServedExport | undefined {
    const named = this.served.get(aname);
    if (named !== undefined) return named;
    if ((aname === '' || aname === '/') && this.defaultName !== undefined) return this.served.get(this.defaultName);
    return undefined;
  }

  /** Serves one connection until it closes. */
  serve(conn: Duplex): Session {
    const s = new Session(this.nextSession++, this, conn);
    if (this.closing) {
      s.destroy();
      return s;
    }
    if (this.sessions.size >= this.options.maxConnections && !this.evictStalled(s.id)) {
      this.options.logger.warn(`9p: refusing connection ${s.id}: ${this.sessions.size} connections open, the limit (maxConnections)`);
      s.destroy();
      return s;
    }
    this.sessions.add(s);
    void s.closed.then(() => this.sessions.delete(s));
    return s;
  }

  /**
   * At maxConnections, makes room by closing the connection that has sat
   * longest on part of a frame (at least STALL_GRACE ms), so that clients
   * holding half-sent frames cannot keep a well-behaved one out until their
   * frameTimeout. False when no connection is stalled.
   */
  private evictStalled(newId: number): boolean {
    const now = performance.now();
    let worst: Session | undefined;
    let longest = STALL_GRACE;
    for (const s of this.sessions) {
      const t = s.stalledFor(now);
      if (t >= longest) {
        worst = s;
        longest = t;
      }
    }
    if (worst === undefined) return false;
    this.options.logger.warn(
      `9p: closing connection ${worst.id}, stalled mid-frame for ${Math.round(longest)} ms, to admit connection ${newId} at the limit (maxConnections)`,
    );
    this.sessions.delete(worst);
    worst.destroy();
    return true;
  }

  /** Connections now open. */
  get connections(): number {
    return this.sessions.size;
  }

  /**
   * Stops serving: every connection stops reading, answers what is in
   * flight and closes; resolves when all are closed and released. The
   * exports stay open (their owner closes them).
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const stop of this.unlisten.splice(0)) stop();
    await Promise.all([...this.sessions].map((s) => s.close()));
  }
}
