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

/** One measurement in a run: round 0 is the warm-up (when there is one), not recorded. */
export interface Slot {
  round: number;
  system: string;
  warmup: boolean;
}

/**
 * The order a case runs in: every round runs each system once, in the
 * same order (A B A B ...), so drift in the machine hits all of them alike.
 */
export function schedule(systems: readonly string[], rounds: number, warmup: boolean): Slot[] {
  const out: Slot[] = [];
  const first = warmup ? 0 : 1;
  for (let r = first; r <= rounds; r++) for (const system of systems) out.push({ round: r, system, warmup: r === 0 });
  return out;
}

/**
 * ours against anchor as "how many times better": ours / anchor for rates
 * (higher is better), anchor / ours for sizes (lower is better); >1 means
 * ours is ahead.
 */
export function advantage(ours: number | undefined, anchor: number | undefined, better: 'higher' | 'lower'): number | undefined {
  return better === 'higher' ? ratio(ours, anchor) : ratio(anchor, ours);
}
