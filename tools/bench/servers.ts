// 9P servers on loopback for benchmarks and interop tests: diod (the C
// 9P2000.L server from Debian) and `humbridge serve` as child processes,
// each on a free port, each waited for until it accepts connections (never a
// fixed sleep) and stopped with SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunningServer {
  name: string;
  host: string;
  port: number;
  /** The aname a client attaches with. */
  aname: string;
  /** The server's process id. */
  pid: number;
  /** What the server printed on stderr so far (for failure messages). */
  stderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited after a while; resolves once it has exited. */
  stop(): Promise<void>;
}

/** The first of these that exists, searching PATH and the sbin directories (diod lives in /usr/sbin). */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Resolves once host:port accepts a connection; rejects if the child exits first or after limitMs. */
async function waitForListen(child: ChildProcess, host: string, port: number, limitMs: number, stderr: () => string): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`server not listening on ${host}:${port} after ${limitMs} ms: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function track(name: string, child: ChildProcess, host: string, port: number, aname: string): RunningServer {
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
    if (err.length > 65536) err = err.slice(-32768);
  });
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    name,
    host,
    port,
    aname,
    pid: child.pid ?? -1,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startChild(name: string, cmd: string, args: string[], port: number, aname: string): Promise<RunningServer> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = track(name, child, '127.0.0.1', port, aname);
  try {
    await waitForListen(child, '127.0.0.1', port, 15_000, server.stderr);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/**
 * diod serving dir, without authentication or the user database (-n -N), in
 * the foreground. Its aname is the exported path itself.
 */
export async function startDiod(dir: string): Promise<RunningServer> {
  const diod = findProgram('diod');
  if (diod === undefined) throw new Error('diod is not installed (Debian package diod)');
  const port = await freePort();
  return startChild('diod', diod, ['-f', '-n', '-N', '-e', dir, '-l', `127.0.0.1:${port}`, '-L', 'stderr'], port, dir);
}

/** dist/tools/humbridge.js, next to this compiled file's parent. */
export function humbridgeScript(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'humbridge.js');
}

/**
 * `humbridge serve dir` as a child process, listening on a port the kernel
 * picks (tcp:127.0.0.1:0), read back from its ready line. Its default
 * export answers the empty aname (and "/"). `script`: another build's
 * humbridge.js (to measure the code before a change).
 */
export async function startHumbridge(dir: string, extraArgs: readonly string[] = [], script = humbridgeScript()): Promise<RunningServer> {
  const args = [script, 'serve', dir, '--listen', 'tcp:127.0.0.1:0', ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let port = 0;
  const server = track('humbridge', child, '127.0.0.1', 0, '');
  try {
    port = await readyPort(child, server.stderr, 15_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return { ...server, port };
}

/**
 * The fixed-answer responder (ninep-responder.ts) for `diodls -l` of
 * `listed`, a directory; diodls names it by its base name. `preencoded`:
 * the per-entry replies skip the codec.
 */
export async function startResponder(listed: string, preencoded = false): Promise<RunningServer> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ninep-responder.js');
  const child = spawn(process.execPath, [script, listed, ...(preencoded ? ['--preencoded'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = track(preencoded ? 'node-floor-raw' : 'node-floor', child, '127.0.0.1', 0, '');
  try {
    const port = await readyPort(child, server.stderr, 15_000, /listening on (\d+)/);
    return { ...server, port };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** Waits for the ready line (by default "ready: ... tcp HOST:PORT") on the child's stderr. */
function readyPort(child: ChildProcess, stderr: () => string, limitMs: number, line = /ready: .* on tcp [^\s]*:(\d+)/): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = line.exec(stderr());
      if (m) {
        done();
        resolve(Number(m[1]));
      }
    };
    const onExit = (): void => {
      done();
      reject(new Error(`humbridge serve exited before it was ready: ${stderr()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`humbridge serve not ready after ${limitMs} ms: ${stderr()}`));
    }, limitMs);
    const done = (): void => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    // Runs after track()'s own listener has appended the chunk.
    const onData = (): void => {
      setImmediate(check);
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    check();
  });
}
