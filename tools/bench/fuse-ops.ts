// The metadata load of the FUSE benchmark: one phase of N calls in one
// process, so the time printed (seconds, on stdout) is the calls alone,
// without a process start per file.
//
//   node dist/tools/bench/fuse-ops.js create|stat|unlink DIR N
//
// Files are DIR/f-000000 ... ; create makes them empty (open O_CREAT|O_EXCL, close).

import fs from 'node:fs';
import path from 'node:path';

function main(argv: readonly string[]): void {
  const [phase, dir, count] = argv;
  const n = Number(count);
  if (dir === undefined || !Number.isInteger(n) || n < 1) throw new Error('usage: fuse-ops create|stat|unlink DIR N');
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(path.join(dir, `f-${String(i).padStart(6, '0')}`));
  const start = process.hrtime.bigint();
  if (phase === 'create') for (const p of names) fs.closeSync(fs.openSync(p, 'wx'));
  else if (phase === 'stat') for (const p of names) fs.statSync(p);
  else if (phase === 'unlink') for (const p of names) fs.unlinkSync(p);
  else throw new Error(`unknown phase ${String(phase)}`);
  process.stdout.write(`${Number(process.hrtime.bigint() - start) / 1e9}\n`);
}

main(process.argv.slice(2));
