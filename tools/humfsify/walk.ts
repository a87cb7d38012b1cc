// A streaming, pre-order walk of a host tree with Buffer paths (host names
// need not be UTF-8). It holds one open directory stream per level and a
// small read-ahead per stream, never a whole tree or a whole directory:
// memory does not grow with the number of files.
//
// Synchronous calls on purpose: each operation is a small metadata syscall,
// where the promise API's per-call cost would only add to the kernel's
// (see the note in convert.ts).
import fs from 'node:fs';

export interface WalkEntry {
  /** Path relative to the walk's base, '/'-separated; empty for the base itself. */
  rel: Buffer;
  /** Absolute path. */
  abs: Buffer;
  stat: fs.Stats;
  /** Set to false (when the entry is a directory) to skip what is below it. */
  descend: boolean;
}

const SLASH = Buffer.from('/');

export function joinPath(a: Buffer, name: Buffer): Buffer {
  return a.length === 0 ? name : Buffer.concat([a, SLASH, name]);
}

/** lstat that answers undefined for a missing entry (ENOENT, ENOTDIR). */
export function lstatMaybe(p: Buffer): fs.Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false });
}

interface Level {
  dir: fs.Dir;
  abs: Buffer;
  rel: Buffer;
}

/**
 * Yields the base (which must be a directory) and then every entry below it,
 * each directory before its contents. Entries are lstat'ed: symlinks are
 * reported, never followed. A directory is opened only after the consumer
 * has handled its entry, so the consumer may chmod or chown it first.
 */
export function* walk(base: Buffer): Generator<WalkEntry, void, undefined> {
  const root: WalkEntry = { rel: Buffer.alloc(0), abs: base, stat: fs.lstatSync(base), descend: true };
  yield root;
  if (!root.stat.isDirectory() || !root.descend) return;
  const stack: Level[] = [open(base, root.rel)];
  try {
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as Level;
      const dirent = top.dir.readSync();
      if (dirent === null) {
        top.dir.closeSync();
        stack.pop();
        continue;
      }
      // With encoding 'buffer' the names are Buffers; the typings say string.
      const name = dirent.name as unknown as Buffer;
      const abs = joinPath(top.abs, name);
      const entry: WalkEntry = { rel: joinPath(top.rel, name), abs, stat: fs.lstatSync(abs), descend: true };
      yield entry;
      if (entry.stat.isDirectory() && entry.descend) stack.push(open(abs, entry.rel));
    }
  } finally {
    for (const level of stack) closeQuietly(level.dir);
  }
}

function open(abs: Buffer, rel: Buffer): Level {
  // The typings want a string path; Node accepts a Buffer (non-UTF-8 names).
  const dir = fs.opendirSync(abs as unknown as string, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
  return { dir, abs, rel };
}

function closeQuietly(dir: fs.Dir): void {
  try {
    dir.closeSync();
  } catch {
    // already closed
  }
}
