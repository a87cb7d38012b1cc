// Host xattr reads, with the addon's getxattr and with fs-xattr alone: the
// same answers (a value, ENODATA, ERANGE) through a file's O_PATH descriptor.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setAttribute } from 'fs-xattr';
import { loadNative } from '../../../native/index.js';
import { HostXattr } from '../../../src/host/xattr.js';
import { O_NOFOLLOW, O_PATH } from '../../../src/host/paths.js';
import { VfsError } from '../../../src/errors.js';
import { nullLogger } from '../../../src/log.js';
import { gated } from '../../helpers/gate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'humbridge-xattr-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const code = (e: unknown): string => (e instanceof VfsError ? e.code : String(e));

async function answers(x: HostXattr): Promise<void> {
  const f = path.join(dir, 'f');
  fs.writeFileSync(f, 'x');
  await setAttribute(f, 'user.k', Buffer.from('value of k'));
  await setAttribute(f, 'user.empty', Buffer.alloc(0));
  const fd = fs.openSync(f, O_PATH | O_NOFOLLOW);
  try {
    assert.equal(await x.get(fd, 'user.k'), Buffer.from('value of k'));
    assert.equal(await x.get(fd, 'user.empty'), Buffer.alloc(0));
    assert.is(await x.get(fd, 'user.absent').catch(code), 'ENODATA');
    assert.is(await x.probe(fd, 'user.absent'), null);
    assert.equal(await x.probe(fd, 'user.k'), Buffer.from('value of k'));
    assert.is(await x.get(fd, `user.${'n'.repeat(260)}`).catch(code), 'ERANGE', 'a name over 255 bytes');
    const a = await x.get(fd, 'user.k');
    const b = await x.get(fd, 'user.empty');
    assert.equal(a, Buffer.from('value of k'), 'a value read earlier is not overwritten by the next read');
    assert.is(b.length, 0);
    assert.is(await x.get(123456, 'user.k').catch(code), 'ENOENT', 'no such descriptor');
  } finally {
    fs.closeSync(fd);
  }
}

gated(test, 'with the addon: values, ENODATA and ERANGE through an O_PATH descriptor', loadNative().reason, () => answers(new HostXattr(nullLogger)));

test('with fs-xattr alone: the same answers', () => answers(new HostXattr(nullLogger, null)));

test.run();
