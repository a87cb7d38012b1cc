// Multi-request helpers over a Client, in whichever dialect it speaks: walk
// a path, read or write a whole file in msize-sized pipelined chunks, list a
// directory to the end, stat, mkdir, remove and rename by path.

import {
  MAXWELEM,
  OREAD,
  OTRUNC,
  OWRITE,
  DMDIR,
  P9_DOTL_AT_REMOVEDIR,
  P9_DOTL_CREATE,
  P9_DOTL_DIRECTORY,
  P9_DOTL_RDONLY,
  P9_DOTL_TRUNC,
  P9_DOTL_WRONLY,
  P9_GETATTR_BASIC,
  unpackDirents,
  unpackStats,
  type Qid,
  type Stat,
  type StatU,
} from '../codec/index.js';
import type { Client, Name, Opened } from './client.js';
import { ClientError, NinepError } from './errors.js';
import { dontTouchStat, infoFromGetattr, infoFromStat, type FileInfo } from './fileinfo.js';

/** How many reads or writes a whole-file helper keeps in flight. */
const WINDOW = 4;

export function isDotL(c: Client): boolean {
  return c.dialect.name === '9P2000.L';
}

/** Path components: empty and "." dropped; ".." kept for the server to resolve. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** The parent's components and the last name; rejects a path naming the root. */
export function splitParent(path: string): { parent: string[]; name: string } {
  const parts = splitPath(path);
  const name = parts.pop();
  if (name === undefined || name === '..') throw new ClientError('usage', `"${path}" has no last name to act on`);
  return { parent: parts, name };
}

/**
 * Walks `names` from fid to a new fid, MAXWELEM names per Twalk (walk(5):
 * "nwname ... must not exceed MAXWELEM"). A short walk rejects with
 * NinepError ENOENT naming the first element that was not found.
 */
export async function walkNames(c: Client, from: number, names: readonly Name[]): Promise<number> {
  let fid: number | undefined;
  let done = 0;
  do {
    const part = names.slice(done, done + MAXWELEM);
    const r = await c.walk(fid ?? from, part, fid);
    if (r.fid === undefined) {
      if (fid !== undefined) await c.clunk(fid);
      const missing = names[done + r.wqid.length];
      throw new NinepError('Twalk', 'ENOENT', undefined, `${String(missing)}: not found`);
    }
    fid = r.fid;
    done += part.length;
  } while (done < names.length);
  return fid;
}

export function walkPath(c: Client, from: number, path: string): Promise<number> {
  return walkNames(c, from, splitPath(path));
}

/** Runs fn on a fid walked to path, clunking it afterwards whatever happens. */
export async function withPath<T>(c: Client, from: number, path: string, fn: (fid: number) => Promise<T>): Promise<T> {
  const fid = await walkPath(c, from, path);
  try {
    return await fn(fid);
  } finally {
    await c.clunk(fid).catch(() => undefined);
  }
}

/** Opens fid for reading (OREAD or O_RDONLY), or for writing with truncation. */
export function openFid(c: Client, fid: number, how: 'read' | 'write-trunc' | 'dir'): Promise<Opened> {
  if (isDotL(c)) {
    const flags = how === 'write-trunc' ? P9_DOTL_WRONLY | P9_DOTL_TRUNC : how === 'dir' ? P9_DOTL_RDONLY | P9_DOTL_DIRECTORY : P9_DOTL_RDONLY;
    return c.lopen(fid, flags);
  }
  return c.open(fid, how === 'write-trunc' ? OWRITE | OTRUNC : OREAD);
}

/** Settles every promise, ignoring failures (requests we no longer care about). */
async function drain(ps: readonly Promise<unknown>[]): Promise<void> {
  await Promise.allSettled(ps);
}

/**
 * Reads an opened fid from `offset` to end of file, WINDOW requests in flight,
 * handing each chunk to sink in order. A short read (fewer bytes than asked,
 * but not zero) is not taken as the end: reading resumes right after it.
 */
export async function readAll(c: Client, fid: number, iounit: number, sink: (chunk: Buffer) => void, offset = 0n): Promise<bigint> {
  const unit = BigInt(iounit);
  let next = offset;
  let queue: { at: bigint; p: Promise<Buffer> }[] = [];
  try {
    for (;;) {
      while (queue.length < WINDOW) {
        queue.push({ at: next, p: c.read(fid, next, iounit) });
        next += unit;
      }
      const head = queue.shift() as { at: bigint; p: Promise<Buffer> };
      const data = await head.p;
      if (data.length === 0) return head.at;
      sink(data);
      if (data.length < iounit) {
        await drain(queue.map((q) => q.p));
        queue = [];
        next = head.at + BigInt(data.length);
      }
    }
  } finally {
    await drain(queue.map((q) => q.p));
  }
}

/** Writes all of data to an opened fid at offset, WINDOW requests in flight. */
export async function writeAll(c: Client, fid: number, iounit: number, data: Buffer, offset = 0n): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const batch: { len: number; p: Promise<number> }[] = [];
    for (let at = done; at < data.length && batch.length < WINDOW; at += iounit) {
      const chunk = data.subarray(at, Math.min(at + iounit, data.length));
      batch.push({ len: chunk.length, p: c.write(fid, offset + BigInt(at), chunk) });
    }
    const counts = await Promise.allSettled(batch.map((b) => b.p));
    for (const [i, r] of counts.entries()) {
      if (r.status === 'rejected') throw r.reason;
      const want = (batch[i] as { len: number }).len;
      done += r.value;
      // A short write: what follows it was written at the wrong place; redo from here.
      if (r.value < want) break;
    }
    if (counts.some((r) => r.status === 'fulfilled' && r.value === 0)) {
      throw new ClientError('protocol', `server wrote 0 bytes at offset ${offset + BigInt(done)}`);
    }
  }
}

export async function readFile(c: Client, root: number, path: string): Promise<Buffer> {
  return withPath(c, root, path, async (fid) => {
    const { iounit } = await openFid(c, fid, 'read');
    const chunks: Buffer[] = [];
    await readAll(c, fid, iounit, (b) => chunks.push(b));
    return Buffer.concat(chunks);
  });
}

/** Creates or truncates path and writes data into it. */
export async function writeFile(c: Client, root: number, path: string, data: Buffer, mode = 0o644): Promise<void> {
  const { parent, name } = splitParent(path);
  const dir = await walkNames(c, root, parent);
  let fid = dir;
  try {
    let opened: Opened;
    // walk(5): a first element that cannot be walked is an error reply, not a short Rwalk.
    const existing = await c.walk(dir, [name]).catch((e: unknown) => {
      if (e instanceof NinepError && e.code === 'ENOENT') return { fid: undefined };
      throw e;
    });
    if (existing.fid !== undefined) {
      await c.clunk(dir);
      fid = existing.fid;
      opened = await openFid(c, fid, 'write-trunc');
    } else if (isDotL(c)) {
      opened = await c.lcreate(dir, name, P9_DOTL_WRONLY | P9_DOTL_CREATE | P9_DOTL_TRUNC, mode);
    } else {
      opened = await c.create(dir, name, mode, OWRITE);
    }
    await writeAll(c, fid, opened.iounit, data);
  } finally {
    await c.clunk(fid).catch(() => undefined);
  }
}

export interface ListEntry {
  name: Buffer;
  qid: Qid;
  /** DT_* type (.L readdir), undefined for 9P2000/.u. */
  dtype: number | undefined;
  /** The full stat (9P2000/.u directory reads carry one per entry). */
  stat: Stat | StatU | undefined;
}

/**
 * Lists a directory to its end. 9P2000.L: Treaddir from each last entry's
 * offset until an empty reply. 9P2000/.u: Tread on the opened directory,
 * each offset the previous plus the bytes returned (read(5)).
 */
export async function readdirAll(c: Client, dir: number): Promise<ListEntry[]> {
  const fid = (await c.walk(dir, [])).fid as number;
  try {
    const { iounit } = await openFid(c, fid, 'dir');
    const out: ListEntry[] = [];
    let offset = 0n;
    for (;;) {
      if (isDotL(c)) {
        const ents = unpackDirents(await c.readdir(fid, offset, iounit));
        if (ents.length === 0) return out;
        for (const e of ents) out.push({ name: e.name, qid: e.qid, dtype: e.type, stat: undefined });
        offset = (ents[ents.length - 1] as { offset: bigint }).offset;
      } else {
        const data = await c.read(fid, offset, iounit);
        if (data.length === 0) return out;
        for (const st of unpackStats(data, c.dialect.name === '9P2000.u')) {
          out.push({ name: st.name, qid: st.qid, dtype: undefined, stat: st });
        }
        offset += BigInt(data.length);
      }
    }
  } finally {
    await c.clunk(fid).catch(() => undefined);
  }
}

export async function statFid(c: Client, fid: number): Promise<FileInfo> {
  return isDotL(c) ? infoFromGetattr(await c.getattr(fid, P9_GETATTR_BASIC)) : infoFromStat(await c.stat(fid));
}

export function statPath(c: Client, root: number, path: string): Promise<FileInfo> {
  return withPath(c, root, path, (fid) => statFid(c, fid));
}

export async function mkdirPath(c: Client, root: number, path: string, mode = 0o755): Promise<void> {
  const { parent, name } = splitParent(path);
  const dir = await walkNames(c, root, parent);
  try {
    if (isDotL(c)) await c.mkdir(dir, name, mode);
    else await c.create(dir, name, (DMDIR | mode) >>> 0, OREAD); // >>> 0: JS bit ops are signed
  } finally {
    await c.clunk(dir).catch(() => undefined);
  }
}

/** Removes a file or an empty directory. */
export async function removePath(c: Client, root: number, path: string): Promise<void> {
  const { parent, name } = splitParent(path);
  if (!isDotL(c)) return c.remove(await walkNames(c, root, [...parent, name]));
  const dir = await walkNames(c, root, parent);
  try {
    await c.unlinkat(dir, name, 0).catch(async (e: unknown) => {
      if (!(e instanceof NinepError)) throw e;
      // unlink(2) of a directory fails with EISDIR on Linux: then it is rmdir.
      if (e.code === 'EISDIR') return c.unlinkat(dir, name, P9_DOTL_AT_REMOVEDIR);
      // Servers without Tunlinkat (older diod) answer EOPNOTSUPP; Linux v9fs
      // then sends Tremove, and so do we.
      if (e.code === 'ENOTSUP') return c.remove(await walkNames(c, dir, [name]));
      throw e;
    });
  } finally {
    await c.clunk(dir).catch(() => undefined);
  }
}

/**
 * Renames from → to. 9P2000.L: Trenameat across directories. 9P2000 and .u
 * can only rename within a directory (stat(5): wstat of the name "in the
 * same directory"), so a move to another directory is refused here.
 */
export async function renamePath(c: Client, root: number, from: string, to: string): Promise<void> {
  const a = splitParent(from);
  const b = splitParent(to);
  if (isDotL(c)) {
    const olddir = await walkNames(c, root, a.parent);
    try {
      const newdir = await walkNames(c, root, b.parent);
      try {
        await c.renameat(olddir, a.name, newdir, b.name).catch(async (e: unknown) => {
          // Servers without Trenameat (older diod) answer EOPNOTSUPP; Linux v9fs
          // then falls back to Trename of a fid on the file, and so do we.
          if (!(e instanceof NinepError && e.code === 'ENOTSUP')) throw e;
          await withPath(c, olddir, a.name, (fid) => c.rename(fid, newdir, b.name));
        });
      } finally {
        await c.clunk(newdir).catch(() => undefined);
      }
    } finally {
      await c.clunk(olddir).catch(() => undefined);
    }
    return;
  }
  if (a.parent.join('/') !== b.parent.join('/')) {
    throw new ClientError('usage', `${c.dialect.name} renames only within one directory`);
  }
  await withPath(c, root, from, (fid) => {
    const st = dontTouchStat(c.dialect.name === '9P2000.u');
    st.name = Buffer.from(b.name, 'utf8');
    return c.wstat(fid, st);
  });
}
