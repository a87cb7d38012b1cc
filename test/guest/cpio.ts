// Writes cpio archives in the "newc" format, the only one the kernel unpacks
// into its initramfs (Documentation/driver-api/early-userspace/buffer-format.rst).
// Entries are owned by root; the kernel creates parent directories only if
// they are listed first, so callers list directories before their contents.

export type CpioEntry =
  | { kind: 'dir'; name: string; mode?: number }
  | { kind: 'file'; name: string; data: Buffer | string; mode?: number }
  | { kind: 'symlink'; name: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Zero bytes that bring `length` up to a multiple of four. */
function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, name: string, data: Buffer): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  // Fields, in order: ino mode uid gid nlink mtime filesize devmajor devminor
  // rdevmajor rdevminor namesize check.
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return [header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)];
}

/** One complete archive, trailer included. Names are relative ("bin/sh"). */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.name.replace(/^\/+/, '');
    if (e.kind === 'dir') parts.push(...record(ino++, S_IFDIR | (e.mode ?? 0o755), name, Buffer.alloc(0)));
    else if (e.kind === 'symlink') parts.push(...record(ino++, S_IFLNK | 0o777, name, Buffer.from(e.target)));
    else {
      const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
      parts.push(...record(ino++, S_IFREG | (e.mode ?? 0o644), name, data));
    }
  }
  parts.push(...record(0, 0, 'TRAILER!!!', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/**
 * Concatenates initramfs segments. The kernel reads archives back to back and
 * skips zero padding between them, but each must start on a 4-byte boundary;
 * later entries replace earlier ones of the same name.
 */
export function concatInitramfs(segments: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const s of segments) parts.push(s, pad4(s.length));
  return Buffer.concat(parts);
}
