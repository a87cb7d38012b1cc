// Golden requests (test/fixtures/fuse/requests.ts): decode gives the
// message, encode gives the frame, decode-then-encode gives the same bytes;
// and every opcode of the table has a golden frame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRequest, encodeRequest, formatRequest, REQUESTS, OPCODE } from '../../../fuse/codec/index.js';
import { requestCases, HEADER } from '../../fixtures/fuse/requests.js';
import { toHex } from '../../helpers/hex.js';

for (const c of requestCases) {
  const label = `${c.msg.type}${c.note ? ` [${c.note}]` : ''}`;
  test(`decode ${label}`, () => {
    const d = decodeRequest(c.frame, c.opts);
    assert.equal(d.msg, c.msg);
    assert.equal(d.header, {
      ...HEADER,
      len: c.frame.length,
      opcode: OPCODE[c.msg.type],
      total_extlen: (c.ext?.length ?? 0) / 8,
    });
    assert.is(toHex(d.ext), toHex(c.ext ?? Buffer.alloc(0)));
  });
  test(`encode ${label}`, () => {
    assert.is(toHex(encodeRequest(HEADER, c.msg, c.opts, c.ext)), toHex(c.frame));
  });
  test(`mirror ${label}`, () => {
    const d = decodeRequest(c.frame, c.opts);
    assert.is(toHex(encodeRequest(d.header, d.msg, c.opts, d.ext.length ? d.ext : undefined)), toHex(c.frame));
    assert.ok(formatRequest(d).includes(`${c.msg.type}{`));
  });
}

test('every opcode the kernel sends has a golden frame, and the table ids are fuse.h opcodes', () => {
  const covered = new Set(requestCases.map((c) => c.msg.type as string));
  assert.equal(Object.keys(REQUESTS).filter((n) => !covered.has(n)), []);
  for (const [name, spec] of Object.entries(REQUESTS)) assert.is(spec.id, OPCODE[name as keyof typeof OPCODE], name);
  assert.equal(Object.keys(OPCODE).sort(), Object.keys(REQUESTS).sort());
});

test('names are views of the request buffer, not copies', () => {
  const c = requestCases.find((x) => x.msg.type === 'LOOKUP')!;
  const d = decodeRequest(c.frame);
  assert.ok(d.msg.type === 'LOOKUP' && d.msg.name.buffer === c.frame.buffer);
});

test('formatRequest shows the caller, the fields and data as a byte count', () => {
  const w = requestCases.find((x) => x.msg.type === 'WRITE')!;
  assert.is(
    formatRequest(decodeRequest(w.frame)),
    `#${HEADER.unique} node ${HEADER.nodeid} uid 1000 gid 100 pid 17185 WRITE{fh:153 offset:16 size:3 write_flags:2 lock_owner:2748 flags:32769 data:<3 bytes>}`,
  );
});

test.run();
