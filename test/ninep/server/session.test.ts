import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startHarness } from './harness.js';

test('version and attach over TCP, then walk and getattr', async () => {
  const h = await startHarness();
  try {
    const c = await h.connect();
    assert.is(await c.version('9P2000.L', 1 << 22), 1 << 20);
    const root = await c.attach(0);
    assert.is(root.type, 0x80);
    const r = await c.ok({ type: 'Tgetattr', fid: 0, request_mask: 0x3fffn }, 'Rgetattr');
    assert.is(r.mode & 0o170000, 0o040000);
  } finally {
    await h.stop();
  }
});

test.run();
