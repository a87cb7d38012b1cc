// The hostfs core as an ordinary user: when the tests run as root, the
// core suite (conformance included) runs again in a child process as
// nobody (65534), where the host refuses chown and device nodes and the
// root-only cases skip themselves. Skipped, with the reason, when not root.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const here = path.dirname(fileURLToPath(import.meta.url));

test('the core suite passes as an unprivileged user', async () => {
  if (process.getuid?.() !== 0) {
    console.log('  (skipped: needs root to switch to an unprivileged user)');
    return;
  }
  const env = { ...process.env };
  // The coverage directory belongs to root; the child would fail to write there.
  delete env.NODE_V8_COVERAGE;
  const child = spawn(process.execPath, [path.join(here, 'core.test.js')], { uid: 65534, gid: 65534, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? -1);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? -2);
  assert.is(code, 0, plain);
  assert.ok(total > 30, `ran ${total} cases`);
  assert.is(passed, total, plain);
});

test.run();
