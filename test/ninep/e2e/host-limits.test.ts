// What a client may make on the host: a hostfs export acts as a
// nosuid,nodev mount by default (no setuid/setgid file that would run as
// root or as another user, no real device node), in every dialect that can
// ask for one; allowSetuid / allowDevices lift it; humfs keeps both as
// metadata and is not limited. The server here runs as root, so its own
// files are root's: every setuid file is refused.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { getAttributeSync } from 'fs-xattr';
import path from 'node:path';
import {
  DMDEVICE,
  DMDIR,
  DMNAMEDPIPE,
  DMSETGID,
  DMSETUID,
  OREAD,
  ORDWR,
  P9_DOTL_CREATE,
  P9_DOTL_WRONLY,
  P9_SETATTR_MODE,
  type StatU,
} from '../../../ninep/index.js';
import { dontTouchStat, NinepError, walkPath } from '../../../ninep/client/index.js';
import type { Logger } from '../../../src/log.js';
import { withServer, type Served, type ServeOptions } from './harness.js';
import { hostMeta } from './host-view.js';
import { gated, needRoot } from '../../helpers/gate.js';

const NO_ROOT = needRoot('serve devices and root-owned setuid files from hostfs');

async function code(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return e instanceof NinepError ? e.code : e === undefined ? undefined : String(e);
}

function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const none = (): void => undefined;
  return { logger: { debug: none, info: none, warn: (m) => warnings.push(m), error: none }, warnings };
}

/** Every request that may leave a setuid/setgid non-directory or a device, in the dialect that carries it. */
async function tryAll(s: Served): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  const L = await s.attached('9P2000.L');
  let d = (await L.c.walk(L.root, [])).fid as number;
  out['Tlcreate 04755'] = await code(L.c.lcreate(d, 'lc-suid', P9_DOTL_WRONLY | P9_DOTL_CREATE, 0o4755));
  d = (await L.c.walk(L.root, [])).fid as number;
  out['Tlcreate 02755'] = await code(L.c.lcreate(d, 'lc-sgid', P9_DOTL_WRONLY | P9_DOTL_CREATE, 0o2755));
  out['Tmknod reg 04755'] = await code(L.c.mknod(L.root, 'mk-suid', 0o104755, 0, 0));
  out['Tmknod c 1 3'] = await code(L.c.mknod(L.root, 'null', 0o020666, 1, 3));
  out['Tmknod b 7 0'] = await code(L.c.mknod(L.root, 'loop', 0o060666, 7, 0));
  fs.writeFileSync(path.join(s.dir, 'plain'), '#!/bin/sh\n');
  const plain = await walkPath(L.c, L.root, 'plain');
  out['Tsetattr 04755'] = await code(L.c.setattr(plain, { valid: P9_SETATTR_MODE, mode: 0o4755 }));
  out['Tsetattr 02711'] = await code(L.c.setattr(plain, { valid: P9_SETATTR_MODE, mode: 0o2711 }));
  const U = await s.attached('9P2000.u');
  const ucreate = async (name: string, perm: number, mode: number, ext = ''): Promise<string | undefined> => {
    const fid = (await U.c.walk(U.root, [])).fid as number;
    return code(U.c.create(fid, name, perm >>> 0, mode, ext));
  };
  out['Tcreate DMSETUID'] = await ucreate('uc-suid', DMSETUID | 0o755, ORDWR);
  out['Tcreate DMSETGID'] = await ucreate('uc-sgid', DMSETGID | 0o775, ORDWR);
  out['Tcreate DMDEVICE b 7 0'] = await ucreate('uc-loop', DMDEVICE | 0o666, OREAD, 'b 7 0');
  const wplain = await walkPath(U.c, U.root, 'plain');
  out['Twstat DMSETUID'] = await code(U.c.wstat(wplain, { ...(dontTouchStat(true) as StatU), mode: (DMSETUID | 0o755) >>> 0 }));
  return out;
}

const MADE = ['lc-suid', 'lc-sgid', 'mk-suid', 'null', 'loop', 'uc-suid', 'uc-sgid', 'uc-loop'];

gated(test, 'hostfs default (nosuid,nodev): every way to make a setuid/setgid file or a device is EPERM, logged once per kind, nothing made', NO_ROOT, async () => {
  const { logger, warnings } = recorder();
  await withServer({ server: { logger } }, async (s) => {
    const got = await tryAll(s);
    for (const [what, c] of Object.entries(got)) assert.is(c, 'EPERM', what);
    for (const name of MADE) assert.not.ok(fs.existsSync(path.join(s.dir, name)), `${name} was not made`);
    assert.is(fs.statSync(path.join(s.dir, 'plain')).mode & 0o7777, 0o644, 'chmod refused leaves the mode');
    assert.is(warnings.filter((w) => w.includes('nosuid')).length, 1, warnings.join('\n'));
    assert.is(warnings.filter((w) => w.includes('nodev')).length, 1, warnings.join('\n'));
  });
});

test('hostfs default: setgid directories, setgid without group execute, FIFOs and sockets stay allowed', async () => {
  await withServer({}, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    await c.mkdir(root, 'sgdir', 0o2775);
    assert.is(fs.statSync(path.join(s.dir, 'sgdir')).mode & 0o7777, 0o2775);
    const d = await walkPath(c, root, 'sgdir');
    await c.setattr(d, { valid: P9_SETATTR_MODE, mode: 0o2755 });
    await c.mknod(root, 'fifo', 0o010644, 0, 0);
    await c.mknod(root, 'sock', 0o140600, 0, 0);
    assert.ok(fs.lstatSync(path.join(s.dir, 'fifo')).isFIFO());
    assert.ok(fs.lstatSync(path.join(s.dir, 'sock')).isSocket());
    // Setgid without group execute marks mandatory locking, not a privilege.
    await c.mknod(root, 'locky', 0o102644, 0, 0);
    assert.is(fs.statSync(path.join(s.dir, 'locky')).mode & 0o7777, 0o2644);
    const U = await s.attached('9P2000.u');
    const fid = (await U.c.walk(U.root, [])).fid as number;
    await U.c.create(fid, 'udir', (DMDIR | DMSETGID | 0o775) >>> 0, OREAD);
    assert.is(fs.statSync(path.join(s.dir, 'udir')).mode & 0o7777, 0o2775);
    const p = (await U.c.walk(U.root, [])).fid as number;
    await U.c.create(p, 'ufifo', (DMNAMEDPIPE | 0o644) >>> 0, OREAD);
    assert.ok(fs.lstatSync(path.join(s.dir, 'ufifo')).isFIFO());
  });
});

async function allAllowed(opts: ServeOptions): Promise<void> {
  await withServer(opts, async (s) => {
    const got = await tryAll(s);
    for (const [what, c] of Object.entries(got)) assert.is(c, undefined, what);
    assert.is(hostMeta(s, 'lc-suid').mode & 0o7777, 0o4755);
    assert.is(hostMeta(s, 'uc-suid').mode & 0o7777, 0o4755);
    assert.is(hostMeta(s, 'plain').mode & 0o7777, 0o4755, 'the Twstat came last');
    assert.is(hostMeta(s, 'loop').mode & 0o170000, 0o060000);
    assert.is(hostMeta(s, 'uc-loop').mode & 0o170000, 0o060000);
  });
}

gated(test, 'hostfs with allowSetuid and allowDevices: the same requests make what they ask', NO_ROOT, async () => {
  await allAllowed({ exportOptions: { allowSetuid: true, allowDevices: true } });
});

test('humfs (bits and devices are metadata only): the same requests make what they ask', async () => {
  await allAllowed({ mode: 'humfs' });
});

gated(test, 'hostfs: allowSetuid alone still refuses devices; allowDevices alone still refuses setuid', NO_ROOT, async () => {
  await withServer({ exportOptions: { allowSetuid: true } }, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    assert.is(await code(c.mknod(root, 'null', 0o020666, 1, 3)), 'EPERM');
    await c.mknod(root, 'suid', 0o104755, 0, 0);
    assert.is(fs.statSync(path.join(s.dir, 'suid')).mode & 0o7777, 0o4755);
  });
  await withServer({ exportOptions: { allowDevices: true } }, async (s) => {
    const { c, root } = await s.attached('9P2000.L');
    assert.is(await code(c.mknod(root, 'suid', 0o104755, 0, 0)), 'EPERM');
    await c.mknod(root, 'null', 0o020666, 1, 3);
    assert.ok(fs.lstatSync(path.join(s.dir, 'null')).isCharacterDevice());
  });
});

// A valid v2 capability blob: magic 0x02000000, effective, cap_net_raw permitted.
const CAPS = Buffer.alloc(20);
CAPS.writeUInt32LE(0x02000001, 0);
CAPS.writeUInt32LE(1 << 13, 4);

async function setCaps(s: Served): Promise<void> {
  const { c, root } = await s.attached('9P2000.L');
  fs.writeFileSync(path.join(s.dir, 'f'), 'x');
  const f = await walkPath(c, root, 'f');
  const x = (await c.walk(f, [])).fid as number;
  await c.xattrcreate(x, 'security.capability', BigInt(CAPS.length), 0);
  await c.write(x, 0n, CAPS);
  await c.clunk(x);
}

// Unlike modes and devices, an xattr is real on the host in humfs too (it
// lives on the data file), so the limit holds there as well.
for (const mode of ['hostfs', 'humfs'] as const) {
  test(`${mode} default: setting security.capability (privileges on exec, as setuid) is EPERM`, () =>
    withServer({ mode }, async (s) => {
      assert.is(await code(setCaps(s)), 'EPERM');
      assert.throws(() => getAttributeSync(path.join(s.dir, 'f'), 'security.capability'), 'nothing set on the host');
    }));

  gated(test, `${mode} with allowSetuid: security.capability is set on the host file`, NO_ROOT, () =>
    withServer({ mode, exportOptions: { allowSetuid: true } }, async (s) => {
      await setCaps(s);
      assert.equal(getAttributeSync(path.join(s.dir, 'f'), 'security.capability'), CAPS);
    }));
}

test.run();
