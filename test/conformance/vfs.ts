// The Vfs acceptance suite. Any store or wrapper runs it in a few lines:
//
//   vfsConformance('hostfs', { open: (dir) => openExport({ path: dir }) }).run();
//
// Each case gets a fresh temporary export and a fresh Vfs, and cleans both
// up even when it fails. Cases prepare their fixtures through the Vfs under
// test (or, for a read-only variant, through `openWritable`), so the suite
// fits any store whose on-disk layout differs from the served tree.

import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { VfsError } from '../../src/errors.js';
import type { ErrnoCode } from '../../src/errno.js';
import type { Cred, Entry, NodeId } from '../../src/types.js';
import type { Vfs } from '../../src/vfs.js';
import { gated, needRoot, type Missing } from '../helpers/gate.js';
import { tmpExport } from '../helpers/tmp-export.js';
import { registerAttrCases } from './attrs.js';
import { registerChangeCases } from './changes.js';
import { registerIoCases } from './io.js';
import { registerNamespaceCases } from './namespace.js';
import { registerDirCases } from './dirs.js';
import { registerReadOnlyCases } from './readonly.js';

export interface ConformanceTarget {
  /** The Vfs under test over export directory `dir`. */
  open(dir: string): Promise<Vfs>;
  /** A writable Vfs over the same directory, to prepare fixtures (default: open). */
  openWritable?(dir: string): Promise<Vfs>;
  /** Where the served files live on the host (default: dir itself). */
  dataDir?(dir: string): string;
  /** The variant refuses every change: run the EROFS cases instead of the change cases. */
  readonly?: boolean;
  /**
   * Where statfs sizes come from: `host` (default) the served tree's
   * filesystem; `store` the store itself (humfs: the superblock), so only
   * the host's inode counts and type are compared.
   */
  statfs?: 'host' | 'store';
}

export interface Env {
  /** The Vfs under test. */
  vfs: Vfs;
  /** A writable Vfs for fixtures (the same object unless the target is read-only). */
  prep: Vfs;
  /** Export directory and the host directory of the served files. */
  dir: string;
  data: string;
  /** Re-open the Vfs under test (the old one is closed). */
  reopen(): Promise<Vfs>;
  /** ConformanceTarget.statfs, defaulted. */
  statfs: 'host' | 'store';
}

/** Registers a case; with `missing` set (a prerequisite the machine lacks) it is skipped or, under HUMBRIDGE_REQUIRE_ALL=1, fails (test/helpers/gate.ts). */
export type Case = (name: string, fn: (env: Env) => Promise<void>, missing?: Missing) => void;

/** The caller's cred: the test process's own ids (root in CI). */
export const ME: Cred = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
export const IS_ROOT = ME.uid === 0;
/** The gate of cases that only root can run (giving files away, device nodes, other users' creds). */
export const NEEDS_ROOT: Missing = needRoot('act for other users and make device nodes');

export const B = (s: string): Buffer => Buffer.from(s);

/** Resolves when `p` rejects with a VfsError carrying `code`. */
export async function rejects(p: Promise<unknown>, code: ErrnoCode, what = ''): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, VfsError, `${what}: not a VfsError: ${String(e)}`);
    assert.is((e as VfsError).code, code, what);
    return;
  }
  assert.unreachable(`${what}: expected ${code}`);
}

/** Walk a slash-separated path from the root, one lookup per name. */
export async function walk(vfs: Vfs, path: string): Promise<Entry> {
  let cur: Entry = { id: vfs.root, attr: await vfs.getattr(vfs.root) };
  for (const part of path.split('/').filter((p) => p !== '')) cur = await vfs.lookup(ME, cur.id, B(part));
  return cur;
}

/** Create a file with `content` through the Vfs and release its handle. */
export async function writeFile(vfs: Vfs, parent: NodeId, name: string | Buffer, content: string | Buffer, mode = 0o644): Promise<Entry> {
  const { entry, handle } = await vfs.create(ME, parent, typeof name === 'string' ? B(name) : name, 0o1 | 0o100, mode);
  const data = typeof content === 'string' ? B(content) : content;
  if (data.length > 0) assert.is(await vfs.write(handle, 0n, data), data.length);
  await vfs.release(handle);
  return entry;
}

/** Whole contents of a file node through open/read/release. */
export async function readAll(vfs: Vfs, id: NodeId): Promise<Buffer> {
  const h = await vfs.open(ME, id, 0);
  try {
    const chunks: Buffer[] = [];
    for (let off = 0n; ; ) {
      const buf = Buffer.alloc(65536);
      const n = await vfs.read(h, off, buf);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      off += BigInt(n);
    }
    return Buffer.concat(chunks);
  } finally {
    await vfs.release(h);
  }
}

/** Every name a directory lists (without '.' and '..'), resuming by cookie in pages of `page`. */
export async function listNames(vfs: Vfs, dir: NodeId, page = 1000): Promise<Buffer[]> {
  const h = await vfs.opendir(ME, dir);
  try {
    const out: Buffer[] = [];
    for (let cookie = 0n; ; ) {
      const batch = await vfs.readdir(h, cookie, page);
      if (batch.length === 0) break;
      for (const e of batch) if (!e.name.equals(B('.')) && !e.name.equals(B('..'))) out.push(e.name);
      cookie = (batch[batch.length - 1] as { cookie: bigint }).cookie;
    }
    return out;
  } finally {
    await vfs.releasedir(h);
  }
}

export function vfsConformance(name: string, target: ConformanceTarget): Test {
  const t = suite(`vfs conformance: ${name}`);
  const data = target.dataDir ?? ((d: string) => d);
  const add: Case = (caseName, fn, missing) =>
    gated(t, caseName, missing, async () => {
      const tmp = tmpExport();
      let vfs: Vfs | null = null;
      let prep: Vfs | null = null;
      try {
        prep = target.readonly ? await (target.openWritable ?? target.open)(tmp.dir) : null;
        vfs = await target.open(tmp.dir);
        const env: Env = {
          vfs,
          prep: prep ?? vfs,
          dir: tmp.dir,
          data: data(tmp.dir),
          statfs: target.statfs ?? 'host',
          reopen: async () => {
            await vfs?.close();
            vfs = await target.open(tmp.dir);
            env.vfs = vfs;
            if (prep === null) env.prep = vfs;
            return vfs;
          },
        };
        await fn(env);
      } finally {
        await vfs?.close();
        await prep?.close();
        tmp.cleanup();
      }
    });
  if (target.readonly) {
    registerReadOnlyCases(add);
  } else {
    registerAttrCases(add);
    registerIoCases(add);
    registerNamespaceCases(add);
    registerDirCases(add);
    registerChangeCases(add);
  }
  return t;
}
