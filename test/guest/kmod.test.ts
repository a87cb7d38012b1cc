import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadOrder, modinfoField, moduleDepends, moduleName } from './kmod.js';

const ko = Buffer.concat([
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]),
  Buffer.from('\0license=GPL\0depends=9pnet,net-failover\0vermagic=6.1.0-56-amd64 SMP preempt\0', 'latin1'),
]);

test('modinfo fields are read up to their NUL', () => {
  assert.is(modinfoField(ko, 'vermagic'), '6.1.0-56-amd64 SMP preempt');
  assert.is(modinfoField(ko, 'license'), 'GPL');
  assert.is(modinfoField(ko, 'alias'), undefined);
  assert.equal(moduleDepends(ko), ['9pnet', 'net-failover']);
  assert.equal(moduleDepends(Buffer.from('\0depends=\0')), []);
});

test('module names compare with - as _', () => {
  assert.is(moduleName('net-failover.ko'), 'net_failover');
});

test('dependencies load first, each module once', () => {
  const deps: Record<string, string[]> = {
    '9p': ['9pnet', 'netfs', 'fscache'],
    '9pnet_fd': ['9pnet'],
    '9pnet': [],
    netfs: [],
    fscache: ['netfs'],
  };
  const order = loadOrder(['9pnet_fd', '9p'], (n) => deps[n]);
  assert.equal(order, ['9pnet', '9pnet_fd', 'netfs', 'fscache', '9p']);
});

test('a missing dependency names who needed it', () => {
  assert.throws(() => loadOrder(['a'], (n) => (n === 'a' ? ['b'] : undefined)), /module b \(needed by a\)/);
});

test('a dependency cycle terminates', () => {
  const order = loadOrder(['a'], (n) => (n === 'a' ? ['b'] : ['a']));
  assert.equal(order, ['b', 'a']);
});

test.run();
