// One connection over inherited descriptors: stdin/stdout, or a pair
// "fd:R,W" (trans=fd through QEMU virtio-serial, socat, a parent process).
// Pipes and sockets become net.Sockets (libuv streams, no thread pool);
// anything else (a character device) is read and written through fs streams.

import fs from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';

export interface FdPair {
  read: number;
  write: number;
}

/** Parses "stdio" or "fd:R,W" (R and W may be equal). */
export function parseFdPair(spec: string): FdPair {
  if (spec === 'stdio') return { read: 0, write: 1 };
  const m = /^fd:(\d+),(\d+)$/.exec(spec);
  if (m === null) throw new RangeError(`"${spec}" is not stdio or fd:R,W`);
  return { read: Number(m[1]), write: Number(m[2]) };
}

function socketOn(fd: number, readable: boolean, writable: boolean): net.Socket | undefined {
  try {
    return new net.Socket({ fd, readable, writable, allowHalfOpen: false });
  } catch {
    return undefined; // not a pipe or socket
  }
}

/** A Duplex over the descriptor pair; the descriptors are closed with it. */
export function fdConnection(pair: FdPair): Duplex {
  if (pair.read === pair.write) {
    const both = socketOn(pair.read, true, true);
    if (both !== undefined) return both;
  }
  const readable = socketOn(pair.read, true, false) ?? fs.createReadStream('', { fd: pair.read, highWaterMark: 1 << 20 });
  const writable = socketOn(pair.write, false, true) ?? fs.createWriteStream('', { fd: pair.write });
  return Duplex.from({ readable, writable });
}
