// Small statistics for benchmark tables: medians of timings and ratios of
// medians that say "n/a" instead of Infinity or NaN.

/** The median of xs (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** a / b, or undefined when either is missing, not finite, or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/** A size like 1G, 256M, 64k or a plain byte count, in bytes (powers of 1024). */
export function parseSize(s: string): number {
  const m = /^(\d+)([kKmMgG]?)(i?[bB])?$/.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s}`);
  const unit = (m[2] ?? '').toLowerCase();
  const shift = unit === 'k' ? 10 : unit === 'm' ? 20 : unit === 'g' ? 30 : 0;
  return Number(m[1]) * 2 ** shift;
}
