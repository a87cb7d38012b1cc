// `humbridge serve` as a real child process on a unix socket, for tests that
// need what only a separate process gives: a descriptor limit of its own
// (prlimit), or a kill -9 in the middle of its work.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { Client, connectAddress } from '../../../ninep/client/index.js';
import { humbridgeScript } from '../../../tools/bench/servers.js';

export interface ChildServer {
  child: ChildProcess;
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** A client attached as root. */
  attach(): Promise<{ c: Client; root: number }>;
  /** SIGTERM and wait (the export is closed cleanly: the superblock is written). */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: nothing is written out. */
  kill(): Promise<void>;
}

/** Starts `humbridge serve EXPORT --listen unix:SOCK ...extra`, through `prefix` (e.g. prlimit) when given. */
export async function serveChild(exportDir: string, sockDir: string, extra: readonly string[], prefix: readonly string[] = []): Promise<ChildServer> {
  const sock = path.join(sockDir, `9p-${process.pid}-${Date.now()}.sock`);
  const argv = [...prefix, process.execPath, humbridgeScript(), 'serve', exportDir, '--listen', `unix:${sock}`, ...extra];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const clients: Client[] = [];
  const closeClients = async (): Promise<void> => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  };
  const server: ChildServer = {
    child,
    stderr: () => err,
    async attach() {
      const c = await Client.connect(await connectAddress({ kind: 'unix', path: sock }), { version: '9P2000.L' });
      clients.push(c);
      const { fid } = await c.attach({ uname: 'root', n_uname: 0, aname: '' });
      return { c, root: fid };
    },
    async stop() {
      await closeClients();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(sock, { force: true });
      return code;
    },
    async kill() {
      await closeClients();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      // A killed server leaves its socket file behind.
      fs.rmSync(sock, { force: true });
    },
  };
  try {
    for (let i = 0; !/ready/.test(err); i++) {
      if (child.exitCode !== null) assert.unreachable(`serve exited: ${err}`);
      if (i > 6000) assert.unreachable(`no ready line: ${err}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(fs.existsSync(sock));
  } catch (e) {
    await server.kill();
    throw e;
  }
  return server;
}
