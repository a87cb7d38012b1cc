// Under TCG a bzImage spends seconds decompressing itself at every boot.
// Decompressing it once and booting the ELF vmlinux through its PVH entry
// point (QEMU's -kernel accepts an ELF with a XEN_ELFNOTE_PHYS32_ENTRY note)
// saves that time. Debian builds with CONFIG_PVH=y and an xz payload.
import { run } from './proc.js';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
/** include/xen/interface/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const PT_NOTE = 4;

/** True for a little-endian ELF64 whose PT_NOTE segments carry the PVH entry note. */
export function hasPvhEntry(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > elf.length || elf.readUInt32LE(ph) !== PT_NOTE) continue;
    const off = Number(elf.readBigUInt64LE(ph + 8));
    const end = Math.min(elf.length, off + Number(elf.readBigUInt64LE(ph + 32)));
    // Each note: namesz, descsz, type (u32 each), then name and desc, 4-aligned.
    for (let n = off; n + 12 <= end; ) {
      const namesz = elf.readUInt32LE(n);
      const descsz = elf.readUInt32LE(n + 4);
      const type = elf.readUInt32LE(n + 8);
      const name = elf.toString('latin1', n + 12, n + 12 + namesz).replace(/\0+$/, '');
      if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
      n += 12 + align4(namesz) + align4(descsz);
    }
  }
  return false;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The ELF kernel inside a bzImage with an xz payload, or undefined when the
 * payload is not xz or the result cannot be booted through PVH.
 */
export async function extractVmlinux(bzImage: Buffer): Promise<Buffer | undefined> {
  const at = bzImage.indexOf(XZ_MAGIC);
  if (at < 0) return undefined;
  let elf: Buffer;
  try {
    // The payload is followed by other data; --single-stream stops after it.
    elf = (await run('xz', ['-dc', '--single-stream'], { input: bzImage.subarray(at) })).stdout;
  } catch {
    return undefined;
  }
  return hasPvhEntry(elf) ? elf : undefined;
}
