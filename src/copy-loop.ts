// copy_file_range as a read and write loop over any Vfs: each write is a
// write (its rules, its change signal), in chunks of at most 1 MiB.

import type { Vfs } from './vfs.js';

const COPY_CHUNK = 1n << 20n;

export async function copyByReadWrite(
  io: Pick<Vfs, 'read' | 'write'>,
  inHandle: number,
  inOffset: bigint,
  outHandle: number,
  outOffset: bigint,
  length: bigint,
): Promise<bigint> {
  const buf = Buffer.allocUnsafe(Number(length < COPY_CHUNK ? length : COPY_CHUNK));
  let done = 0n;
  while (done < length) {
    const want = length - done < COPY_CHUNK ? Number(length - done) : buf.length;
    const n = await io.read(inHandle, inOffset + done, buf.subarray(0, want));
    if (n === 0) break;
    let put = 0;
    while (put < n) put += await io.write(outHandle, outOffset + done + BigInt(put), buf.subarray(put, n));
    done += BigInt(n);
  }
  return done;
}
