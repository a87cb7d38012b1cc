// ChangeFeed: listeners hear changes in order; one that throws is logged and
// neither stops the others nor fails the change.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChangeFeed } from '../../src/changes.js';
import { nullLogger } from '../../src/log.js';

test('a throwing listener is logged; the others still hear; unsubscribe removes one registration', () => {
  const warned: string[] = [];
  const feed = new ChangeFeed({ ...nullLogger, warn: (m: string) => warned.push(m) });
  const heard: number[] = [];
  const l = (c: { node: number }): void => void heard.push(c.node);
  feed.on(() => {
    throw new Error('boom');
  });
  const stopA = feed.on(l);
  feed.on(l);
  feed.emit({ kind: 'data', node: 7 });
  assert.equal(heard, [7, 7]);
  assert.is(warned.length, 1);
  assert.match(warned[0] ?? '', /boom/);
  stopA();
  feed.emit({ kind: 'attr', node: 8 });
  assert.equal(heard, [7, 7, 8], 'the same function added twice is removed once');
  assert.is(feed.size, 2);
});

test.run();
