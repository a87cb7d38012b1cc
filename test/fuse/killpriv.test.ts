// The session takes FUSE_HANDLE_KILLPRIV_V2: the server clears setuid and
// setgid on write, truncate, O_TRUNC open and chown itself, and the kernel
// stops asking for security.capability (a GETXATTR) before every write.
// Each case is compared with the same commands on a native directory.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { firstMissing, gated, needProgram } from '../helpers/gate.js';
import { INIT } from '../../fuse/codec/index.js';
import { MODES, fuseMissing, onNative, sh, withMount } from './helpers/mount.js';

const test = suite('fuse HANDLE_KILLPRIV_V2');
const missing = firstMissing(fuseMissing, needProgram('setpriv', 'util-linux'));

const NOBODY = 'setpriv --reuid=65534 --regid=65534 --clear-groups';

/** Files a (04777), b (02777: setgid with group execute), c (02767: setgid without it), d (04755 owned by root). */
const fill = (d: string): void => {
  for (const [name, mode] of [['a', 0o4777], ['b', 0o2777], ['c', 0o2767], ['d', 0o4755]] as const) {
    fs.writeFileSync(path.join(d, name), 'data');
    fs.chmodSync(path.join(d, name), mode);
  }
};

const CASES = [
  { what: 'a write by another user', script: `${NOBODY} sh -c 'printf x >> a; printf x >> b; printf x >> c'` },
  { what: 'a truncate by another user', script: `${NOBODY} sh -c 'truncate -s 1 a b c'` },
  { what: 'an O_TRUNC open by another user', script: `${NOBODY} sh -c ': > a; : > b; : > c'` },
  { what: 'a chown by root', script: 'chown 65534 a b c d' },
] as const;

for (const mode of MODES) {
  for (const c of CASES) {
    gated(test, `${mode}: ${c.what} clears setuid and setgid (with group execute) as natively`, missing, async () => {
      const script = `${c.script} && stat -c '%n %a' a b c d`;
      const want = await onNative(script, fill);
      assert.match(want, /^a 777\n/, 'the native directory clears setuid');
      await withMount(
        mode,
        fill,
        async (m) => {
          const r = await sh(script, m.mnt);
          assert.is(r.code, 0, r.stderr);
          assert.is(r.stdout.toString(), want);
          assert.ok((m.mount.session.agreed & INIT.HANDLE_KILLPRIV_V2) !== 0n, 'the server clears the bits, not the kernel');
        },
        // Passthrough off: with it the kernel keeps clearing the bits itself.
        { mount: { passthrough: false } },
      );
    });
  }
}

gated(test, 'hostfs, passthrough off: 200 writes of 4 KiB ask no GETXATTR each', missing, async () => {
  await withMount(
    'hostfs',
    () => {},
    async (m) => {
      const r = await sh('dd if=/dev/zero of=f bs=4k count=200 status=none && stat -c %s f', m.mnt);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.toString(), `${200 * 4096}\n`);
      const getxattrs = m.mount.session.counts.get('GETXATTR') ?? 0;
      // Without HANDLE_KILLPRIV_V2 the kernel asks for security.capability before each write.
      assert.ok(getxattrs < 10, `GETXATTR requests: ${getxattrs}`);
      assert.ok((m.mount.session.agreed & INIT.HANDLE_KILLPRIV_V2) !== 0n, 'HANDLE_KILLPRIV_V2 agreed');
    },
    { mount: { passthrough: false } },
  );
});

gated(test, 'hostfs, passthrough on: HANDLE_KILLPRIV_V2 is left to the kernel (passthrough writes never reach the server)', missing, async () => {
  await withMount('hostfs', () => {}, async (m) => {
    const r = await sh('printf x > f', m.mnt);
    assert.is(r.code, 0, r.stderr);
    assert.ok(m.mount.session.passthrough.active, 'passthrough on');
    assert.is(m.mount.session.agreed & INIT.HANDLE_KILLPRIV_V2, 0n);
  });
});

test.run();
