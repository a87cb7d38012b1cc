// Read-ahead for sequential readers. A client that reads a file one
// request at a time (diodcat, cat over a cache=none mount) leaves the
// server idle while the reply travels and the next request comes back; so
// after two sequential full reads, the server starts reading the next
// `count` bytes into a reply buffer, and the next Tread for exactly that
// range is answered from it.
//
// Coherence: the server counts every request that may change a file
// (Server.generation, bumped when such a request starts and when it ends).
// A read-ahead is used only if no such request started or ended since it
// began, so a client never reads around its own or another 9P client's
// completed writes. Writers on the host itself are not seen, exactly as
// with any read that raced them.
//
// Memory: a read-ahead buffer is as large as the read (up to msize) and
// would stay on an open fid its client left idle. The server keeps all of
// them within readAheadBytes (ReadAheads below): a new one that would pass
// it drops those started longest ago, whose reads are then simply read
// again when they come.

import { beginRread, finishData, DATA_REPLY_HEADER } from '../../codec/index.js';
import type { Fid, FileOpen } from '../fids.js';
import type { Session } from '../session.js';
import type { FrameReply } from './types.js';

/** Reads smaller than this are not worth reading ahead. */
const MIN_READ_AHEAD = 64 * 1024;

export interface ReadAhead {
  owner: ReadAheads;
  offset: bigint;
  count: number;
  generation: number;
  buf: Buffer;
  release: (() => void) | undefined;
  /** Bytes read; rejects as the read would. */
  done: Promise<number>;
}

/** The read-aheads of the whole server, oldest first, within a byte limit. */
export class ReadAheads {
  private readonly live = new Map<ReadAhead, FileOpen>();
  private bytes = 0;

  constructor(readonly limit: number) {}

  /** Bytes of the read-ahead buffers now kept. */
  get held(): number {
    return this.bytes;
  }

  /** Makes room for `n` bytes by dropping the oldest; false when `n` alone is too many. */
  admit(n: number): boolean {
    if (n > this.limit) return false;
    for (const [a, open] of this.live) {
      if (this.bytes + n <= this.limit) break;
      if (open.ahead === a) open.ahead = undefined;
      void discardReadAhead(a);
    }
    return true;
  }

  add(a: ReadAhead, open: FileOpen): void {
    this.live.set(a, open);
    this.bytes += a.buf.length;
  }

  /** No longer kept (taken by its read, discarded or dropped). */
  forget(a: ReadAhead): void {
    if (this.live.delete(a)) this.bytes -= a.buf.length;
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
export async function takeReadAhead(s: Session, open: FileOpen, tag: number, offset: bigint, count: number): Promise<FrameReply | undefined> {
  const a = open.ahead;
  open.ahead = undefined;
  if (a === undefined) return undefined;
  a.owner.forget(a);
  if (a.offset !== offset || a.count !== count || a.generation !== s.generation) {
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
  beginRread(a.buf, tag); // the header of this request; the data is in place
  const reply: FrameReply = { frame: finishData(a.buf, n) };
  if (a.release !== undefined) reply.release = a.release;
  return reply;
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
  const done = f.exp.vfs.read(open.handle, at, buf.subarray(DATA_REPLY_HEADER, DATA_REPLY_HEADER + count));
  done.catch(() => {}); // a failed read-ahead is reported by the real read, if one comes
  open.ahead = { owner, offset: at, count, generation: s.generation, buf, release, done };
  owner.add(open.ahead, open);
}
