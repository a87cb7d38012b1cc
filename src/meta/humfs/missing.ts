// What a data/ entry without a usable record looks like
// (ExportOptions.missingMetadata). Such entries appear when files are added
// on the host side, or when a crash fell between an operation's data step
// and its metadata step (`humfsify --check --repair` writes them then).
//
//   host     the host's own owner, mode and device number (the default)
//   default  defaultUid/defaultGid with defaultFileMode/defaultDirMode
//   hide     not there: ENOENT on lookup, absent from readdir
//
// The export's root is never hidden (an export without a root cannot be
// served): under `hide` it gets the defaults. Each entry is logged once per
// Vfs, by host inode; an unparsable record is logged as an error and then
// treated as missing.
//
// An entry the Vfs is making is seen without its record by a request that
// runs between the data step and the metadata step (only with concurrent
// clients: a Linux client holds the directory's lock across a create). That
// is no news for the log, so a missing record is logged LOG_DELAY_MS later,
// unless the store has written the entry's record by then (settled()). Not
// one event-loop turn: the entry exists as soon as the thread pool ran the
// syscall, and other callbacks may run before its completion is delivered.

import type { HostStat } from '../../host/stat.js';
import { identityKey } from '../../host/stat.js';
import type { Logger } from '../../log.js';
import type { VirtualAttr } from '../store.js';
import { S_IFDIR, S_IFLNK, S_IFMT } from '../../types.js';

export interface MissingPolicyOptions {
  missingMetadata: 'host' | 'default' | 'hide';
  defaultUid: number;
  defaultGid: number;
  defaultFileMode: number;
  defaultDirMode: number;
}

/** How long a missing record may be a creation in flight before it is logged. */
const LOG_DELAY_MS = 1000;

/** How many inodes the log-once memory keeps before it starts over (bounds memory on huge host-made trees). */
const LOGGED_MAX = 100_000;

export class MissingPolicy {
  private readonly logged = new Set<string>();
  /** Entries seen without a record this turn, by host inode: the message to log. */
  private readonly pending = new Map<string, string>();
  private flushing: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: MissingPolicyOptions,
    private readonly log: Logger,
  ) {}

  /** Attributes for `st` at `where` (for the log), or null to hide it; `bad` says why a record was rejected. */
  attr(st: HostStat, where: string, isRoot: boolean, bad: string | null): VirtualAttr | null {
    const policy = isRoot && this.o.missingMetadata === 'hide' ? 'default' : this.o.missingMetadata;
    this.logOnce(st, where, policy, bad);
    if (policy === 'hide') return null;
    if (policy === 'host') return { mode: st.mode, uid: st.uid, gid: st.gid, rdev: st.rdev };
    const type = st.mode & S_IFMT;
    const perm = type === S_IFDIR ? this.o.defaultDirMode : type === S_IFLNK ? 0o777 : this.o.defaultFileMode;
    return { mode: type | (perm & 0o7777), uid: this.o.defaultUid, gid: this.o.defaultGid, rdev: st.rdev };
  }

  /** The store wrote the record of `st` (a creation that was in flight): nothing to log. */
  settled(st: { dev: bigint; ino: bigint }): void {
    if (this.pending.size > 0) this.pending.delete(identityKey(st));
  }

  /** Log what is still pending now (the Vfs is closing). */
  close(): void {
    if (this.flushing !== null) clearTimeout(this.flushing);
    this.flush();
  }

  private logOnce(st: HostStat, where: string, policy: string, bad: string | null): void {
    const key = identityKey(st);
    if (this.logged.has(key)) return;
    const shown = policy === 'hide' ? 'hidden' : policy === 'host' ? "served with the host's owner and mode" : 'served with the default owner and mode';
    if (bad !== null) {
      this.remember(key);
      this.log.error(`humfs: bad metadata for ${where} (${bad}); ${shown}`);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.set(key, `humfs: no metadata for ${where}; ${shown}`);
    if (this.flushing === null) {
      this.flushing = setTimeout(() => this.flush(), LOG_DELAY_MS);
      this.flushing.unref();
    }
  }

  private flush(): void {
    this.flushing = null;
    for (const [key, message] of this.pending) {
      this.remember(key);
      this.log.warn(message);
    }
    this.pending.clear();
  }

  private remember(key: string): void {
    if (this.logged.size >= LOGGED_MAX) this.logged.clear();
    this.logged.add(key);
  }
}
