// The point of humfs: a server running as an unprivileged host user (here
// 65534, in a child process that drops to it) lets guest root chown to any
// ids, set setuid bits and make devices, FIFOs and sockets, all through the
// records, while every host file stays owned by that user.

import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO, S_IFREG, S_IFSOCK } from '../../../src/types.js';
import { tmpExport } from '../../helpers/tmp-export.js';
import { makeLayout, readMeta } from './humfs-helpers.js';

const NOBODY = 65534;
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'humfs-unprivileged-child.js');

/** Every path below `dir` (itself included) with its host owner. */
function owners(dir: string): { rel: string; uid: number; gid: number }[] {
  const out: { rel: string; uid: number; gid: number }[] = [];
  const visit = (rel: string): void => {
    const st = fs.lstatSync(path.join(dir, rel));
    out.push({ rel, uid: st.uid, gid: st.gid });
    if (st.isDirectory()) for (const n of fs.readdirSync(path.join(dir, rel))) visit(rel === '' ? n : `${rel}/${n}`);
  };
  visit('');
  return out;
}

/** The coverage directory belongs to root: a child that drops its ids could not write there. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_V8_COVERAGE'];
  return env;
}

/** Runs the child; resolves with its stdout, rejects with its stderr. Killed if the test fails first. */
function runChild(dir: string, kill: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(NOBODY)], { stdio: ['ignore', 'pipe', 'pipe'], signal: kill, env: childEnv() });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

test('as uid/gid 65534: guest root chowns, sets setuid, makes devices, FIFOs and sockets; the host keeps 65534', async () => {
  if (process.getuid?.() !== 0) {
    if (process.env['HUMBRIDGE_REQUIRE_ALL'] === '1') throw new Error('needs root to drop to 65534');
    console.log('  skipped: needs root to start a child as uid 65534');
    return;
  }
  const tmp = tmpExport('humfs-nobody-');
  const stop = new AbortController();
  try {
    makeLayout(tmp.dir);
    // The whole temporary tree belongs to the serving user, as humfsify leaves it.
    const base = path.dirname(tmp.dir);
    for (const o of owners(base)) fs.lchownSync(path.join(base, o.rel), NOBODY, NOBODY);
    const result = JSON.parse(await runChild(tmp.dir, stop.signal)) as Record<string, { mode: number; uid: number; gid: number; rdev: string }> & {
      euid: number;
      egid: number;
      userDenied: string;
    };
    assert.is(result.euid, NOBODY, 'the server ran as 65534');
    assert.is(result.egid, NOBODY);
    assert.equal(result['chown'], { mode: S_IFREG | 0o644, uid: 1234, gid: 5678, rdev: '0' });
    assert.equal(result['setuid'], { mode: S_IFREG | 0o4755, uid: 1234, gid: 5678, rdev: '0' });
    assert.equal(result['null'], { mode: S_IFCHR | 0o666, uid: 0, gid: 0, rdev: makedev(1, 3).toString() });
    assert.equal(result['sda'], { mode: S_IFBLK | 0o660, uid: 0, gid: 0, rdev: makedev(8, 0).toString() });
    assert.equal(result['fifo'], { mode: S_IFIFO | 0o600, uid: 0, gid: 0, rdev: '0' });
    assert.equal(result['sock'], { mode: S_IFSOCK | 0o666, uid: 0, gid: 0, rdev: '0' });
    assert.equal(result['inner'], { mode: S_IFREG | 0o600, uid: 0, gid: 0, rdev: '0' });
    assert.is(result.userDenied, 'EACCES', 'an ordinary guest user is refused by the virtual 0700 root:root');
    assert.is(readMeta(tmp.dir, 'file_metadata/passwd'), '2541 1234 5678\n');
    assert.is(readMeta(tmp.dir, 'file_metadata/dev/null'), '438 0 0 c 1 3\n');
    assert.is(readMeta(tmp.dir, 'file_metadata/dev/initctl'), '384 0 0 p 0 0\n');
    assert.is(readMeta(tmp.dir, 'dir_metadata/root/metadata'), '448 0 0\n');
    const notNobody = owners(tmp.dir).filter((o) => o.uid !== NOBODY || o.gid !== NOBODY);
    assert.equal(notNobody, [], 'every host file, data and metadata, is owned by 65534');
    assert.ok(fs.lstatSync(path.join(tmp.dir, 'data/dev/null')).isFile(), 'the device is a placeholder file');
  } finally {
    stop.abort();
    tmp.cleanup();
  }
});

test('the humfs conformance suite passes with the server as 65534', async () => {
  if (process.getuid?.() !== 0) {
    console.log('  skipped: needs root to start a child as uid 65534');
    return;
  }
  const suite = path.join(path.dirname(child), '..', 'humfs-conformance.test.js');
  const p = spawn(process.execPath, [suite], { uid: NOBODY, gid: NOBODY, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  p.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? -1);
  assert.is(code, 0, plain);
  assert.ok(total > 25, `ran ${total} cases`);
  assert.is(Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? -2), total, plain);
});

test.run();
