// Fid allocation. A fid is the client's name for a file on the server
// (intro(5): "the fid ... is chosen by the client"); it is free again once
// Tclunk or Tremove has been answered, successfully or not (clunk(5): "even
// if the clunk returns an error, the fid is no longer valid"; remove(5)
// likewise). NOFID (~0) is never handed out.

import { NOFID } from '../codec/index.js';

export class FidPool {
  private readonly free: number[] = [];
  private next: number;
  private readonly live = new Set<number>();

  constructor(first = 1) {
    this.next = first;
  }

  take(): number {
    const fid = this.free.pop() ?? this.next++;
    if (fid >= NOFID) throw new RangeError('fid space exhausted');
    this.live.add(fid);
    return fid;
  }

  give(fid: number): void {
    if (this.live.delete(fid)) this.free.push(fid);
  }

  /** Fids in use. */
  get inUse(): number {
    return this.live.size;
  }

  /** Forgets every fid (after a new Tversion, which clunks them all: version(5)). */
  reset(): void {
    for (const fid of this.live) this.free.push(fid);
    this.live.clear();
  }
}
