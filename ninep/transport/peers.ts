// Who may connect over TCP. A 9P client names its own uid and Linux offers
// no usable 9P authentication, so whoever connects can act as any user on
// the export: the connection itself is the boundary. For a peer that is a
// local process the kernel tells us its uid (proc-net.ts); only allowed uids
// get through. A peer that is not a local process is accepted only when the
// listener was told the network is trusted.

import { findClientSocket, isLoopbackAddress, readSocketTables, type SocketLine } from './proc-net.js';

export interface PeerPolicy {
  /**
   * uids whose local processes may connect. Default: the uid the server
   * runs as, and root (who can read the export and the server's memory
   * anyway, as it can connect to a 0600 unix socket).
   */
  allowUids: readonly number[];
  /**
   * Accept peers that are not local processes (another host). Needed to
   * listen on a non-loopback address; anyone who can reach it can then act
   * as any user. Local peers are still uid-checked.
   */
  trustNetwork: boolean;
}

export interface PeerDecision {
  accept: boolean;
  /** The peer's address and port as the socket reports them. */
  address: string;
  port: number;
  /** The connecting process's uid, when the kernel listed it. */
  uid: number | undefined;
  /** Why, for the log: "uid 1000 is not allowed". */
  reason: string;
}

/** The default allowUids: this process's uid, and root. */
export function defaultAllowUids(): number[] {
  const own = process.getuid?.() ?? 0;
  return own === 0 ? [0] : [own, 0];
}

export function resolvePeerPolicy(p: Partial<PeerPolicy> = {}): PeerPolicy {
  return { allowUids: p.allowUids ?? defaultAllowUids(), trustNetwork: p.trustNetwork ?? false };
}

/** The ends of an accepted socket (undefined fields once it has closed). */
export interface AcceptedEnds {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

/** Decides on one accepted connection; `tables` reads the kernel's socket lists (injectable for tests). */
export async function decidePeer(
  sock: AcceptedEnds,
  policy: PeerPolicy,
  tables: () => Promise<SocketLine[]> = readSocketTables,
): Promise<PeerDecision> {
  const { remoteAddress: address, remotePort: port, localAddress, localPort } = sock;
  if (address === undefined || port === undefined || localAddress === undefined || localPort === undefined) {
    return { accept: false, address: address ?? '?', port: port ?? 0, uid: undefined, reason: 'closed before it could be identified' };
  }
  const refuse = (reason: string, uid?: number): PeerDecision => ({ accept: false, address, port, uid, reason });
  const line = findClientSocket(await tables(), { address, port }, { address: localAddress, port: localPort });
  if (line === undefined) {
    if (isLoopbackAddress(address)) return refuse('its socket is not in /proc/net/tcp{,6}, so its uid is unknown');
    if (!policy.trustNetwork) return refuse('not a local process, and the network is not trusted');
    return { accept: true, address, port, uid: undefined, reason: 'not a local process; the network is trusted' };
  }
  // Time-wait and closed-but-unread sockets have no inode and show uid 0.
  if (line.inode === 0) return refuse('its socket is already closed, so its uid is unknown');
  if (!policy.allowUids.includes(line.uid)) return refuse(`uid ${line.uid} is not allowed (allowed: ${policy.allowUids.join(', ')})`, line.uid);
  return { accept: true, address, port, uid: line.uid, reason: `uid ${line.uid} is allowed` };
}
