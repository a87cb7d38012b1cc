// Ranges [start, hi) ordered by (start, seq) in a treap (a binary search
// tree kept balanced by random priorities), each node knowing the largest
// `hi` below it. Insert and remove take O(log n) expected; visiting the
// ranges that overlap (or touch) a query range takes O(log n) plus the
// ranges it passes over, because subtrees ending before the query are
// skipped whole. Used by the lock table (locks.ts), where one flat list per
// file made every lock cost a scan of all the others.

export interface Ranged {
  readonly start: bigint;
  /** End, exclusive; a lock "to end of file" uses a value above every offset. */
  readonly hi: bigint;
  /** Tie-break between equal starts, unique within one tree. */
  readonly seq: number;
}

interface TNode<T extends Ranged> {
  item: T;
  prio: number;
  maxHi: bigint;
  left: TNode<T> | null;
  right: TNode<T> | null;
}

function before(a: Ranged, b: Ranged): boolean {
  return a.start < b.start || (a.start === b.start && a.seq < b.seq);
}

function fix<T extends Ranged>(n: TNode<T>): TNode<T> {
  let m = n.item.hi;
  if (n.left !== null && n.left.maxHi > m) m = n.left.maxHi;
  if (n.right !== null && n.right.maxHi > m) m = n.right.maxHi;
  n.maxHi = m;
  return n;
}

/** Joins two treaps, every key of `a` before every key of `b`. */
function join<T extends Ranged>(a: TNode<T> | null, b: TNode<T> | null): TNode<T> | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.prio > b.prio) {
    a.right = join(a.right, b);
    return fix(a);
  }
  b.left = join(a, b.left);
  return fix(b);
}

/** Splits into the keys before `key` and the rest. */
function split<T extends Ranged>(n: TNode<T> | null, key: Ranged): [TNode<T> | null, TNode<T> | null] {
  if (n === null) return [null, null];
  if (before(n.item, key)) {
    const [l, r] = split(n.right, key);
    n.right = l;
    return [fix(n), r];
  }
  const [l, r] = split(n.left, key);
  n.left = r;
  return [l, fix(n)];
}

function removeKey<T extends Ranged>(n: TNode<T> | null, key: Ranged): TNode<T> | null {
  if (n === null) return null;
  if (n.item.start === key.start && n.item.seq === key.seq) return join(n.left, n.right);
  if (before(key, n.item)) n.left = removeKey(n.left, key);
  else n.right = removeKey(n.right, key);
  return fix(n);
}

export class IntervalTree<T extends Ranged> {
  private root: TNode<T> | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  insert(item: T): void {
    const [l, r] = split(this.root, item);
    this.root = join(join(l, { item, prio: Math.random(), maxHi: item.hi, left: null, right: null }), r);
    this.count++;
  }

  /** Removes the range with `item`'s start and seq (it must be present). */
  remove(item: Ranged): void {
    this.root = removeKey(this.root, item);
    this.count--;
  }

  /**
   * The first range in order that overlaps [start, hi) (with `touching`:
   * overlaps or is adjacent) and passes `accept`, or undefined.
   */
  first(start: bigint, hi: bigint, touching: boolean, accept: (item: T) => boolean): T | undefined {
    let found: T | undefined;
    this.walk(this.root, start, hi, touching, (item) => {
      if (!accept(item)) return false;
      found = item;
      return true;
    });
    return found;
  }

  /** Every range overlapping [start, hi) (with `touching`: or adjacent), in order. */
  within(start: bigint, hi: bigint, touching: boolean): T[] {
    const out: T[] = [];
    this.walk(this.root, start, hi, touching, (item) => {
      out.push(item);
      return false;
    });
    return out;
  }

  /** Every range, in order. */
  all(): T[] {
    const out: T[] = [];
    const visit = (n: TNode<T> | null): void => {
      if (n === null) return;
      visit(n.left);
      out.push(n.item);
      visit(n.right);
    };
    visit(this.root);
    return out;
  }

  /** In-order visit of the matching ranges until `visit` returns true; true if it did. */
  private walk(n: TNode<T> | null, start: bigint, hi: bigint, touching: boolean, visit: (item: T) => boolean): boolean {
    if (n === null) return false;
    // Nothing below reaches the query.
    if (touching ? n.maxHi < start : n.maxHi <= start) return false;
    if (this.walk(n.left, start, hi, touching, visit)) return true;
    const s = n.item.start;
    // This range and everything after it start past the query.
    if (touching ? s > hi : s >= hi) return false;
    const reaches = touching ? n.item.hi >= start : n.item.hi > start;
    if (reaches && visit(n.item)) return true;
    return this.walk(n.right, start, hi, touching, visit);
  }
}
