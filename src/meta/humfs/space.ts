// The superblock's size accounting: `total` is the size the guest sees,
// `used` what it has filled.
//
// What `used` counts: the apparent sizes of the regular files in data/
// (holes included, each inode once however many names it has); directories,
// symlinks and records count nothing. Sizes, not allocated blocks, because a
// size is known before a write runs: a write or truncate that would take the
// sum past `total` is refused with ENOSPC before a byte of it lands (nothing
// already written is lost), and the sum is an upper bound on what the data
// can allocate. So a sparse file costs its whole size: a truncate to 900 TB
// in a 1 GiB export is ENOSPC, as a write there would be.
//
// Every byte is counted, also for a file whose last name is gone but which
// is still open: its size stays in `used` (and its writes are refused past
// `total`) until the core says its last open file was closed (closedUnlinked).
//
// Size-changing calls on one inode run one at a time (a chain of promises per
// inode), so the size read before and after a change is that change's own.
// Writes inside the current size take no lock and change nothing.
//
// Persistence: at start `used` is measured from data/ (open.ts; a crash
// between a write and the superblock's write-out, or a change made on the
// host, is thus never carried forward), and written out if the superblock
// said otherwise. Then the new `used` is written (atomically: temporary file,
// then rename) at most once per `flushDelayMs` while it changes, and always
// by close(). A value above `total` (files added on the host) is kept in
// memory, so writes stay refused, but written as `total`, the most a valid
// superblock can say.

import { vfsError } from '../../errors.js';
import type { Host } from '../../host/host.js';
import { identityKey, type HostStat } from '../../host/stat.js';
import { writeFileAt } from '../../host/tree.js';
import type { Logger } from '../../log.js';
import type { StatFs } from '../../types.js';
import { HUMFS_LAYOUT, printSuperblock, type Superblock } from '../humfs-format.js';

const SUPERBLOCK = Buffer.from(HUMFS_LAYOUT.superblock);
/** How long after a host change data/ is measured again (ms): one walk for a burst. */
const REMEASURE_MS = 500;

export class SpaceAccount {
  private usedBytes: bigint;
  private readonly totalBytes: bigint;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private remeasure: NodeJS.Timeout | null = null;
  /** How long the last walk of data/ took (ms). */
  private measureMs = 0;
  private readonly chains = new Map<string, Promise<void>>();
  /** Sizes still counted for files with no name left but open somewhere, by host inode. */
  private readonly unlinked = new Map<string, bigint>();

  constructor(
    private readonly host: Host,
    /** O_PATH descriptor of the export folder (holding the superblock). */
    private readonly exportFd: number,
    private readonly sb: Superblock,
    /** What data/ holds now (measured at open); replaces the superblock's `used`. */
    measured: bigint,
    private readonly flushDelayMs: number,
    private readonly log: Logger,
    /** Never write the superblock (a read-only export). */
    private readonly readonly = false,
  ) {
    this.usedBytes = measured;
    this.totalBytes = sb.total;
    if (measured !== sb.used) {
      log.info(`humfs: the superblock said used ${sb.used}, data/ holds ${measured} bytes; serving with ${measured}`);
      if (measured > sb.total) log.warn(`humfs: data/ holds ${measured} bytes, more than total ${sb.total}: writes that grow files are refused`);
      if (!readonly) this.markDirty();
    }
  }

  get used(): bigint {
    return this.usedBytes;
  }

  get total(): bigint {
    return this.totalBytes;
  }

  /** `used` moves by `delta` bytes (clamped to 0..total) and is written out soon. */
  adjust(delta: bigint): void {
    if (delta === 0n) return;
    let next = this.usedBytes + delta;
    if (next < 0n) next = 0n;
    if (next === this.usedBytes) return;
    this.usedBytes = next;
    this.markDirty();
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.timer === null && this.flushDelayMs >= 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.flushDelayMs);
      // A pending write-out must not keep a process alive; close() writes it anyway.
      this.timer.unref();
    }
  }

  /** Write the superblock now if `used` changed since the last write. */
  flush(): void {
    if (!this.dirty || this.readonly) return;
    this.dirty = false;
    const used = this.usedBytes > this.totalBytes ? this.totalBytes : this.usedBytes;
    const text = printSuperblock({ ...this.sb, used, total: this.totalBytes });
    try {
      writeFileAt(this.exportFd, SUPERBLOCK, Buffer.from(text, 'latin1'));
    } catch (e) {
      this.dirty = true;
      this.log.error(`humfs: cannot update the superblock: ${String(e)}`);
    }
  }

  /** statfs as the guest sees it: `total` as the size, `used` as used; inode counts are the host's. */
  statfs(host: StatFs): StatFs {
    const bsize = host.bsize > 0 ? host.bsize : 4096;
    const unit = BigInt(bsize);
    const free = this.usedBytes >= this.totalBytes ? 0n : (this.totalBytes - this.usedBytes) / unit;
    return { ...host, bsize, blocks: this.totalBytes / unit, bfree: free, bavail: free };
  }

  /** See MetadataStore.resize. */
  async resize<T>(fd: number, newSize: (size: bigint) => bigint, change: () => Promise<T>): Promise<T> {
    const st = this.host.fstat(fd);
    if (newSize(st.size) === st.size) return change();
    const key = identityKey(st);
    return this.serial(key, async () => {
      const now = this.host.fstat(fd);
      const before = now.size;
      const target = newSize(before);
      if (target > before && this.usedBytes + (target - before) > this.totalBytes) throw vfsError('ENOSPC', 'write');
      try {
        return await change();
      } finally {
        const end = this.statOf(fd);
        const after = end?.size ?? before;
        const counted = this.unlinked.get(key);
        // Nameless when this began and no longer counted: closedUnlinked
        // freed its bytes already (nothing had it open when its last name
        // went; a reference reached it since), so `used` has none of them.
        if (now.nlink !== 0 || counted !== undefined) {
          this.adjust(after - before);
          // Nameless and counted (also one unlinked while this ran): counted at its size now until it is closed.
          if ((end ?? now).nlink === 0 && counted !== undefined) this.unlinked.set(key, after);
        }
      }
    });
  }

  /**
   * The host changed files in data/ behind the server (the watcher saw it):
   * `used` is measured again by `measure` (a walk of data/), once for a burst
   * of changes, REMEASURE_MS after the first, and never more than a tenth
   * of the time (the walk blocks: a big tree under a busy host build must
   * not keep the server walking). Files still counted while open without a
   * name stay counted.
   */
  hostChanged(measure: () => bigint): void {
    if (this.remeasure !== null) return;
    this.remeasure = setTimeout(() => {
      this.remeasure = null;
      const start = Date.now();
      try {
        let open = 0n;
        for (const size of this.unlinked.values()) open += size;
        this.adjust(measure() + open - this.usedBytes);
      } catch (e) {
        this.log.warn(`humfs: measuring data/ after host changes failed: ${String(e)}`);
      }
      this.measureMs = Date.now() - start;
    }, Math.max(REMEASURE_MS, 10 * this.measureMs));
    this.remeasure.unref();
  }

  /** The last name of the regular file `st` (its lstat before) was removed: its size stays counted while it is open. */
  nameless(st: { dev: bigint; ino: bigint; size: bigint }): void {
    this.unlinked.set(identityKey(st), st.size);
  }

  /** The nameless file `st` has no open file left: the host frees its bytes now, and so does `used`. */
  closedUnlinked(st: { dev: bigint; ino: bigint }): void {
    const key = identityKey(st);
    const size = this.unlinked.get(key);
    if (size === undefined) return;
    this.unlinked.delete(key);
    this.adjust(-size);
  }

  private statOf(fd: number): HostStat | undefined {
    try {
      return this.host.fstat(fd);
    } catch {
      return undefined;
    }
  }

  private async serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.chains.get(key) ?? Promise.resolve();
    let done = (): void => undefined;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const chain = before.then(() => mine);
    this.chains.set(key, chain);
    await before;
    try {
      return await fn();
    } finally {
      done();
      if (this.chains.get(key) === chain) this.chains.delete(key);
    }
  }

  /** Stop the timer and write out what is pending. */
  close(): void {
    if (this.remeasure !== null) clearTimeout(this.remeasure);
    this.remeasure = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}
