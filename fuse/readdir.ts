// READDIRPLUS: a listing whose entries carry node ids and attributes, so
// `ls -l` needs no LOOKUP per name. Each entry handed out with a node id
// counts as one lookup in the kernel (it forgets it as it would a LOOKUP's),
// so each is taken through the session's ledger; '.' and '..' go with
// nodeid 0, which the kernel skips without a forget.

import type { Cred, Entry, NodeId, Vfs } from '../src/index.js';
import type { RefLedger } from '../src/ref-ledger.js';
import { beginData, direntPlusSize, finishData, packDirentsPlus, type EntryOut, type FuseDirentPlus } from './codec/index.js';

export interface DirHost {
  vfs: Vfs;
  ledger: RefLedger;
  entryOut(e: Entry): EntryOut;
  toVfs(nodeid: bigint): NodeId;
}

export async function readdirPlus(s: DirHost, u: bigint, cred: Cred, dir: NodeId, fh: bigint, offset: bigint, size: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(16 + size);
  const slot = beginData(out, u).subarray(0, size);
  const list = await s.vfs.readdir(Number(fh), offset, Math.max(1, Math.floor(size / 160)));
  const items: FuseDirentPlus[] = [];
  let used = 0;
  for (const d of list) {
    used += direntPlusSize(d.name.length);
    if (used > size) break;
    const dirent = { ino: d.ino, off: d.cookie, type: d.type, name: d.name };
    if (isDots(d.name)) {
      items.push({ entry: NO_ENTRY, dirent });
      continue;
    }
    let entry = NO_ENTRY;
    try {
      entry = s.entryOut(await s.ledger.lookup(cred, dir, d.name));
    } catch {
      // Gone (or not ours to see) since the listing: the kernel looks it up itself if asked.
    }
    items.push({ entry, dirent });
  }
  const packed = packDirentsPlus(slot, items);
  // Entries that did not fit after all were not handed out: their references go back.
  for (const it of items.slice(packed.entries)) if (it.entry.nodeid !== 0n) s.ledger.forget(s.toVfs(it.entry.nodeid), 1);
  return finishData(out, packed.bytes);
}

function isDots(name: Buffer): boolean {
  return (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e);
}

const NO_ENTRY: EntryOut = {
  nodeid: 0n,
  generation: 0n,
  entry_valid: 0n,
  attr_valid: 0n,
  entry_valid_nsec: 0,
  attr_valid_nsec: 0,
  attr: {
    ino: 0n, size: 0n, blocks: 0n, atime: 0n, mtime: 0n, ctime: 0n, atimensec: 0, mtimensec: 0, ctimensec: 0,
    mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0, flags: 0,
  },
};
