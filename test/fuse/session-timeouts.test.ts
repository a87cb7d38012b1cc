// Entry and attribute timeouts are per session: LOOKUP and GETATTR replies
// carry the configured seconds and nanoseconds (1 s unless told).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { openExport, nullLogger, type Vfs } from '../../src/index.js';
import { FuseSession, validity } from '../../fuse/session.js';
import { decodeReply, encodeRequest, type FuseRequest } from '../../fuse/codec/index.js';
import { tmpExport, type TmpExport } from '../helpers/tmp-export.js';

let tmp: TmpExport;
let vfs: Vfs;

test.before.each(async () => {
  tmp = tmpExport('humbridge-fuse-timeouts-');
  fs.writeFileSync(path.join(tmp.dir, 'a'), 'hello');
  vfs = await openExport({ path: tmp.dir, mode: 'hostfs' });
});
test.after.each(async () => {
  await vfs.close();
  tmp.cleanup();
});

async function ask(s: FuseSession, nodeid: bigint, msg: FuseRequest): Promise<Buffer> {
  const r = await s.handle(encodeRequest({ unique: 7n, nodeid, uid: 0, gid: 0, pid: 1 }, msg));
  assert.ok(r);
  return r;
}

test('LOOKUP and GETATTR replies carry the session timeouts', async () => {
  const s = new FuseSession(vfs, { log: nullLogger, entryTimeout: 0.25, attrTimeout: 2.5 });
  const e = decodeReply('entry_out', await ask(s, 1n, { type: 'LOOKUP', name: Buffer.from('a') })).reply;
  assert.equal([e.entry_valid, e.entry_valid_nsec, e.attr_valid, e.attr_valid_nsec], [0n, 250_000_000, 2n, 500_000_000]);
  const a = decodeReply('attr_out', await ask(s, 1n, { type: 'GETATTR', getattr_flags: 0, fh: 0n })).reply;
  assert.equal([a.attr_valid, a.attr_valid_nsec], [2n, 500_000_000]);
  await s.ledger.releaseAll();
  const d = new FuseSession(vfs, { log: nullLogger });
  const de = decodeReply('entry_out', await ask(d, 1n, { type: 'LOOKUP', name: Buffer.from('a') })).reply;
  assert.equal([de.entry_valid, de.entry_valid_nsec, de.attr_valid, de.attr_valid_nsec], [1n, 0, 1n, 0]);
  await d.ledger.releaseAll();
});

test('a timeout below 0 or not a number is refused', () => {
  assert.throws(() => validity(-1), /0 or more/);
  assert.throws(() => validity(Number.NaN), /0 or more/);
  assert.throws(() => new FuseSession(vfs, { log: nullLogger, attrTimeout: -0.5 }), /0 or more/);
});

test.run();
