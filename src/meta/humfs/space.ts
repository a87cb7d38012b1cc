// The superblock's size accounting: `total` is the size the guest sees,
// `used` what it has filled.
//
// What `used` counts: humfsify starts it at `du -sk data` (allocated bytes);
// from then on every change of a regular file's size moves it by exactly
// that change (apparent bytes, holes included), and removing the last name
// of a file frees its size. Apparent size is what can be known before a
// write runs, so a write that would pass `total` is refused with ENOSPC
// before a byte of it lands (nothing already written is lost), and it is an
// upper bound on what the data can allocate. A file written after its last
// name is gone (kept by an open handle) is not counted: its space comes back
// on close anyway.
//
// Size-changing calls on one inode run one at a time (a chain of promises per
// inode), so the size read before and after a change is that change's own.
// Writes inside the current size take no lock and change nothing.
//
// Persistence: the new `used` is written (atomically: temporary file, then
// rename) at most once per `flushDelayMs` while it changes, and always by
// close(), so the superblock is exact once the export is closed.

import { vfsError } from '../../errors.js';
import type { Host } from '../../host/host.js';
import { identityKey } from '../../host/stat.js';
import { writeFileAt } from '../../host/tree.js';
import type { Logger } from '../../log.js';
import type { StatFs } from '../../types.js';
import { HUMFS_LAYOUT, printSuperblock, type Superblock } from '../humfs-format.js';

const SUPERBLOCK = Buffer.from(HUMFS_LAYOUT.superblock);

export class SpaceAccount {
  private usedBytes: bigint;
  private readonly totalBytes: bigint;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly host: Host,
    /** O_PATH descriptor of the export folder (holding the superblock). */
    private readonly exportFd: number,
    private readonly sb: Superblock,
    private readonly flushDelayMs: number,
    private readonly log: Logger,
  ) {
    this.usedBytes = sb.used;
    this.totalBytes = sb.total;
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
    if (next > this.totalBytes) next = this.totalBytes;
    if (next === this.usedBytes) return;
    this.usedBytes = next;
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
    if (!this.dirty) return;
    this.dirty = false;
    const text = printSuperblock({ ...this.sb, used: this.usedBytes, total: this.totalBytes });
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
    const free = (this.totalBytes - this.usedBytes) / unit;
    return { ...host, bsize, blocks: this.totalBytes / unit, bfree: free, bavail: free };
  }

  /** See MetadataStore.resize. */
  async resize<T>(fd: number, newSize: (size: bigint) => bigint, change: () => Promise<T>): Promise<T> {
    const st = this.host.fstat(fd);
    if (st.nlink === 0 || newSize(st.size) === st.size) return change();
    return this.serial(identityKey(st), async () => {
      const before = this.host.fstat(fd).size;
      const target = newSize(before);
      if (target > before && this.usedBytes + (target - before) > this.totalBytes) throw vfsError('ENOSPC', 'write');
      try {
        return await change();
      } finally {
        this.adjust(this.sizeOf(fd, before) - before);
      }
    });
  }

  private sizeOf(fd: number, fallback: bigint): bigint {
    try {
      return this.host.fstat(fd).size;
    } catch {
      return fallback;
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
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }
}
