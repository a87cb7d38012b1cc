// Seeded protocol fuzz against the live server, in every dialect and both
// modes: well-framed requests of every type with mutated fields (fids that
// exist and fids that do not, "..", "/", NUL and overlong names, huge
// offsets and counts, random flags and modes), sent many at a time over a
// real socket, while a second client (9P2000.L) fuzzes the same tree at the
// same time. Whatever happens to the connections, afterwards:
//   - nothing threw anything but a VfsError (the server and the exports log
//     anything else as an error, collected here);
//   - nothing outside the export changed (a snapshot of the sibling tree,
//     which holds a second export the fuzz never attaches to);
//   - a new client still reads the second export byte-exact;
//   - once every connection is closed, the server holds no more descriptors
//     than before.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import {
  dialectByName,
  encode,
  EncodeError,
  NOTAG,
  type AnyMessage,
  type Dialect,
  type DialectName,
} from '../../../ninep/codec/index.js';
import { readFile } from '../../../ninep/client/index.js';
import { cases9P2000 } from '../../fixtures/ninep/frames-9p2000.js';
import { cases9P2000u } from '../../fixtures/ninep/frames-9p2000u.js';
import { cases9P2000L } from '../../fixtures/ninep/frames-9p2000L.js';
import { heldDescriptors, HUMFS_FOLDER_CACHE, metadataFolderDescriptors, waitFor } from '../../helpers/tmp-export.js';
import { below, prng } from '../../helpers/prng.js';
import { testModes, type RawConn, type Served } from './harness.js';
import type { Logger } from '../../../src/log.js';

/** Deeper runs by hand: HUMBRIDGE_FUZZ_REQUESTS=50000 HUMBRIDGE_FUZZ_SEED=7 node dist/test/ninep/e2e/fuzz.test.js */
const REQUESTS = Number(process.env['HUMBRIDGE_FUZZ_REQUESTS'] ?? 1500);
const SEED = Number(process.env['HUMBRIDGE_FUZZ_SEED'] ?? 0);
const BATCH = 24;
const PING_TAG = 0xfff0;

/**
 * One request template per message type of each dialect, from the golden
 * fixtures: a dialect's own cases replace those of 9P2000 (.u's attach and
 * wstat carry its extra fields).
 */
const TEMPLATES: Record<DialectName, AnyMessage[]> = {
  '9P2000': byType(cases9P2000),
  '9P2000.u': byType(cases9P2000, cases9P2000u),
  '9P2000.L': byType(cases9P2000, cases9P2000L),
};

function byType(...sets: readonly (readonly { msg: { type: string } }[])[]): AnyMessage[] {
  const m = new Map<string, AnyMessage>();
  for (const cases of sets) for (const c of cases) if (c.msg.type.startsWith('T')) m.set(c.msg.type, c.msg as AnyMessage);
  return [...m.values()];
}

/** The templates `d` can encode; 9P2000 attach and auth get the n_uname that .u and .L add. */
function templatesFor(d: Dialect, v: DialectName): AnyMessage[] {
  return TEMPLATES[v]
    .filter((t) => Object.hasOwn(d.table, t.type))
    .map((t) => (v !== '9P2000' && (t.type === 'Tattach' || t.type === 'Tauth') && !('n_uname' in t) ? ({ ...t, n_uname: 0 } as AnyMessage) : t));
}

const NAMES: readonly Buffer[] = [
  'a', 'b', 'sub', 'f', 'new', '.', '..', '', 'x/y', '../..', '../outside', 'a\0b', 'other', 'canary',
  'z'.repeat(255), 'z'.repeat(300), '\xff\xfe', 'link',
].map((s) => Buffer.from(s, 'latin1'));

const BIGS: readonly bigint[] = [0n, 1n, 4096n, 1n << 32n, 1n << 62n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

type Rand = () => number;

/** A new value like `v`: same kind, chosen to hit edges and existing fids. */
function mutateValue(rand: Rand, v: unknown, key: string): unknown {
  if (rand() < 0.35) return v;
  if (typeof v === 'number') {
    if (key === 'msize') return [0, 7, 4096, 8192, 65536, 0xffffffff][below(rand, 6)];
    const r = rand();
    if (r < 0.6) return below(rand, 8);
    if (r < 0.8) return [0xffff, 0xffffffff, 0x7fffffff, 0o177777, 0o20000 | 0o644, 0o60000 | 0o600][below(rand, 6)];
    return below(rand, 0x100000000);
  }
  if (typeof v === 'bigint') return BIGS[below(rand, BIGS.length)];
  if (typeof v === 'string') {
    if (key === 'version') return ['9P2000', '9P2000.u', '9P2000.L', 'bogus'][below(rand, 4)];
    if (key === 'aname') return ['', '/', 'nope'][below(rand, 3)];
    return NAMES[below(rand, NAMES.length)]?.toString('latin1');
  }
  if (Buffer.isBuffer(v)) {
    if (key === 'data') {
      const b = Buffer.alloc(below(rand, 64));
      for (let i = 0; i < b.length; i++) b[i] = below(rand, 256);
      return b;
    }
    return NAMES[below(rand, NAMES.length)];
  }
  if (Array.isArray(v)) return Array.from({ length: below(rand, 5) }, () => NAMES[below(rand, NAMES.length)]);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mutateValue(rand, x, k);
    return out;
  }
  return v;
}

/** A frame of a mutated request; falls back to the template when a mutation does not encode. */
function fuzzFrame(rand: Rand, d: Dialect, templates: readonly AnyMessage[], tag: number): Buffer {
  const t = templates[below(rand, templates.length)] as AnyMessage;
  // A Tversion resets the session; keep it rare so the rest gets exercised.
  if (t.type === 'Tversion' && rand() < 0.8) return fuzzFrame(rand, d, templates, tag);
  for (let attempt = 0; attempt < 4; attempt++) {
    const m: Record<string, unknown> = { type: t.type };
    for (const [k, v] of Object.entries(t)) if (k !== 'type') m[k] = mutateValue(rand, v, k);
    try {
      return encode(d, tag, m as never);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
    }
  }
  return encode(d, tag, t as never);
}

/** Version, then attach fid 0 as root and walk fid 1 to "sub" (so small fids name real files). */
async function start(s: Served, v: DialectName, d: Dialect): Promise<RawConn> {
  const raw = await s.raw();
  raw.send(encode(d, NOTAG, { type: 'Tversion', msize: 65536, version: v } as never));
  await raw.next();
  raw.send(encode(d, 1, { type: 'Tattach', fid: 0, afid: 0xffffffff, uname: 'root', aname: '', ...(v === '9P2000' ? {} : { n_uname: 0 }) } as never));
  await raw.next();
  raw.send(encode(d, 2, { type: 'Twalk', fid: 0, newfid: 1, wname: [Buffer.from('sub')] } as never));
  await raw.next();
  return raw;
}

const TVERSION = 100;
const RLERROR = 7;
const RERROR = 107;

/**
 * Waits for the reply to a Tflush sent on PING_TAG, counting the reply
 * types that arrive before it in `seen`; false if the connection closed.
 */
async function ping(raw: RawConn, d: Dialect, seen: Map<number, number>): Promise<boolean> {
  raw.send(encode(d, PING_TAG, { type: 'Tflush', oldtag: PING_TAG - 1 } as never));
  try {
    for (;;) {
      const r = await raw.next();
      if (r.readUInt16LE(5) === PING_TAG) return true;
      seen.set(r[4] as number, (seen.get(r[4] as number) ?? 0) + 1);
    }
  } catch {
    return false;
  }
}

/** One client sending REQUESTS mutated requests in batches; reply types seen and how often it had to reconnect. */
async function fuzzClient(s: Served, v: DialectName, seed: number): Promise<{ seen: Map<number, number>; reconnects: number }> {
  const d = dialectByName(v) as Dialect;
  const rand = prng(seed);
  const templates = templatesFor(d, v);
  let raw = await start(s, v, d);
  let reconnects = 0;
  const seen = new Map<number, number>();
  try {
    for (let sent = 0; sent < REQUESTS; sent += BATCH) {
      let versioned = false;
      for (let i = 0; i < BATCH; i++) {
        const frame = fuzzFrame(rand, d, templates, (sent + i) % 0xff00);
        versioned ||= frame[4] === TVERSION;
        raw.send(frame);
      }
      const alive = await ping(raw, d, seen);
      if (!alive) reconnects++;
      if (!alive || versioned) {
        // The connection was closed (a frame above a shrunken msize), or a
        // Tversion reset it, perhaps to another dialect: start afresh.
        raw.destroy();
        raw = await start(s, v, d);
      }
    }
  } finally {
    raw.destroy();
  }
  return { seen, reconnects };
}

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const name of fs.readdirSync(p).sort()) {
      const full = path.join(p, name);
      const st = fs.lstatSync(full);
      out.push(`${path.relative(dir, full)} ${st.mode} ${st.uid} ${st.gid} ${st.size} ${st.mtimeMs} ${st.nlink}`);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
}

function collectingLogger(errors: string[]): Logger {
  return { debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) };
}

const errors: string[] = [];

for (const v of ['9P2000.L', '9P2000.u', '9P2000'] as const) {
  testModes(
    test,
    `${v}: ${REQUESTS} mutated requests (seed ${SEED}): no unexpected exception, nothing outside touched, no descriptor leak`,
    { exports: ['other'], server: { logger: collectingLogger(errors), blockingLockWait: 20, maxMsize: 65536 } },
    async (s) => {
      errors.length = 0;
      fs.mkdirSync(path.join(s.dir, 'sub'));
      fs.writeFileSync(path.join(s.dir, 'sub', 'a'), 'inside');
      fs.symlinkSync('../../outside', path.join(s.dir, 'sub', 'link'));
      fs.mkdirSync(path.join(s.tmp.outside, 'canary'));
      fs.writeFileSync(path.join(s.tmp.outside, 'canary', 'secret'), 'do not touch');
      const otherFile = path.join(s.dirs.get('other') as string, 'kept');
      fs.writeFileSync(otherFile, 'second export');
      const outsideBefore = snapshot(s.tmp.outside);
      const warm = await s.attached(v);
      await warm.c.close();
      const fdsBefore = heldDescriptors();

      // This dialect's client, and a 9P2000.L client on the same tree at the same time.
      const [mine, other] = await Promise.all([fuzzClient(s, v, 0x9f00 + v.length + SEED * 0x10000), fuzzClient(s, '9P2000.L', 0x7e00 + v.length + SEED * 0x10000)]);
      const { reconnects } = mine;
      const seen = new Map(mine.seen);
      for (const [type, n] of other.seen) seen.set(type, (seen.get(type) ?? 0) + n);

      // The fuzz reached the handlers: many kinds of request succeeded, not only errors.
      const succeeded = [...seen].filter(([type]) => type !== RLERROR && type !== RERROR);
      const ok = succeeded.reduce((n, [, count]) => n + count, 0);
      assert.ok(succeeded.length >= 12, `reply types that were not errors: ${succeeded.map(([t]) => t).join(' ')}`);
      assert.ok(ok >= REQUESTS / 20, `${ok} successful replies`);
      assert.equal(errors, [], 'every failure was a VfsError, answered as an error reply');
      assert.equal(snapshot(s.tmp.outside), outsideBefore, 'nothing outside the export changed');
      const { c, root } = await s.attached(v, { aname: 'other' });
      assert.is((await readFile(c, root, 'kept')).toString(), 'second export');
      await c.close();
      await waitFor(() => heldDescriptors() <= fdsBefore);
      assert.ok(metadataFolderDescriptors() <= 2 * HUMFS_FOLDER_CACHE, 'the humfs folder caches stay bounded');
      assert.ok(reconnects < REQUESTS / BATCH, 'most batches ran on a live connection');
    },
  );
}

test.run();
