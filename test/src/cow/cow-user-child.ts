// Run as an ordinary user by test/fuse/cow-mount.test.ts: changes a
// copy-on-write export through the union Vfs, so that the layer (whiteouts,
// opaque marks, copies) is made without privilege. argv: BASE LAYER.

import { openExport } from '../../../src/index.js';
import { O_RDWR } from '../../../src/types.js';
import { B, ME, walk, writeFile } from '../../conformance/vfs.js';

const [base, layer] = process.argv.slice(2) as [string, string];
const vfs = await openExport({ path: base, cow: layer });
try {
  const r = vfs.root;
  const f = await walk(vfs, 'f');
  const h = await vfs.open(ME, f.id, O_RDWR);
  await vfs.write(h, 0n, B('USER'));
  await vfs.release(h);
  await vfs.unlink(ME, r, B('gone'));
  await vfs.rename(ME, r, B('d'), r, B('e'), 0);
  const full = await walk(vfs, 'full');
  await vfs.unlink(ME, full.id, B('c'));
  await vfs.rmdir(ME, r, B('full'));
  await vfs.unlink(ME, r, B('g'));
  const g = await vfs.mkdir(ME, r, B('g'), 0o750);
  await writeFile(vfs, g.id, 'inside', 'new in g\n');
  await writeFile(vfs, r, 'new', 'new\n', 0o640);
  const h1 = await walk(vfs, 'h1');
  const hh = await vfs.open(ME, h1.id, O_RDWR);
  await vfs.write(hh, 0n, B('L'));
  await vfs.release(hh);
  await vfs.setattr(ME, (await walk(vfs, 'mode')).id, { mode: 0o600 });
} finally {
  await vfs.close();
}
