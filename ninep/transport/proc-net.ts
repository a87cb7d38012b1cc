// Who owns a TCP socket of this machine: the kernel lists every TCP socket of
// the network namespace, with its owner's uid, in /proc/net/tcp (IPv4) and
// /proc/net/tcp6 (IPv6). For a connection made by a local process, the
// client's own socket is there with local = the peer's address:port and
// remote = the server's address:port.
//
// Line format (after a header line), fields split by blanks:
//   sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
// An address is hex: IPv4 one 32-bit word, IPv6 four, each word printed as
// the number the kernel reads in host (little-endian) order, so 127.0.0.1 is
// 0100007F and ::1 is 00000000000000000000000001000000. Ports are big hex.
// A TIME_WAIT socket (and one whose process has closed it) has no inode and
// shows uid 0: such a line proves nothing about who connected.

import { readFile } from 'node:fs/promises';
import net from 'node:net';

export interface SocketEnd {
  /** The address as 16 bytes of hex, IPv4 as IPv4-mapped IPv6 (see addressKey). */
  addr: string;
  port: number;
}

export interface SocketLine {
  local: SocketEnd;
  remote: SocketEnd;
  /** TCP state (1 established, 6 time-wait, 10 listen, ...). */
  state: number;
  uid: number;
  /** 0 when no open file holds the socket (time-wait, orphaned). */
  inode: number;
}

export const PROC_NET_TCP = ['/proc/net/tcp', '/proc/net/tcp6'] as const;

const V4_MAPPED_PREFIX = '00000000000000000000ffff';

/** One 8-digit little-endian word of /proc as big-endian hex bytes. */
function wordBytes(word: string): string {
  return word.slice(6, 8) + word.slice(4, 6) + word.slice(2, 4) + word.slice(0, 2);
}

/** "0100007F" or a 32-digit IPv6 field → addressKey form; undefined if malformed. */
export function procAddress(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  if (hex.length === 8) return V4_MAPPED_PREFIX + wordBytes(hex).toLowerCase();
  if (hex.length === 32) {
    let out = '';
    for (let i = 0; i < 32; i += 8) out += wordBytes(hex.slice(i, i + 8));
    return out.toLowerCase();
  }
  return undefined;
}

function endOf(field: string | undefined): SocketEnd | undefined {
  const m = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(field ?? '');
  if (m === null) return undefined;
  const addr = procAddress(m[1] as string);
  return addr === undefined ? undefined : { addr, port: parseInt(m[2] as string, 16) };
}

/** One line of /proc/net/tcp or tcp6; undefined for the header or anything malformed. */
export function parseSocketLine(line: string): SocketLine | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] as string)) return undefined;
  const local = endOf(f[1]);
  const remote = endOf(f[2]);
  const state = parseInt(f[3] ?? '', 16);
  const uid = Number(f[7]);
  const inode = Number(f[9]);
  if (local === undefined || remote === undefined || !Number.isInteger(state)) return undefined;
  if (!/^\d+$/.test(f[7] as string) || !/^\d+$/.test(f[9] as string)) return undefined;
  return { local, remote, state, uid, inode };
}

export function parseSocketTable(text: string): SocketLine[] {
  const out: SocketLine[] = [];
  for (const line of text.split('\n')) {
    const s = parseSocketLine(line);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/**
 * An address as Node prints it ("127.0.0.1", "::1", "::ffff:127.0.0.1") in
 * the form of procAddress: 32 lowercase hex digits, IPv4 mapped into IPv6,
 * so a v4 socket and a v6 socket speaking v4 compare equal.
 */
export function addressKey(ip: string): string | undefined {
  const v4 = (text: string): string | undefined => {
    if (!net.isIPv4(text)) return undefined;
    return text
      .split('.')
      .map((n) => Number(n).toString(16).padStart(2, '0'))
      .join('');
  };
  if (net.isIPv4(ip)) return V4_MAPPED_PREFIX + v4(ip);
  const bare = ip.replace(/%.*$/, ''); // zone index (fe80::1%eth0)
  if (!net.isIPv6(bare)) return undefined;
  let text = bare;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two 16-bit groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const hex = v4(dotted[1] as string) as string;
    text = text.slice(0, dotted.index) + `${hex.slice(0, 4)}:${hex.slice(4)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  const all = [...h, ...zeros, ...t];
  if (all.length !== 8) return undefined;
  return all.map((g) => g.toLowerCase().padStart(4, '0')).join('');
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
export function isLoopbackAddress(ip: string): boolean {
  const key = addressKey(ip);
  if (key === undefined) return false;
  return key === '00000000000000000000000000000001' || key.startsWith(V4_MAPPED_PREFIX + '7f');
}

/** The line of the client's socket of a connection: local = peer, remote = server. */
export function findClientSocket(lines: readonly SocketLine[], peer: { address: string; port: number }, server: { address: string; port: number }): SocketLine | undefined {
  const p = addressKey(peer.address);
  const s = addressKey(server.address);
  if (p === undefined || s === undefined) return undefined;
  return lines.find((l) => l.local.port === peer.port && l.remote.port === server.port && l.local.addr === p && l.remote.addr === s);
}

/** Both tables of this namespace (a missing tcp6, IPv6 being off, is empty). */
export async function readSocketTables(files: readonly string[] = PROC_NET_TCP): Promise<SocketLine[]> {
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')));
  return texts.flatMap(parseSocketTable);
}
