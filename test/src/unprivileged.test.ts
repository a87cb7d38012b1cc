// The hostfs core as an ordinary user: when the tests run as root, the
// core suite (conformance included) runs again in a child process as
// nobody (65534), where the host refuses chown and device nodes and the
// root-only cases skip themselves.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asUserMissing, NOBODY, runTestFileAs } from '../helpers/as-user.js';
import { gated } from '../helpers/gate.js';

gated(test, 'the core suite passes as an unprivileged user', asUserMissing(), async () => {
  const r = await runTestFileAs(NOBODY, 'dist/test/src/core.test.js');
  assert.is(r.code, 0, r.out);
  assert.ok(r.total > 30, `ran ${r.total} cases`);
  assert.is(r.passed, r.total, r.out);
  assert.ok(r.skipped > 0, 'the root-only cases skip as nobody');
});

test.run();
