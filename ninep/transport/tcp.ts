// TCP listener: accepts connections and hands each over as a socket.
// Loopback (127.0.0.1) unless told otherwise: 9P has no authentication here,
// so listening on other interfaces must be an explicit choice (trustNetwork).
// Each connection is handed over only once peers.ts has accepted it (a local
// process of an allowed uid); a refused one is closed. Port 5640 is the
// customary 9P port of QEMU/diod setups (564 needs privileges).

import net from 'node:net';
import { isLoopbackAddress } from './proc-net.js';
import { decidePeer, resolvePeerPolicy, type PeerDecision, type PeerPolicy } from './peers.js';

export const DEFAULT_TCP_HOST = '127.0.0.1';
export const DEFAULT_TCP_PORT = 5640;

export interface Listener {
  /** Where it listens, for people: "tcp 127.0.0.1:5640", "unix /run/x.sock". */
  readonly description: string;
  /** Stops accepting; connections already made stay up. */
  close(): Promise<void>;
}

export interface TcpListener extends Listener {
  readonly host: string;
  readonly port: number;
}

export interface TcpOptions {
  host?: string;
  port?: number;
  /** Who may connect (peers.ts); default: local processes of this uid and root. */
  peers?: Partial<PeerPolicy>;
  /** Told of every accept and refusal, e.g. to log it. */
  onPeer?: (d: PeerDecision) => void;
}

export class TcpListenError extends Error {
  override readonly name = 'TcpListenError';
}

/** True for the names of loopback: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/** Throws TcpListenError when `host` is not loopback and the network is not trusted. */
export function checkTcpHost(host: string, trustNetwork: boolean): void {
  if (isLoopbackHost(host) || trustNetwork) return;
  throw new TcpListenError(
    `${host} is not a loopback address: anyone who can reach it could act as any user on the export (9P has no usable authentication); listen on 127.0.0.1, or say the network is trusted`,
  );
}

export function listenTcp(opts: TcpOptions, onConnection: (sock: net.Socket) => void): Promise<TcpListener> {
  const host = opts.host ?? DEFAULT_TCP_HOST;
  let policy: PeerPolicy;
  try {
    policy = resolvePeerPolicy(opts.peers);
    for (const uid of policy.allowUids) {
      if (!Number.isInteger(uid) || uid < 0 || uid > 0xfffffffe) throw new TcpListenError(`an allowed uid must be an integer from 0 to 4294967294, not ${uid}`);
    }
    checkTcpHost(host, policy.trustNetwork);
  } catch (e) {
    return Promise.reject(e);
  }
  const admit = async (sock: net.Socket): Promise<void> => {
    // A peer that resets while we look must not become an uncaught error.
    const quiet = (): void => undefined;
    sock.on('error', quiet);
    const d = await decidePeer(sock, policy);
    opts.onPeer?.(d);
    if (!d.accept || sock.destroyed) {
      sock.destroy();
      return;
    }
    sock.off('error', quiet);
    // Accepted paused (nothing read, not even an end of stream that would
    // fire 'end' before the consumer listens); now the state Node gives an
    // ordinary accepted socket: reading, flowing once a 'data' listener comes.
    // (Readable has a setter for readableFlowing; @types/node marks it read-only.)
    (sock as { readableFlowing: boolean | null }).readableFlowing = null;
    onConnection(sock);
    sock.read(0);
  };
  // Half-open: a client may send its last requests and shut down its side;
  // the session still answers them before closing (see session.ts).
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
    // 9P is request/response: a small reply must not wait for Nagle.
    sock.setNoDelay(true);
    admit(sock).catch(() => sock.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_TCP_PORT, host, () => {
      server.off('error', reject);
      const port = (server.address() as net.AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        host,
        port,
        description: `tcp ${shown}:${port}`,
        close: () => closeServer(server),
      });
    });
  });
}

/** Stops listening at once (net.Server.close's callback would wait for every connection). */
export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close();
    resolve();
  });
}
