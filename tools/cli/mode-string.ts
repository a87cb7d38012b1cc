// `ls -l` style rendering of st_mode, shared by the CLIs that list files.

import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK } from '../../src/types.js';

const TYPE_CHAR = new Map<number, string>([
  [S_IFDIR, 'd'],
  [S_IFLNK, 'l'],
  [S_IFCHR, 'c'],
  [S_IFBLK, 'b'],
  [S_IFIFO, 'p'],
  [S_IFSOCK, 's'],
]);

export function modeString(mode: number): string {
  const type = TYPE_CHAR.get(mode & S_IFMT) ?? '-';
  const triplet = (shift: number, special: boolean, specialChar: string): string => {
    const r = mode & (4 << shift) ? 'r' : '-';
    const w = mode & (2 << shift) ? 'w' : '-';
    const xBit = (mode & (1 << shift)) !== 0;
    const x = special ? (xBit ? specialChar : specialChar.toUpperCase()) : xBit ? 'x' : '-';
    return r + w + x;
  };
  return (
    type +
    triplet(6, (mode & 0o4000) !== 0, 's') +
    triplet(3, (mode & 0o2000) !== 0, 's') +
    triplet(0, (mode & 0o1000) !== 0, 't')
  );
}
