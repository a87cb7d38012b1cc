// Parsed records of recently seen entries, by data inode. A listing asks for
// the same records again and again (readdir, then lookup and getattr of each
// entry); reading one costs an open, a read and a close through the folder,
// more than the rest of the request.
//
// Keyed by the data entry's (dev, ino) and valid only while its ctime is
// the one seen when it was read: the ctime changes whenever the inode is
// renamed, linked, unlinked or written, and a new file that reuses an inode
// number has a new ctime (unless the host deleted and remade it behind the
// server's back within one tick of the filesystem's clock), so a stale entry
// is not served for it. Every
// record the store writes drops the entry first. What the cache cannot see
// is a record edited on the host while its data entry stays untouched (such
// an edit shows once the entry changes, or after a restart).
// Hard links share one record, so one entry per inode serves every name.

import { identityKey, type HostStat } from '../../host/stat.js';
import type { MetadataRecord } from '../humfs-format.js';

/** Entries kept at most; the least recently used go first. */
const CACHE_MAX = 8192;

export class RecordCache {
  private readonly entries = new Map<string, { ctimeNs: bigint; record: MetadataRecord }>();

  get(st: HostStat): MetadataRecord | undefined {
    const key = identityKey(st);
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    this.entries.delete(key);
    if (hit.ctimeNs !== st.ctimeNs) return undefined;
    this.entries.set(key, hit);
    return hit.record;
  }

  set(st: HostStat, record: MetadataRecord): void {
    const key = identityKey(st);
    this.entries.delete(key);
    this.entries.set(key, { ctimeNs: st.ctimeNs, record });
    if (this.entries.size > CACHE_MAX) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  drop(st: { dev: bigint; ino: bigint }): void {
    this.entries.delete(identityKey(st));
  }
}
