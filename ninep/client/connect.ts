// Addresses as the CLI writes them (tcp:HOST:PORT, unix:PATH) and opening a
// socket to one.

import net from 'node:net';
import { ClientError } from './errors.js';

export type Address = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** "tcp:HOST:PORT" (HOST may be [v6]), "unix:PATH", or a bare "HOST:PORT". */
export function parseAddress(text: string): Address {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '') throw new ClientError('usage', 'unix: needs a socket path');
    return { kind: 'unix', path };
  }
  const rest = text.startsWith('tcp:') ? text.slice(4) : text;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(rest);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new ClientError('usage', `"${text}" is not tcp:HOST:PORT or unix:PATH`);
  return { kind: 'tcp', host: (m[1] ?? m[2]) as string, port };
}

/** Connects; resolves once the socket is open. */
export function connectAddress(addr: Address): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = addr.kind === 'tcp' ? net.connect({ host: addr.host, port: addr.port }) : net.connect({ path: addr.path });
    const onError = (e: Error): void => reject(new ClientError('closed', `cannot connect to ${describe(addr)}: ${e.message}`, { cause: e }));
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      if (addr.kind === 'tcp') sock.setNoDelay(true);
      resolve(sock);
    });
  });
}

export function describe(addr: Address): string {
  return addr.kind === 'tcp' ? `tcp:${addr.host}:${addr.port}` : `unix:${addr.path}`;
}
