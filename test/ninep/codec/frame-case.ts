// Emits three tests per golden frame (the mqtt-packet testParseGenerate
// pattern): decode(frame) gives the message, encode(message) gives the
// frame, and decode-then-encode gives back the very same bytes.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, format, type Dialect, type MessageOf, type MessageSpec, type Table } from '../../../ninep/codec/index.js';
import { toHex } from '../../helpers/hex.js';
import type { FrameCase } from '../../fixtures/ninep/frames-9p2000.js';

export function frameCases<Tb extends Table>(
  test: Test,
  d: Dialect<Tb>,
  cases: readonly FrameCase<MessageOf<Tb>>[],
  from = d.name,
): void {
  for (const c of cases) {
    const label = `${d.name} ${format(c.msg)}${from === d.name ? '' : ` (${from} frame)`}${c.note ? ` [${c.note}]` : ''}`;
    test(`decode ${label}`, () => {
      const got = decode(d, c.frame);
      assert.is(got.tag, c.tag);
      assert.equal(got.msg, c.msg);
    });
    test(`encode ${label}`, () => {
      assert.is(toHex(encode(d, c.tag, c.msg)), toHex(c.frame));
    });
    test(`mirror ${label}`, () => {
      const { tag, msg } = decode(d, c.frame);
      assert.is(toHex(encode(d, tag, msg)), toHex(c.frame));
    });
  }
}

/**
 * The cases of `from` whose message layout `to` shares (the very same spec
 * object in both tables), typed for `to`.
 */
export function sharedCases<A extends Table, B extends Table>(
  from: Dialect<A>,
  cases: readonly FrameCase<MessageOf<A>>[],
  to: Dialect<B>,
): FrameCase<MessageOf<B>>[] {
  const out: FrameCase<MessageOf<B>>[] = [];
  for (const c of cases) {
    const name = c.msg.type;
    const a: MessageSpec | undefined = from.table[name];
    const b: MessageSpec | undefined = Object.hasOwn(to.table, name) ? to.table[name] : undefined;
    if (a !== undefined && a === b) out.push(c as unknown as FrameCase<MessageOf<B>>);
  }
  return out;
}
