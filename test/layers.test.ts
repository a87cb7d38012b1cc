// Fails when a module imports across a layer boundary that DESIGN.md forbids.
// A plain scan of import specifiers in the TypeScript sources.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Rule {
  /** Files the rule applies to (repo-relative, forward slashes). */
  applies: (file: string) => boolean;
  /** Returns a reason when `target` (repo-relative path or `node:x` / package name) is forbidden. */
  forbids: (target: string, file: string) => string | undefined;
}

const under = (dir: string) => (p: string) => p === dir || p.startsWith(dir + '/');

const RULES: Rule[] = [
  {
    applies: under('src'),
    forbids: (t) => (under('ninep')(t) || under('fuse')(t) ? 'the VFS core knows nothing of 9P or FUSE' : undefined),
  },
  {
    // src/cow/layout.ts reads and writes a layer's manifest and walks the base for its identity: paths the administrator names, never a guest's.
    applies: (f) => under('src')(f) && !under('src/host')(f) && f !== 'src/cow/layout.ts',
    forbids: (t) =>
      t === 'node:fs' || t === 'node:fs/promises' || t === 'fs' || t === 'fs-xattr' || under('native')(t)
        ? 'only src/host opens export paths and makes host calls'
        : undefined,
  },
  {
    applies: (f) => under('src')(f) || under('fuse')(f),
    forbids: (t) => (under('native')(t) && t !== 'native/index.ts' ? 'the addon is reached only through native/index.ts' : undefined),
  },
  {
    applies: under('native'),
    forbids: (t) =>
      t === 'node:fs' || t === 'node:path' || t === 'node:module' || t === 'node:url'
        ? undefined
        : 'native/index.ts only loads the addon: it imports no layer of humbridge',
  },
  {
    applies: (f) => f === 'src/meta/humfs-format.ts',
    forbids: (t) => `the humfs format module is pure and imports nothing (found ${t})`,
  },
  {
    applies: under('ninep/codec'),
    forbids: (t) =>
      t === 'node:buffer' || under('ninep/codec')(t) || under('src/wire')(t)
        ? undefined
        : 'the codec is pure: it may import only node:buffer, src/wire and itself',
  },
  {
    applies: under('src/wire'),
    forbids: (t) =>
      t === 'node:buffer' || under('src/wire')(t) ? undefined : 'the wire layer is pure and protocol-neutral: only node:buffer and itself',
  },
  {
    applies: under('fuse/codec'),
    forbids: (t) =>
      t === 'node:buffer' || under('fuse/codec')(t) || under('src/wire')(t)
        ? undefined
        : 'the FUSE codec is pure: it may import only node:buffer, src/wire and itself',
  },
  {
    applies: (f) => f === 'ninep/framing.ts',
    forbids: (t) => (under('ninep/codec/dialects')(t) || under('src')(t) ? 'framing knows no messages' : undefined),
  },
  {
    applies: under('ninep/transport'),
    forbids: (t) =>
      under('ninep/codec')(t) || under('ninep/server')(t) || under('src')(t) ? 'transports only move bytes' : undefined,
  },
  {
    applies: under('ninep/server'),
    forbids: (t) => {
      if (t === 'node:fs' || t === 'node:fs/promises' || t === 'fs') return 'the server knows nothing of the host';
      if (under('src/host')(t) || under('src/meta')(t)) return 'the server reaches the store only through the Vfs contract';
      return undefined;
    },
  },
  {
    applies: under('fuse'),
    forbids: (t) =>
      under('ninep')(t) || under('src/host')(t) || under('src/meta')(t) ? 'FUSE reaches the store only through the Vfs contract' : undefined,
  },
  {
    applies: (f) => under('fuse')(f) && !under('fuse/codec')(f),
    forbids: (t, f) => {
      if (t === 'node:child_process' && f !== 'fuse/mount.ts' && f !== 'fuse/run-program.ts') return 'only fuse/mount.ts and run-program.ts run mount(8), umount(8) and fusermount3';
      if ((t === 'node:fs' || t === 'node:fs/promises') && !FUSE_FS_USERS.has(f)) {
        return 'node:fs is only for /dev/fuse (the session), the mountpoint and mountinfo (mount.ts, mountpoint.ts), fuse.conf and the socket pair (user-mount.ts)';
      }
      return undefined;
    },
  },
];

const FUSE_FS_USERS = new Set(['fuse/mount.ts', 'fuse/mountpoint.ts', 'fuse/session.ts', 'fuse/user-mount.ts']);

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Import targets of one source text, resolved to repo-relative paths for relative specifiers. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec === undefined) continue;
    if (spec.startsWith('.')) {
      const abs = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      out.push(abs.replace(/\.js$/, '.ts'));
    } else {
      out.push(spec);
    }
  }
  return out;
}

export function violations(file: string, text: string): string[] {
  const found: string[] = [];
  for (const target of importsOf(file, text)) {
    for (const rule of RULES) {
      if (!rule.applies(file)) continue;
      const why = rule.forbids(target, file);
      if (why !== undefined) found.push(`${file} imports ${target}: ${why}`);
    }
  }
  return found;
}

function sources(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const ent of fs.readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (!ent.isFile() || !ent.name.endsWith('.ts') || ent.name.endsWith('.d.ts')) continue;
    const full = path.join(ent.parentPath ?? ent.path, ent.name);
    out.push(path.relative(ROOT, full).split(path.sep).join('/'));
  }
  return out;
}

test('the scanner catches a forbidden import', () => {
  const bad = "import { Server } from '../ninep/server/server.js';\nimport fs from 'node:fs';\n";
  const found = violations('src/core.ts', bad);
  assert.is(found.length, 2, found.join('\n'));
  assert.equal(violations('ninep/codec/wire.ts', "import { x } from '../../src/types.js';").length, 1);
  assert.equal(violations('ninep/codec/wire.ts', "import { Buffer } from 'node:buffer';").length, 0);
  assert.equal(violations('ninep/codec/wire.ts', "import { WireReader } from '../../src/wire/index.js';").length, 0);
  assert.equal(violations('ninep/codec/wire.ts', "import { VfsError } from '../../src/errors.js';").length, 1);
  assert.equal(violations('src/wire/reader.ts', "import { x } from '../../ninep/codec/wire.js';").length, 2);
  assert.equal(violations('src/wire/reader.ts', "import { x } from '../errors.js';").length, 1);
  assert.equal(violations('src/wire/reader.ts', "import { WireDecodeError } from './errors.js';").length, 0);
  assert.equal(violations('fuse/codec/request.ts', "import { WireReader } from '../../src/wire/index.js';").length, 0);
  assert.equal(violations('fuse/codec/request.ts', "import fs from 'node:fs';").length, 1);
  assert.equal(violations('fuse/codec/request.ts', "import { Reader } from '../../ninep/codec/wire.js';").length, 2);
  assert.equal(violations('fuse/mount.ts', "import { spawn } from 'node:child_process';").length, 0);
  assert.equal(violations('fuse/handlers/x.ts', "import { spawn } from 'node:child_process';").length, 1);
  assert.equal(violations('fuse/handlers/x.ts', "import fs from 'node:fs';").length, 1);
  assert.equal(violations('src/host/times.ts', "import { loadNative } from '../../native/index.js';").length, 0);
  assert.equal(violations('src/core/attrs.ts', "import { loadNative } from '../../native/index.js';").length, 1);
  assert.equal(violations('fuse/passthrough.ts', "import { loadNative } from '../native/index.js';").length, 0);
  assert.equal(violations('fuse/passthrough.ts', "import x from '../native/build/Release/humbridge_native.node';").length, 1);
  assert.equal(violations('native/index.ts', "import { Vfs } from '../src/vfs.js';").length, 1);
});

test('no module crosses a forbidden layer boundary', () => {
  const files = ['src', 'native', 'ninep', 'fuse', 'tools'].flatMap(sources);
  assert.ok(files.length > 0, 'no sources found');
  const found = files.flatMap((f) => violations(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
  assert.equal(found, []);
});

test.run();
