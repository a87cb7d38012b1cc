// qid paths over the real server stay one per file while clients clunk
// fids all the time (as the Linux v9fs client does): hard links keep one
// qid.path however they are reached, and a file deleted and made again gets
// a new one. The export's Vfs is kept at hand to check that its nodes really
// were dropped in between.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { P9_DOTL_CREATE, P9_DOTL_RDWR, P9_GETATTR_BASIC, type DialectName } from '../../../ninep/index.js';
import { Server } from '../../../ninep/server/index.js';
import { listenTcp, type Listener } from '../../../ninep/transport/index.js';
import { Client, connectAddress } from '../../../ninep/client/index.js';
import { openExport, type Vfs } from '../../../src/index.js';
import type { CoreVfs } from '../../../src/core.js';
import { tmpExport, waitFor } from '../../helpers/tmp-export.js';
import { makeExportFolder, MODES, type ExportMode } from './export-folder.js';

interface Setup {
  /** What the client sees on the host (humfs: data/). */
  dir: string;
  vfs: CoreVfs;
  c: Client;
  root: number;
}

async function withIdentityServer(mode: ExportMode, version: DialectName, fn: (s: Setup) => Promise<void>): Promise<void> {
  const tmp = tmpExport('humbridge-e2e-ids-');
  const sockets = new Set<net.Socket>();
  let vfs: Vfs | undefined;
  let server: Server | undefined;
  let listener: Listener | undefined;
  let c: Client | undefined;
  try {
    const dir = makeExportFolder(tmp.dir, mode, 1n << 40n);
    vfs = await openExport({ path: tmp.dir, mode });
    const srv = new Server({ exports: new Map([['main', vfs]]), defaultExport: 'main', options: {} });
    server = srv;
    const l = await listenTcp({ host: '127.0.0.1', port: 0 }, (sock) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
      srv.serve(sock);
    });
    listener = l;
    c = await Client.connect(await connectAddress({ kind: 'tcp', host: l.host, port: l.port }), { version });
    const { fid } = await c.attach({ uname: 'root', n_uname: 0, aname: '' });
    await fn({ dir, vfs: vfs as CoreVfs, c, root: fid });
  } finally {
    await c?.close().catch(() => undefined);
    await listener?.close();
    await server?.close();
    for (const s of sockets) s.destroy();
    await vfs?.close();
    tmp.cleanup();
  }
}

/** qid.path of `name` walked from the root; the fid is clunked again at once. */
async function walkQid(s: Setup, name: string): Promise<bigint> {
  const w = await s.c.walk(s.root, [name]);
  assert.ok(w.fid !== undefined, `walk ${name}`);
  await s.c.clunk(w.fid as number);
  return (w.wqid[0] as { path: bigint }).path;
}

/** Only the root is left in the export's node table: every fid's reference was given back. */
async function allForgotten(s: Setup): Promise<void> {
  await waitFor(() => s.vfs.stats.nodes === 1);
}

for (const mode of MODES) {
  for (const v of ['9P2000.L', '9P2000.u'] as DialectName[]) {
    test(`${mode}: ${v}: walk a, clunk, walk its hard link b, walk a again: one qid.path`, () =>
      withIdentityServer(mode, v, async (s) => {
        fs.writeFileSync(path.join(s.dir, 'a'), 'data');
        fs.linkSync(path.join(s.dir, 'a'), path.join(s.dir, 'b'));
        const a = await walkQid(s, 'a');
        await allForgotten(s);
        const b = await walkQid(s, 'b');
        await allForgotten(s);
        assert.is(b, a);
        assert.is(await walkQid(s, 'a'), a);
      }));
  }

  test(`${mode}: 9P2000.L: Tlink then getattr of each name after clunks: one ino (the ln + stat a guest does)`, () =>
    withIdentityServer(mode, '9P2000.L', async (s) => {
      fs.writeFileSync(path.join(s.dir, 'rand.bin'), 'x');
      const src = (await s.c.walk(s.root, ['rand.bin'])).fid as number;
      const dir = (await s.c.walk(s.root, [])).fid as number;
      await s.c.link(dir, src, 'hard.bin');
      await s.c.clunk(src);
      await s.c.clunk(dir);
      await allForgotten(s);
      const ino = async (name: string): Promise<bigint> => {
        const f = (await s.c.walk(s.root, [name])).fid as number;
        const r = await s.c.getattr(f, P9_GETATTR_BASIC);
        await s.c.clunk(f);
        assert.is(r.nlink, 2n);
        return r.qid.path;
      };
      const hard = await ino('hard.bin');
      await allForgotten(s);
      assert.is(await ino('rand.bin'), hard);
    }));

  test(`${mode}: 9P2000.L: unlinkat and lcreate with the same name give a new qid.path`, () =>
    withIdentityServer(mode, '9P2000.L', async (s) => {
      const seen = new Set<bigint>();
      for (let i = 0; i < 5; i++) {
        const f = (await s.c.walk(s.root, [])).fid as number;
        const created = await s.c.lcreate(f, 'f', P9_DOTL_CREATE | P9_DOTL_RDWR, 0o644);
        await s.c.clunk(f);
        await allForgotten(s);
        assert.not.ok(seen.has(created.qid.path), `round ${i}: a deleted file's qid.path came back`);
        seen.add(created.qid.path);
        assert.is(await walkQid(s, 'f'), created.qid.path, 'the same file meanwhile keeps it');
        await s.c.unlinkat(s.root, 'f');
      }
    }));
}

test.run();
