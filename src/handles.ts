// Open files and directory streams. A handle owns its own descriptor (an I/O
// descriptor for a file, a second O_PATH descriptor for a directory), so it
// keeps working after its node's name is unlinked or renamed, and it keeps
// its node in the table (Node.opens). A handle is only ever used with the
// node it was opened on (virtiofsd find_handle): EBADF otherwise.
// A release waits for the calls still using the handle's descriptor before
// closing it: closing under an in-flight read would let the number be
// reused by another open, and the read would land in the wrong file.

import { vfsError } from './errors.js';
import type { Node } from './nodes.js';
import type { Cred, HandleId, NodeId } from './types.js';
import { O_TRUNC } from './types.js';

export interface FileHandle {
  readonly kind: 'file';
  readonly id: HandleId;
  readonly node: Node;
  readonly fd: number;
  /** Linux O_* flags it was opened with (access mode, O_APPEND, ...). */
  readonly flags: number;
  /**
   * Who opened it. Writes carry no cred of their own (a 9P fid or a FUSE
   * file acts for its opener), so the opener decides whether a write
   * clears setuid/setgid.
   */
  readonly cred: Cred;
  /**
   * Data may have changed through it (a write, truncate, fallocate, O_TRUNC,
   * or the kernel's passthrough writes): its close may have something to
   * write back. Until then it is closed as cheaply as a read-only one.
   */
  written: boolean;
  busy: number;
  waiters: Array<() => void>;
}

export interface DirHandle {
  readonly kind: 'dir';
  readonly id: HandleId;
  readonly node: Node;
  readonly fd: number;
  /** False until its first readdir (which checks the directory's shared listing is current). */
  listed: boolean;
  busy: number;
  waiters: Array<() => void>;
}

export type Handle = FileHandle | DirHandle;

export class HandleTable {
  private nextId = 1;
  private readonly handles = new Map<HandleId, Handle>();

  addFile(node: Node, fd: number, flags: number, cred: Cred): FileHandle {
    const h: FileHandle = { kind: 'file', id: this.nextId++, node, fd, flags, cred, written: (flags & O_TRUNC) !== 0, busy: 0, waiters: [] };
    node.opens++;
    this.handles.set(h.id, h);
    return h;
  }

  addDir(node: Node, fd: number): DirHandle {
    const h: DirHandle = { kind: 'dir', id: this.nextId++, node, fd, listed: false, busy: 0, waiters: [] };
    node.opens++;
    this.handles.set(h.id, h);
    return h;
  }

  file(id: HandleId, node?: NodeId): FileHandle {
    const h = this.handles.get(id);
    if (h === undefined || h.kind !== 'file' || (node !== undefined && h.node.id !== node)) throw vfsError('EBADF', 'handle', String(id));
    return h;
  }

  /** The file handle `id`, or undefined (no error) when there is none. */
  peekFile(id: HandleId): FileHandle | undefined {
    const h = this.handles.get(id);
    return h?.kind === 'file' ? h : undefined;
  }

  /** A file or directory handle opened on `node` (getattr/setattr through either). */
  any(id: HandleId, node: NodeId): Handle {
    const h = this.handles.get(id);
    if (h === undefined || h.node.id !== node) throw vfsError('EBADF', 'handle', String(id));
    return h;
  }

  dir(id: HandleId): DirHandle {
    const h = this.handles.get(id);
    if (h === undefined || h.kind !== 'dir') throw vfsError('EBADF', 'handle', String(id));
    return h;
  }

  /** Forget the handle; the caller closes its descriptor and updates the node. */
  remove(id: HandleId): Handle | undefined {
    const h = this.handles.get(id);
    if (h === undefined) return undefined;
    this.handles.delete(id);
    h.node.opens--;
    return h;
  }

  /** Run `fn` with the handle's descriptor, which stays open until `fn` settles. */
  async use<T>(h: Handle, fn: (fd: number) => Promise<T> | T): Promise<T> {
    h.busy++;
    try {
      return await fn(h.fd);
    } finally {
      h.busy--;
      if (h.busy === 0) for (const wake of h.waiters.splice(0)) wake();
    }
  }

  /** Resolves when no call uses the handle's descriptor any more. */
  drained(h: Handle): Promise<void> {
    return h.busy === 0 ? Promise.resolve() : new Promise((resolve) => h.waiters.push(resolve));
  }

  all(): Handle[] {
    return [...this.handles.values()];
  }

  get size(): number {
    return this.handles.size;
  }
}
