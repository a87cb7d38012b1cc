// 9P2000.L Tsetattr times through the real server reach the host file to
// the nanosecond (with the native addon: utimensat), and a time not named
// in `valid` stays exactly as it was (UTIME_OMIT, not a stat written back).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { P9_SETATTR_ATIME, P9_SETATTR_ATIME_SET, P9_SETATTR_MTIME, P9_SETATTR_MTIME_SET } from '../../../ninep/index.js';
import { walkPath } from '../../../ninep/client/index.js';
import { loadNative } from '../../../native/index.js';
import { gated } from '../../helpers/gate.js';
import { MODES, withServer } from './harness.js';

const test = suite('9p exact times');
const ATIME = P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
const MTIME = P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;

for (const mode of MODES) {
  gated(test, `${mode}: Tsetattr stores nanoseconds exactly; setting one time leaves the other's nanoseconds`, loadNative().reason, () =>
    withServer({ mode }, async (s) => {
      const host = path.join(s.dir, 'f');
      fs.writeFileSync(host, 'x');
      const { c, root } = await s.attached();
      const f = await walkPath(c, root, 'f');
      const times = (): [bigint, bigint] => {
        const st = fs.statSync(host, { bigint: true });
        return [st.atimeNs, st.mtimeNs];
      };
      await c.setattr(f, { valid: ATIME | MTIME, atime_sec: 1700000000n, atime_nsec: 123456789n, mtime_sec: 1700000001n, mtime_nsec: 987654321n });
      assert.equal(times(), [1700000000123456789n, 1700000001987654321n]);
      await c.setattr(f, { valid: ATIME, atime_sec: 1600000000n, atime_nsec: 1n });
      assert.equal(times(), [1600000000000000001n, 1700000001987654321n]);
      await c.setattr(f, { valid: MTIME, mtime_sec: 1650000000n, mtime_nsec: 999999999n });
      assert.equal(times(), [1600000000000000001n, 1650000000999999999n]);
    }),
  );
}

test.run();
