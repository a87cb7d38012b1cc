// TCP listener: accepts connections and hands each over as a socket.
// Loopback (127.0.0.1) unless told otherwise: 9P has no authentication here,
// so listening on other interfaces must be an explicit choice. Port 5640
// is the customary 9P port of QEMU/diod setups (564 needs privileges).

import net from 'node:net';

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

export function listenTcp(
  opts: { host?: string; port?: number },
  onConnection: (sock: net.Socket) => void,
): Promise<TcpListener> {
  const host = opts.host ?? DEFAULT_TCP_HOST;
  // Half-open: a client may send its last requests and shut down its side;
  // the session still answers them before closing (see session.ts).
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    // 9P is request/response: a small reply must not wait for Nagle.
    sock.setNoDelay(true);
    onConnection(sock);
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
