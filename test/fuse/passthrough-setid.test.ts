// Passthrough and setuid/setgid: a write by another user must clear the
// bits, as on a native directory. Through passthrough the kernel would write
// the backing file with the server's (root's) rights, which clear nothing.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadNative } from '../../native/index.js';
import { firstMissing, gated, needProgram } from '../helpers/gate.js';
import { fuseMissing, onNative, sh, withMount } from './helpers/mount.js';

const test = suite('fuse passthrough and setuid');
const missing = firstMissing(fuseMissing, loadNative().reason, needProgram('setpriv', 'util-linux'));

/** As root: opens f (fd 3, as a reader keeping its node's backing file), then a write as uid 65534 appends to f. */
const AS_NOBODY = 'setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "printf x >> f"';

const setuidFile = (d: string): void => {
  fs.writeFileSync(path.join(d, 'f'), 'a');
  fs.chmodSync(path.join(d, 'f'), 0o4777);
};

const VARIANTS = [
  { mode: 'hostfs', passthrough: true },
  { mode: 'hostfs', passthrough: false },
  { mode: 'humfs', passthrough: true },
] as const;

for (const v of VARIANTS) {
  gated(test, `${v.mode}, passthrough ${v.passthrough ? 'on' : 'off'}: a write by uid 65534 to a 04777 file clears setuid, as natively`, missing, async () => {
    const script = `${AS_NOBODY} && stat -c %a f && cat f`;
    const want = await onNative(script, setuidFile);
    assert.is(want, '777\nax');
    await withMount(
      v.mode,
      setuidFile,
      async (m) => {
        const r = await sh(script, m.mnt);
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stdout.toString(), want);
        assert.is(m.mount.session.passthrough.active, v.passthrough);
        if (v.mode === 'hostfs') assert.is(fs.statSync(path.join(m.data, 'f')).mode & 0o7777, 0o777);
      },
      { mount: { passthrough: v.passthrough } },
    );
  });
}

gated(test, 'the same when the file became setuid while a passthrough handle was open on it', missing, async () => {
  const plain = (d: string): void => {
    fs.writeFileSync(path.join(d, 'f'), 'a');
    fs.chmodSync(path.join(d, 'f'), 0o777);
  };
  const script = `exec 3<f && chmod 4777 f && ${AS_NOBODY} && stat -c %a f`;
  const want = await onNative(script, plain);
  assert.is(want, '777\n');
  await withMount('hostfs', plain, async (m) => {
    const r = await sh(script, m.mnt);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.toString(), want);
    assert.is(fs.statSync(path.join(m.data, 'f')).mode & 0o7777, 0o777);
  }, { export: { allowSetuid: true } });
});

test.run();
