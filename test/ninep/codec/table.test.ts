// The table machinery: the type-byte index, and that the derived TypeScript
// types follow the tables (checked at compile time: a wrong type fails tsc).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDialect } from '../../../ninep/codec/table.js';
import { u32 } from '../../../ninep/codec/fields.js';
import {
  dialect9P2000L,
  dialectByName,
  messageName,
  dialect9P2000,
  dialect9P2000u,
  type MessageNamed,
  type P9P2000L,
  type P9P2000u,
  type Qid,
  type AnyDialect,
  decode,
  encode,
} from '../../../ninep/codec/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const is = <T extends true>(): T => true as T;

test('derived message types match the tables', () => {
  // Each line fails to compile if the derived type drifts from the table.
  is<Equal<MessageNamed<typeof P9P2000L, 'Tgetattr'>, { type: 'Tgetattr'; fid: number; request_mask: bigint }>>();
  is<Equal<MessageNamed<typeof P9P2000L, 'Twalk'>, { type: 'Twalk'; fid: number; newfid: number; wname: readonly Buffer[] }>>();
  is<Equal<MessageNamed<typeof P9P2000L, 'Rlopen'>, { type: 'Rlopen'; qid: Qid; iounit: number }>>();
  is<Equal<MessageNamed<typeof P9P2000L, 'Rclunk'>, { type: 'Rclunk' }>>();
  is<Equal<MessageNamed<typeof P9P2000u, 'Rerror'>, { type: 'Rerror'; ename: string; errno: number }>>();
  is<
    Equal<
      MessageNamed<typeof P9P2000u, 'Tattach'>,
      { type: 'Tattach'; fid: number; afid: number; uname: string; aname: string; n_uname: number }
    >
  >();
  assert.ok(true);
});

// Compile-time only: a dialect chosen at run time gives the union of all
// messages; a fixed dialect refuses messages it does not have.
export function typeChecks(d: AnyDialect, frame: Buffer): void {
  const r = decode(d, frame);
  if (r.msg.type === 'Twalk') is<Equal<typeof r.msg.wname, readonly Buffer[]>>();
  const l = decode(dialect9P2000L, frame);
  // @ts-expect-error Topen is not a 9P2000.L message
  if (l.msg.type === 'Topen') return;
  // @ts-expect-error Rerror is not a 9P2000.L message
  encode(dialect9P2000L, 1, { type: 'Rerror', ename: 'x' });
  encode(d, 1, { type: 'Rclunk' });
}

test('makeDialect rejects two messages with one type byte', () => {
  assert.throws(
    () => makeDialect('9P2000', { Ta: { id: 5, fields: [['fid', u32]] }, Tb: { id: 5, fields: [] } }),
    /share type 5/,
  );
  assert.throws(() => makeDialect('9P2000', { Tx: { id: 256, fields: [] } }), /outside 0\.\.255/);
});

test('type bytes index the tables', () => {
  assert.is(messageName(dialect9P2000L, 110), 'Twalk');
  assert.is(messageName(dialect9P2000L, 7), 'Rlerror');
  assert.is(messageName(dialect9P2000L, 112), undefined);
  assert.is(messageName(dialect9P2000, 7), undefined);
  for (const d of [dialect9P2000, dialect9P2000u, dialect9P2000L]) {
    for (const [name, spec] of Object.entries(d.table)) {
      assert.is(messageName(d, spec.id), name);
      // R-messages are their T-message + 1 (intro(5)); Rerror/Rlerror stand alone.
      if (name.startsWith('R') && name !== 'Rerror' && name !== 'Rlerror') {
        const t = (d.table as Record<string, { id: number }>)[`T${name.slice(1)}`];
        assert.is(t?.id, spec.id - 1, name);
      }
    }
  }
});

test('dialectByName maps Tversion strings', () => {
  assert.is(dialectByName('9P2000'), dialect9P2000);
  assert.is(dialectByName('9P2000.u'), dialect9P2000u);
  assert.is(dialectByName('9P2000.L'), dialect9P2000L);
  assert.is(dialectByName('9P2000.x'), undefined);
});

test.run();
