import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Host } from '../../../src/host/host.js';
import { readFileAt, removeAt, walkBeneath, writeFileAt } from '../../../src/host/tree.js';
import { nullLogger } from '../../../src/log.js';
import { tmpExport } from '../../helpers/tmp-export.js';

const B = (s: string) => Buffer.from(s);

test('walkBeneath creates, reads and refuses symlinked components', () => {
  const tmp = tmpExport('humbridge-tree-');
  const host = new Host(nullLogger);
  const root = host.openRoot(tmp.dir);
  try {
    const fd = walkBeneath(root, [B('a'), B('b'), Buffer.from([0xff])], { mode: 0o700 });
    writeFileAt(fd, B('meta'), B('420 0 0\n'));
    host.close(fd);
    const onHost = Buffer.concat([B(path.join(tmp.dir, 'a', 'b') + '/'), Buffer.from([0xff]), B('/meta')]);
    assert.is(fs.readFileSync(onHost, 'utf8'), '420 0 0\n', 'a non-UTF-8 component on the host');
    const again = walkBeneath(root, [B('a'), B('b'), Buffer.from([0xff])]);
    assert.is(readFileAt(again, B('meta'))?.toString(), '420 0 0\n');
    assert.is(readFileAt(again, B('absent')), null);
    writeFileAt(again, B('meta'), B('384 1 1\n'));
    assert.is(readFileAt(again, B('meta'))?.toString(), '384 1 1\n', 'replaced atomically');
    assert.equal(fs.readdirSync(path.join(tmp.dir, 'a', 'b'), { encoding: 'buffer' }).length, 1);
    removeAt(again, B('meta'));
    removeAt(again, B('meta'));
    assert.is(readFileAt(again, B('meta')), null);
    host.close(again);
    fs.symlinkSync(tmp.outside, path.join(tmp.dir, 'evil'));
    fs.writeFileSync(path.join(tmp.outside, 'x'), 'outside');
    assert.throws(() => walkBeneath(root, [B('evil')]), /ENOTDIR|ELOOP/);
    assert.throws(() => walkBeneath(root, [B('evil')], { mode: 0o700 }), /ENOTDIR|ELOOP|EEXIST/);
    fs.symlinkSync(path.join(tmp.outside, 'x'), path.join(tmp.dir, 'link'));
    assert.throws(() => readFileAt(root, B('link')), /ELOOP/);
    fs.mkdirSync(path.join(tmp.dir, 'dir'));
    assert.throws(() => readFileAt(root, B('dir')), /EIO|EISDIR/);
    removeAt(root, B('a'), true);
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'a')));
    removeAt(root, B('evil'), true);
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 'evil')), 'a symlink is removed as itself');
    fs.mkdirSync(path.join(tmp.dir, 't', 'u'), { recursive: true });
    fs.symlinkSync(tmp.outside, path.join(tmp.dir, 't', 'u', 'out'));
    fs.writeFileSync(path.join(tmp.dir, 't', 'f'), '');
    removeAt(root, B('t'), true);
    assert.not.ok(fs.existsSync(path.join(tmp.dir, 't')));
    removeAt(root, B('t'), true);
    assert.is(fs.readFileSync(path.join(tmp.outside, 'x'), 'utf8'), 'outside');
  } finally {
    host.close(root);
    tmp.cleanup();
  }
});

test.run();
