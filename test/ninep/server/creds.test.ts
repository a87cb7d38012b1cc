import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NONUNAME } from '../../../ninep/index.js';
import { attachCred, nameOfId, uidOfName, withGid } from '../../../ninep/server/creds.js';

const opts = { defaultUid: 65534, defaultGid: 65533 };

test('attach: n_uname wins unless ~0; then root, numbers, else the default', () => {
  assert.equal(attachCred(opts, 'nobody', 1000), { uid: 1000, gid: 65533 });
  assert.equal(attachCred(opts, 'nobody', NONUNAME), { uid: 65534, gid: 65533 });
  assert.equal(attachCred(opts, 'root', undefined), { uid: 0, gid: 0 });
  assert.equal(attachCred(opts, '1234', undefined), { uid: 1234, gid: 65533 });
  assert.equal(attachCred(opts, 'glenda', undefined), { uid: 65534, gid: 65533 });
  assert.equal(attachCred(opts, '', 0), { uid: 0, gid: 0 });
});

test('names: root and numbers both ways; a request gid of ~0 keeps the fid gid', () => {
  assert.is(uidOfName('root'), 0);
  assert.is(uidOfName('42'), 42);
  assert.is(uidOfName('99999999999'), undefined);
  assert.is(uidOfName('bob'), undefined);
  assert.is(nameOfId(0), 'root');
  assert.is(nameOfId(1000), '1000');
  const c = { uid: 5, gid: 6 };
  assert.is(withGid(c, NONUNAME), c);
  assert.equal(withGid(c, 9), { uid: 5, gid: 9 });
});

test('squash root: uid 0 and gid 0 become the anonymous ids, others stay; all: every id', () => {
  const root = { ...opts, squash: 'root' as const, anonUid: 4000, anonGid: 4001 };
  assert.equal(attachCred(root, 'root', undefined), { uid: 4000, gid: 4001 });
  assert.equal(attachCred(root, '', 0), { uid: 4000, gid: 4001 });
  assert.equal(attachCred(root, '', 1000), { uid: 1000, gid: 65533 });
  const all = { ...opts, squash: 'all' as const, anonUid: 4000, anonGid: 4001 };
  assert.equal(attachCred(all, '', 1000), { uid: 4000, gid: 4001 });
  assert.equal(attachCred(all, 'glenda', undefined), { uid: 4000, gid: 4001 });
  assert.equal(attachCred({ ...opts, squash: 'none', anonUid: 4000, anonGid: 4001 }, '', 0), { uid: 0, gid: 0 });
  // A creating request's group is squashed the same way.
  const c = { uid: 1000, gid: 1000 };
  assert.equal(withGid(c, 0, root), { uid: 1000, gid: 4001 });
  assert.equal(withGid(c, 50, root), { uid: 1000, gid: 50 });
  assert.equal(withGid(c, 50, all), { uid: 1000, gid: 4001 });
  assert.is(withGid(c, NONUNAME, all), c);
});

test.run();
