// Directory cookies that stay valid while entries come and go. A
// directory's entries are ordered by a hash of their name, and the cookie of
// an entry is its position in that order: resuming from a cookie returns the
// entries that sort after it. An entry added or removed elsewhere in the
// directory moves nobody else, so a resumed listing never repeats an entry
// and never skips one that stayed (readdir(3) and seekdir(3) leave added and
// removed entries unspecified; this gives the stronger rule the Vfs contract
// asks for).
//
// Cookie layout (63 bits, so it is a positive off_t for FUSE and 9P):
//   bits 62..8  55-bit hash of the name
//   bits  7..0  rank among names with the same hash, by byte order
// Two names colliding in 55 bits is astronomically rare; when it happens the
// rank keeps the order deterministic (a rank past 255 is refused, EOVERFLOW).
// Cookies 1 and 2 are "." and ".." (no hashed cookie is below 256).

import { vfsError } from './errors.js';

export const DOT_COOKIE = 1n;
export const DOTDOT_COOKIE = 2n;

/** 55-bit hash of a name: two 32-bit FNV-1a style mixes with different seeds. */
export function nameHash(name: Buffer): bigint {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < name.length; i++) {
    const c = name[i] as number;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  const h = (BigInt(a >>> 0) << 23n) | BigInt((b >>> 0) >>> 9);
  return h === 0n ? 1n : h;
}

export interface Cookied {
  name: Buffer;
  cookie: bigint;
}

/** Names sorted by cookie, each with its cookie. */
export function assignCookies(names: readonly Buffer[]): Cookied[] {
  const hashed = names.map((name) => ({ name, hash: nameHash(name) }));
  hashed.sort((x, y) => (x.hash < y.hash ? -1 : x.hash > y.hash ? 1 : Buffer.compare(x.name, y.name)));
  const out: Cookied[] = [];
  let rank = 0;
  for (let i = 0; i < hashed.length; i++) {
    const cur = hashed[i] as { name: Buffer; hash: bigint };
    rank = i > 0 && (hashed[i - 1] as { hash: bigint }).hash === cur.hash ? rank + 1 : 0;
    if (rank > 255) throw vfsError('EOVERFLOW', 'readdir', 'too many names with one hash');
    out.push({ name: cur.name, cookie: (cur.hash << 8n) | BigInt(rank) });
  }
  return out;
}

/** Index of the first entry whose cookie is greater than `cookie` (binary search). */
export function resumeIndex(sorted: readonly Cookied[], cookie: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as Cookied).cookie <= cookie) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
