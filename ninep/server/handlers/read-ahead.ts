// Read-ahead for sequential readers. A client that reads a file one
// request at a time (diodcat, cat over a cache=none mount) leaves the
// server idle while the reply travels and the next request comes back; so
// after two sequential full reads, the server starts reading the next
// `count` bytes into a reply buffer, and the next Tread for exactly that
// range is answered from it.
//
// Coherence: the server listens to the changes of each exported Vfs
// (Vfs.onChange) and drops every read-ahead of a file as soon as that file
// changes (a write, a truncate, any change through any client, export or
// front end of the same Vfs; the Vfs announces it before the writing call
// returns), so a client never reads around a completed write. Writers on
// the host itself are announced when the export watches the host (the
// watcher raises the same change, within milliseconds); and whether watched
// or not, the file's ctime, taken before reading ahead, is compared when the
// read comes (one fstat), and a read-ahead of a file changed meanwhile is
// read again.
//
// Memory: a read-ahead buffer is as large as the read (up to msize) and
// would stay on an open fid its client left idle. The server keeps all of
// them within readAheadBytes (ReadAheads below): a new one that would pass
// it drops those started longest ago, whose reads are then simply read
// again when they come.

import { beginRread, finishData, DATA_REPLY_HEADER } from '../../codec/index.js';
import type { NodeId } from '../../../src/types.js';
import type { Vfs } from '../../../src/vfs.js';
import type { Fid, FileOpen } from '../fids.js';
import type { Session } from '../session.js';
import type { FrameReply } from './types.js';

/** Reads smaller than this are not worth reading ahead. */
const MIN_READ_AHEAD = 64 * 1024;

export interface ReadAhead {
  owner: ReadAheads;
  offset: bigint;
  count: number;
  /** The file read, dropped when it changes. */
  vfs: Vfs;
  node: NodeId;
  buf: Buffer;
  release: (() => void) | undefined;
  /** Bytes read; rejects as the read would. */
  done: Promise<number>;
  /** The file's ctime before the read started; undefined when it could not be taken. */
  ctime: Promise<bigint | undefined>;
}

/** The read-aheads of the whole server, oldest first, within a byte limit. */
export class ReadAheads {
  private readonly live = new Map<ReadAhead, FileOpen>();
  /** The live ones by file, to drop them when it changes. */
  private readonly byNode = new Map<Vfs, Map<NodeId, Set<ReadAhead>>>();
  private bytes = 0;

  constructor(readonly limit: number) {}

  /** Bytes of the read-ahead buffers now kept. */
  get held(): number {
    return this.bytes;
  }

  /** Makes room for `n` bytes by dropping the oldest; false when `n` alone is too many. */
  admit(n: number): boolean {
    if (n > this.limit) return false;
    for (const a of this.live.keys()) {
      if (this.bytes + n <= this.limit) break;
      this.drop(a);
    }
    return true;
  }

  add(a: ReadAhead, open: FileOpen): void {
    this.live.set(a, open);
    this.bytes += a.buf.length;
    let nodes = this.byNode.get(a.vfs);
    if (nodes === undefined) this.byNode.set(a.vfs, (nodes = new Map()));
    let set = nodes.get(a.node);
    if (set === undefined) nodes.set(a.node, (set = new Set()));
    set.add(a);
  }

  /** Settles once every read-ahead kept now has finished reading (for tests). */
  async finished(): Promise<void> {
    await Promise.allSettled([...this.live.keys()].map((a) => a.done));
  }

  /** `node` of `vfs` changed: its read-aheads may hold old bytes. */
  changed(vfs: Vfs, node: NodeId): void {
    const set = this.byNode.get(vfs)?.get(node);
    if (set !== undefined) for (const a of [...set]) this.drop(a);
  }

  /** No longer kept (taken by its read, discarded or dropped). */
  forget(a: ReadAhead): void {
    if (!this.live.delete(a)) return;
    this.bytes -= a.buf.length;
    const nodes = this.byNode.get(a.vfs);
    const set = nodes?.get(a.node);
    set?.delete(a);
    if (set?.size === 0) nodes?.delete(a.node);
    if (nodes?.size === 0) this.byNode.delete(a.vfs);
  }

  private drop(a: ReadAhead): void {
    const open = this.live.get(a);
    if (open?.ahead === a) open.ahead = undefined;
    void discardReadAhead(a);
  }
}

/** Gives the buffer back once the read is over (its result is not wanted). */
export function discardReadAhead(a: ReadAhead | undefined): Promise<void> {
  if (a === undefined) return Promise.resolve();
  a.owner.forget(a);
  return a.done.then(
    () => a.release?.(),
    () => a.release?.(),
  );
}

/** The reply from a matching read-ahead, or undefined (then read as usual). */
export async function takeReadAhead(open: FileOpen, tag: number, offset: bigint, count: number): Promise<FrameReply | undefined> {
  const a = open.ahead;
  open.ahead = undefined;
  if (a === undefined) return undefined;
  a.owner.forget(a);
  if (a.offset !== offset || a.count !== count) {
    void discardReadAhead(a);
    return undefined;
  }
  let n: number;
  try {
    n = await a.done;
  } catch {
    a.release?.();
    return undefined; // read again, and report that read's error
  }
  if (await changedOnHost(a, open)) {
    a.release?.();
    return undefined;
  }
  beginRread(a.buf, tag); // the header of this request; the data is in place
  const reply: FrameReply = { frame: finishData(a.buf, n) };
  if (a.release !== undefined) reply.release = a.release;
  return reply;
}

/** Whether the file's ctime moved since the read-ahead began (a write made on the host). */
async function changedOnHost(a: ReadAhead, open: FileOpen): Promise<boolean> {
  const before = await a.ctime;
  const now = await a.vfs.getattr(a.node, open.handle).then((x) => x.ctime, () => undefined);
  return before === undefined || now === undefined || now !== before;
}

/** After a read of [offset, offset+n): remember where it ended, and read ahead if it continued the last one. */
export function afterRead(s: Session, f: Fid, open: FileOpen, offset: bigint, count: number, n: number): void {
  const sequential = open.nextOffset === offset;
  open.nextOffset = offset + BigInt(n);
  if (!sequential || n < count || count < MIN_READ_AHEAD || open.ahead !== undefined) return;
  // Clunked while this read ran: the handle is released, read nothing more.
  if (f.gone || f.open !== open) return;
  const owner = s.readAheads;
  if (!owner.admit(s.dataBufferSize(DATA_REPLY_HEADER + count))) return;
  const { buf, release } = s.dataBuffer(DATA_REPLY_HEADER + count);
  const at = open.nextOffset;
  const ctime = f.exp.vfs.getattr(f.node, open.handle).then((x) => x.ctime, () => undefined);
  const done = f.exp.vfs.read(open.handle, at, buf.subarray(DATA_REPLY_HEADER, DATA_REPLY_HEADER + count));
  done.catch(() => {}); // a failed read-ahead is reported by the real read, if one comes
  open.ahead = { owner, offset: at, count, vfs: f.exp.vfs, node: f.node, buf, release, done, ctime };
  owner.add(open.ahead, open);
}
