// The point of humfs: a server running as an unprivileged host user (here
// 65534, in a child process that drops to it) lets guest root chown to any
// ids, set setuid bits and make devices, FIFOs and sockets, all through the
// records, while every host file stays owned by that user.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO, S_IFREG, S_IFSOCK } from '../../../src/types.js';
import { asUserMissing, NOBODY as USER, runTestFileAs, spawnNodeAs } from '../../helpers/as-user.js';
import { gated } from '../../helpers/gate.js';
import { tmpExport } from '../../helpers/tmp-export.js';
import { makeLayout, readMeta } from './humfs-helpers.js';

const NOBODY = USER.uid;
const noRoot = asUserMissing();

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

/** Runs the child; resolves with its stdout, rejects with its stderr. Killed if the test fails first. */
function runChild(dir: string, kill: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawnNodeAs(USER, 'dist/test/src/meta/humfs-unprivileged-child.js', [dir], { stdio: ['ignore', 'pipe', 'pipe'], signal: kill });
    let out = '';
    let err = '';
    p.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

gated(test, 'as uid/gid 65534: guest root chowns, sets setuid, makes devices, FIFOs and sockets; the host keeps 65534', noRoot, async () => {
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

gated(test, 'the humfs conformance suite passes with the server as 65534', noRoot, async () => {
  const r = await runTestFileAs(USER, 'dist/test/src/humfs-conformance.test.js');
  assert.is(r.code, 0, r.out);
  assert.ok(r.total > 25, `ran ${r.total} cases`);
  assert.is(r.passed, r.total, r.out);
});

test.run();
