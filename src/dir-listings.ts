// One listing per directory, shared by every handle open on it. Listing a
// big directory costs a host readdir plus hashing and sorting every name
// (readdir-cookies.ts); kept per handle, 300 handles on a 50,000-entry
// directory held 300 copies (gigabytes) and each offset-0 readdir paid the
// whole cost again. Here a directory's listing is built once, shared, and
// built again only when the directory may have changed:
// - a change made through this Vfs (create, unlink, rename, ...) marks it
//   stale (changed());
// - a change made on the host is caught by the directory's stamp: inode,
//   mtime and ctime in nanoseconds, and size, read with one fstat when a
//   handle starts a listing. Every name added or removed updates mtime and
//   ctime. Linux 6.18's multigrain timestamps (ext4, xfs, tmpfs, btrfs)
//   give a fine-grained ctime to a change made after the timestamps were
//   last read, so a change right after our fstat still changes the stamp;
//   on a filesystem with coarse timestamps a host change within the same
//   tick could go unseen until the next one.
// Cookies are hashes of names, so resuming with a listing rebuilt since, or
// taken by another handle, still never repeats nor skips a lasting entry:
// every handle resumes from the directory's current listing.
// The entry of a directory lives while handles are open on it (counted).
// A directory has at most one build running; requests that need a fresh
// listing meanwhile join it when it lists the state they see, or wait for
// it and look again.

import { buildCookieListSliced, type CookieList } from './readdir-cookies.js';
import type { NodeId } from './types.js';

interface Build {
  stamp: string;
  seq: number;
  /** A change through the Vfs happened while it ran. */
  stale: boolean;
  done: Promise<CookieList>;
}

interface Shared {
  /** Handles open on the directory. */
  handles: number;
  list: CookieList | null;
  stamp: string;
  /** Changed through the Vfs since `list` was taken. */
  stale: boolean;
  /** seq of the build `list` came from; a slower, older build never replaces a newer list. */
  seq: number;
  building: Build | null;
}

/** One macrotask turn: I/O and other clients' requests run meanwhile. */
export const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class DirListings {
  private readonly dirs = new Map<NodeId, Shared>();
  private nextSeq = 1;
  private builds = 0;

  /** A handle opened on directory `dir`. */
  open(dir: NodeId): void {
    const e = this.dirs.get(dir);
    if (e !== undefined) e.handles++;
    else this.dirs.set(dir, { handles: 1, list: null, stamp: '', stale: false, seq: 0, building: null });
  }

  /** A handle on `dir` released: the last one frees the listing. */
  close(dir: NodeId): void {
    const e = this.dirs.get(dir);
    if (e === undefined) return;
    if (--e.handles <= 0) this.dirs.delete(dir);
  }

  /** Names in `dir` were added or removed through the Vfs. */
  changed(dir: NodeId): void {
    const e = this.dirs.get(dir);
    if (e === undefined) return;
    e.stale = true;
    if (e.building !== null) e.building.stale = true;
  }

  /**
   * The listing of `dir` (a handle on it must be open). `fresh`: a listing
   * starts, so the shared one is checked against the directory's `stamp()`
   * and the changes seen through the Vfs, and rebuilt with `list()` when
   * either says it may be out of date; otherwise the current one serves
   * as it is (a resumed listing), built only if there is none.
   */
  async get(dir: NodeId, fresh: boolean, stamp: () => string, list: () => Promise<Buffer[]>): Promise<CookieList> {
    const e = this.dirs.get(dir);
    if (e === undefined) throw new Error(`no open handle on directory ${dir}`);
    if (!fresh && e.list !== null) return e.list;
    // A listing whose build began after this call did is fresh enough for
    // it, whatever changed since.
    const since = this.nextSeq;
    for (;;) {
      const now = stamp();
      if (e.list !== null && ((!e.stale && e.stamp === now) || e.seq >= since)) return e.list;
      const b = e.building;
      if (b === null) return this.rebuild(e, now, list);
      if (!b.stale && b.stamp === now) return b.done;
      // One build at a time per directory, even while the host keeps
      // changing it: wait for this one, then look again.
      await b.done.catch(() => undefined);
    }
  }

  private async rebuild(e: Shared, stamp: string, list: () => Promise<Buffer[]>): Promise<CookieList> {
    this.builds++;
    const b: Build = { stamp, seq: this.nextSeq++, stale: false, done: list().then((names) => buildCookieListSliced(names, pause)) };
    e.building = b;
    try {
      const got = await b.done;
      if (b.seq > e.seq) {
        e.list = got;
        e.stamp = b.stamp;
        e.stale = b.stale;
        e.seq = b.seq;
      }
      return got;
    } finally {
      if (e.building === b) e.building = null;
    }
  }

  /** Directories with open handles, listings held, names in them, and builds so far (for tests and measurements). */
  get stats(): { dirs: number; listings: number; names: number; builds: number } {
    let listings = 0;
    let names = 0;
    for (const e of this.dirs.values()) {
      if (e.list === null) continue;
      listings++;
      names += e.list.length;
    }
    return { dirs: this.dirs.size, listings, names, builds: this.builds };
  }
}
