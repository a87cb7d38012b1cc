import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectChecks, parseReport } from './report.js';
import type { GuestResult } from './run-guest.js';

const result = (output: string, over: Partial<GuestResult> = {}): GuestResult => ({
  output,
  raw: Buffer.from(output),
  status: 0,
  stage: 'script',
  umountStatus: 0,
  durationMs: 1,
  console: 'console text',
  mountOptions: 'trans=tcp',
  ...over,
});

const out = ['ok a', 'not ok b: got 1 want 2', 'fact sha:x abc def', 'noise', 'ok c', 'summary pass=2 fail=1'].join('\n');

test('parses checks, facts and the summary', () => {
  const r = parseReport(out);
  assert.equal(r.passed, ['a', 'c']);
  assert.equal([...r.failed], [['b', 'got 1 want 2']]);
  assert.is(r.facts.get('sha:x'), 'abc def');
  assert.equal(r.summary, { pass: 2, fail: 1 });
});

test('a failed check fails unless it is a known gap', () => {
  assert.throws(() => expectChecks(result(out)), /b: got 1 want 2/);
  assert.equal(expectChecks(result(out), { b: 'server limitation' }).passed, ['a', 'c']);
});

test('a script that stops before its summary fails', () => {
  assert.throws(() => expectChecks(result('ok a\n')), /before its summary/);
});

test('a guest that never ran the script fails with its console', () => {
  assert.throws(() => expectChecks(result('', { stage: 'mount', status: 126 })), /stage "mount"[\s\S]*console text/);
});

test.run();
