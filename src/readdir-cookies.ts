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

/**
 * The 55-bit hash of a name as two numbers, so building a listing needs no
 * bigint per name: `hi` is the top 32 bits, `lo` the low 23.
 */
function hashParts(name: Buffer): { hi: number; lo: number } {
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
  const hi = a >>> 0;
  const lo = (b >>> 0) >>> 9;
  return hi === 0 && lo === 0 ? { hi, lo: 1 } : { hi, lo };
}

/** 55-bit hash of a name: two 32-bit FNV-1a style mixes with different seeds. */
export function nameHash(name: Buffer): bigint {
  const { hi, lo } = hashParts(name);
  return (BigInt(hi) << 23n) | BigInt(lo);
}

export interface Cookied {
  name: Buffer;
  cookie: bigint;
}

/**
 * A directory's names sorted by cookie. The cookie of entry k is kept as
 * two numbers (its top 32 bits, and the low 31: hash bits then rank), so a
 * listing of many names holds no bigint per name; cookieAt makes one for
 * the few entries a reply carries.
 */
export class CookieList {
  constructor(
    readonly names: readonly Buffer[],
    private readonly hi: Uint32Array,
    private readonly lo: Uint32Array,
  ) {}

  get length(): number {
    return this.names.length;
  }

  cookieAt(k: number): bigint {
    return (BigInt(this.hi[k] as number) << 31n) | BigInt(this.lo[k] as number);
  }

  /** Index of the first entry whose cookie is greater than `cookie` (binary search). */
  resumeIndex(cookie: bigint): number {
    const chi = Number(cookie >> 31n);
    const clo = Number(cookie & 0x7fffffffn);
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.hi[mid] as number;
      if (h < chi || (h === chi && (this.lo[mid] as number) <= clo)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Names hashed, sorted or merged between pauses of a sliced build. */
const SLICE = 4096;

/**
 * Builds the CookieList of `names`, yielding after every slice of about
 * SLICE names hashed, sorted or merged, so an async caller can let other
 * work run between slices (buildCookieListSliced) while a big directory is
 * ordered. Sorts runs of SLICE indices, then merges them bottom-up.
 */
function* build(names: readonly Buffer[]): Generator<void, CookieList> {
  const n = names.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const p = hashParts(names[i] as Buffer);
    hi[i] = p.hi;
    lo[i] = p.lo;
    if (i % SLICE === SLICE - 1) yield;
  }
  const cmp = (x: number, y: number): number =>
    (hi[x] as number) - (hi[y] as number) || (lo[x] as number) - (lo[y] as number) || Buffer.compare(names[x] as Buffer, names[y] as Buffer);
  let a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let s = 0; s < n; s += SLICE) {
    a.subarray(s, Math.min(n, s + SLICE)).sort(cmp);
    yield;
  }
  let b = new Uint32Array(n);
  let moved = 0;
  for (let w = SLICE; w < n; w *= 2) {
    for (let s = 0; s < n; s += 2 * w) {
      const mid = Math.min(n, s + w);
      const end = Math.min(n, s + 2 * w);
      let i = s;
      let j = mid;
      for (let k = s; k < end; k++) {
        if (j >= end || (i < mid && cmp(a[i] as number, a[j] as number) <= 0)) b[k] = a[i++] as number;
        else b[k] = a[j++] as number;
        if (++moved % SLICE === 0) yield;
      }
    }
    [a, b] = [b, a];
  }
  const sorted: Buffer[] = new Array<Buffer>(n);
  const outHi = new Uint32Array(n);
  const outLo = new Uint32Array(n);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    const i = a[k] as number;
    const prev = k > 0 ? (a[k - 1] as number) : -1;
    rank = prev >= 0 && hi[prev] === hi[i] && lo[prev] === lo[i] ? rank + 1 : 0;
    if (rank > 255) throw vfsError('EOVERFLOW', 'readdir', 'too many names with one hash');
    sorted[k] = names[i] as Buffer;
    outHi[k] = hi[i] as number;
    // lo has 23 bits: shifted by 8 it stays below 2^31.
    outLo[k] = (lo[i] as number) * 256 + rank;
  }
  return new CookieList(sorted, outHi, outLo);
}

/** The CookieList of `names`, in one go. */
export function buildCookieList(names: readonly Buffer[]): CookieList {
  const it = build(names);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
  }
}

/**
 * The CookieList of `names`, built in slices with `pause()` awaited between
 * them (a macrotask turn: the caller's other clients are answered
 * meanwhile), so ordering a huge directory never holds the event loop for
 * long.
 */
export async function buildCookieListSliced(names: readonly Buffer[], pause: () => Promise<void>): Promise<CookieList> {
  const it = build(names);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
    await pause();
  }
}

/** Names sorted by cookie, each with its cookie. */
export function assignCookies(names: readonly Buffer[]): Cookied[] {
  const list = buildCookieList(names);
  return list.names.map((name, k) => ({ name, cookie: list.cookieAt(k) }));
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
