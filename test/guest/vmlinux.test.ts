import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasPvhEntry } from './vmlinux.js';

/** A minimal ELF64 with one PT_NOTE segment holding one note. */
function elfWithNote(name: string, type: number): Buffer {
  const phoff = 64;
  const noteOff = phoff + 56;
  const nameBytes = Buffer.from(`${name}\0`);
  const namePadded = Math.ceil(nameBytes.length / 4) * 4;
  const note = Buffer.alloc(12 + namePadded + 4);
  note.writeUInt32LE(nameBytes.length, 0);
  note.writeUInt32LE(4, 4);
  note.writeUInt32LE(type, 8);
  nameBytes.copy(note, 12);
  const elf = Buffer.alloc(noteOff + note.length);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2; // ELFCLASS64
  elf[5] = 1; // little-endian
  elf.writeBigUInt64LE(BigInt(phoff), 0x20);
  elf.writeUInt16LE(56, 0x36);
  elf.writeUInt16LE(1, 0x38);
  elf.writeUInt32LE(4, phoff); // PT_NOTE
  elf.writeBigUInt64LE(BigInt(noteOff), phoff + 8);
  elf.writeBigUInt64LE(BigInt(note.length), phoff + 32);
  note.copy(elf, noteOff);
  return elf;
}

test('finds the Xen PHYS32_ENTRY note', () => {
  assert.ok(hasPvhEntry(elfWithNote('Xen', 18)));
});

test('other notes, or no ELF, do not count', () => {
  assert.not.ok(hasPvhEntry(elfWithNote('Xen', 17)));
  assert.not.ok(hasPvhEntry(elfWithNote('GNU', 18)));
  assert.not.ok(hasPvhEntry(Buffer.from('MZ not an elf at all, long enough to read the header fields from'.padEnd(80))));
});

test.run();
