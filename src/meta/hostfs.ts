// hostfs: the host is the truth. Ownership and modes are the host inode's
// own, so a change goes straight to the host (as root the server can give
// new entries their creator's ownership; as another user the host keeps
// the serving user as owner, and chown is refused by the host).

import type { Host } from '../host/host.js';
import type { StatFs } from '../types.js';
import type { EntryInfo, MetadataStore, SetOwnerMode, StoreEntry, VirtualAttr } from './store.js';
import { S_IFLNK, S_IFMT } from '../types.js';

export class HostfsStore implements MetadataStore {
  readonly kind = 'hostfs';
  readonly specialFiles = 'host';
  /** The host keeps ownership and modes itself: each change is one syscall. */
  readonly ordered = false;

  /** `privileged`: the server runs as root and may chown. */
  constructor(
    private readonly host: Host,
    private readonly privileged: boolean,
  ) {}

  attr(e: EntryInfo): VirtualAttr {
    return { mode: e.st.mode, uid: e.st.uid, gid: e.st.gid, rdev: e.st.rdev };
  }

  async created(e: StoreEntry, init: VirtualAttr): Promise<void> {
    if (this.privileged && (e.st.uid !== init.uid || e.st.gid !== init.gid)) this.host.chown(e.fd, init.uid, init.gid);
    // The server's umask applied at creation; the client already applied its own.
    const isLink = (e.st.mode & S_IFMT) === S_IFLNK;
    if (!isLink && (e.st.mode & 0o7777) !== (init.mode & 0o7777)) this.host.chmod(e.fd, init.mode & 0o7777);
  }

  async linked(): Promise<void> {}

  async renamed(): Promise<void> {}

  async removed(): Promise<void> {}

  async setattr(e: StoreEntry, set: SetOwnerMode): Promise<void> {
    if (set.uid !== undefined || set.gid !== undefined) this.host.chown(e.fd, set.uid ?? -1, set.gid ?? -1);
    if (set.mode !== undefined) this.host.chmod(e.fd, set.mode & 0o7777);
  }

  async statfs(host: StatFs): Promise<StatFs> {
    return host;
  }
}
