// The trees the cases work on, built the same way every run: data no two
// MiB alike (nothing compresses or dedups it), directories of numbered
// files, and a source-like tree for `tar x`, `grep -r` and `git status`.

import fs from 'node:fs';
import path from 'node:path';

const MiB = 1 << 20;

/** `bytes` (a whole number of MiB, or less than one) of a pattern. */
export function patternFile(file: string, bytes: number): void {
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0, i = 0; done < bytes; i++) {
      block.writeUInt32LE(i, 0);
      const n = Math.min(MiB, bytes - done);
      fs.writeSync(fd, block, 0, n);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The name of file i of a numbered directory. */
export const numbered = (i: number): string => `f-${String(i).padStart(6, '0')}`;

/** dir with n files named numbered(i), each `bytes` long (0: empty). */
export function numberedFiles(dir: string, n: number, bytes = 0): void {
  fs.mkdirSync(dir, { recursive: true });
  const data = Buffer.alloc(bytes, 'x');
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, numbered(i)), data);
}

/**
 * A source-like tree of `files` text files: directories of 12 to 40
 * entries, sizes from a few hundred bytes to ~20 KiB, every file holding
 * the word `needle` once in about every tenth file. Deterministic.
 */
export function sourceTree(root: string, files: number): void {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const words = ['static', 'int', 'return', 'struct', 'void', 'const', 'char', 'if', 'else', 'for', 'while', 'buffer', 'length', 'inode', 'page'];
  let dir = root;
  let inDir = 0;
  let dirs = 0;
  fs.mkdirSync(root, { recursive: true });
  for (let i = 0; i < files; i++) {
    if (inDir === 0 || inDir > 12 + rnd() * 28) {
      dir = path.join(root, `dir${dirs % 8}`, `sub${dirs++}`);
      fs.mkdirSync(dir, { recursive: true });
      inDir = 0;
    }
    inDir++;
    const lines: string[] = [];
    const n = 8 + Math.floor(rnd() ** 2 * 500);
    for (let l = 0; l < n; l++) lines.push(Array.from({ length: 6 }, () => words[Math.floor(rnd() * words.length)]).join(' '));
    if (i % 10 === 0) lines.push('/* needle */');
    fs.writeFileSync(path.join(dir, `file${i}.${i % 3 === 0 ? 'h' : 'c'}`), `${lines.join('\n')}\n`);
  }
}
