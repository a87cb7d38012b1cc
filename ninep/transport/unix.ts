// Unix-domain socket listener. The socket file is created mode 0600 (the
// umask is narrowed around bind, then the mode is set again): only its
// owner may connect, since the server does no authentication. A stale
// socket left by a dead server is replaced; any other file at the path is
// refused, never removed.

import fs from 'node:fs';
import net from 'node:net';
import { closeServer, type Listener } from './tcp.js';

export interface UnixListener extends Listener {
  readonly path: string;
}

/** True when something accepts connections at `path`. */
function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class UnixPathError extends Error {
  override readonly name = 'UnixPathError';
}

async function clearPath(path: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new UnixPathError(`${path} exists and is not a socket: not replacing it`);
  if (await inUse(path)) throw new UnixPathError(`${path}: another server is listening there`);
  fs.unlinkSync(path);
}

export async function listenUnix(path: string, onConnection: (sock: net.Socket) => void): Promise<UnixListener> {
  await clearPath(path);
  // Half-open, as for tcp: requests sent before the client's shutdown are answered.
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // bind(2) creates the file with 0777 & ~umask: narrow the umask for it.
    const old = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
  fs.chmodSync(path, 0o600);
  return {
    path,
    description: `unix ${path}`,
    close: async () => {
      await closeServer(server);
      fs.rmSync(path, { force: true });
    },
  };
}
