// Passthrough through a real root mount: with it, the kernel reads and
// writes host files itself (the session sees no READ or WRITE); without it
// (`passthrough: false`) every read and write comes through the session.
// Uses of the mount are child processes, as in mount.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { VfsChange } from '../../src/changes.js';
import { loadNative } from '../../native/index.js';
import { gated, firstMissing } from '../helpers/gate.js';
import { fuseMissing, sh, withMount } from './helpers/mount.js';

const test = suite('fuse passthrough');
const missing = firstMissing(fuseMissing, loadNative().reason);

const BIG = crypto.randomBytes(2 * 1024 * 1024 + 77);
const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');

const bigAndSmall = (d: string): void => {
  fs.writeFileSync(path.join(d, 'big.bin'), BIG);
  fs.writeFileSync(path.join(d, 'small'), 'head ');
};

/** Copies big.bin to copy.bin, appends to it, and reads both back with sha256sum. */
const SCRIPT = 'cat big.bin > copy.bin && printf tail >> small && sha256sum big.bin copy.bin && cat small';

function expected(): string {
  const h = sha(BIG);
  return `${h}  big.bin\n${h}  copy.bin\nhead tail`;
}

gated(test, 'with passthrough, reads and writes reach the host file and never the session', missing, () =>
  withMount('hostfs', bigAndSmall, async ({ mnt, data, mount: { session } }) => {
    const r = await sh(SCRIPT, mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), expected());
    assert.ok(session.passthrough.active);
    assert.is(session.counts.get('READ'), undefined);
    assert.is(session.counts.get('WRITE'), undefined);
    assert.ok((session.counts.get('OPEN') ?? 0) >= 2);
    assert.ok(fs.readFileSync(path.join(data, 'copy.bin')).equals(BIG));
    assert.is(fs.readFileSync(path.join(data, 'small'), 'utf8'), 'head tail');
    // Every backing file is given back with its last handle.
    await sh('true', mnt);
    assert.is(session.passthrough.backings, 0);
  }),
);

gated(test, 'with passthrough off, the same reads and writes come through the session', missing, () =>
  withMount(
    'hostfs',
    bigAndSmall,
    async ({ mnt, mount: { session } }) => {
      const r = await sh(SCRIPT, mnt);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.toString(), expected());
      assert.not.ok(session.passthrough.active);
      assert.ok((session.counts.get('READ') ?? 0) > 0);
      assert.ok((session.counts.get('WRITE') ?? 0) > 0);
    },
    { mount: { passthrough: false } },
  ),
);

gated(test, 'a write through passthrough is announced to the Vfs by the time the writer has closed it', missing, () =>
  withMount('hostfs', (d) => fs.writeFileSync(path.join(d, 'f'), 'old contents'), async ({ mnt, vfs: v, mount: { session } }) => {
    const seen: VfsChange[] = [];
    v.onChange((c) => seen.push(c));
    const r = await sh('printf NEW >> f', mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(session.counts.get('WRITE'), undefined);
    // What a 9P client reads through the Vfs: the new bytes, and a data change to drop its read-ahead.
    const cred = { uid: 0, gid: 0, pid: 0 };
    const e = await v.lookup(cred, v.root, Buffer.from('f'));
    assert.ok(seen.some((c) => c.kind === 'data' && c.node === e.id), JSON.stringify(seen));
    const h = await v.open(cred, e.id, 0);
    const into = Buffer.alloc(64);
    const n = await v.read(h, 0n, into);
    assert.is(into.subarray(0, n).toString(), 'old contentsNEW');
    await v.release(h);
    v.forget(e.id, 1);
  }),
);

gated(test, 'humfs: no passthrough (the superblock counts written bytes); a reader and a writer share one file', missing, () =>
  withMount('humfs', () => undefined, async ({ mnt, data, mount: { session } }) => {
    const r = await sh('printf abc > f && exec 3<f && printf def >> f && cat f && cat <&3', mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), 'abcdefabcdef');
    assert.ok((session.counts.get('WRITE') ?? 0) > 0);
    assert.ok((session.counts.get('READ') ?? 0) > 0);
    assert.is(fs.readFileSync(path.join(data, 'f'), 'utf8'), 'abcdef');
  }),
);

gated(test, 'hostfs: a file open for reading and for writing at once passes through both', missing, () =>
  withMount('hostfs', (d) => fs.writeFileSync(path.join(d, 'f'), 'abc'), async ({ mnt, mount: { session } }) => {
    const r = await sh('exec 3<f && printf def >> f && cat f && cat <&3', mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), 'abcdefabcdef');
    assert.is(session.counts.get('READ'), undefined);
    assert.is(session.counts.get('WRITE'), undefined);
  }),
);

test.run();
