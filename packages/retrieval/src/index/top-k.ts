/**
 * The `k` best of a stream of scored items, best first, in O(n log k): a min-heap of the best so
 * far, whose root is the one to beat, so most offers cost one comparison. Ties keep the earlier item.
 */
export class TopK<T> {
  readonly #scores: Float64Array;
  /** Offer order, to keep the earlier of equal scores. */
  readonly #order: Float64Array;
  readonly #items: T[] = [];
  #size = 0;
  #offered = 0;

  constructor(readonly k: number) {
    this.#scores = new Float64Array(Math.max(k, 0));
    this.#order = new Float64Array(Math.max(k, 0));
  }

  /** The score an item must beat to enter, or -Infinity while there is room. */
  get threshold(): number {
    return this.#size < this.k ? Number.NEGATIVE_INFINITY : (this.#scores[0] as number);
  }

  /** Keeps `item` if it is among the best so far; a score that is not a number never is. */
  offer(item: T, score: number): void {
    if (Number.isNaN(score)) return;
    const order = this.#offered++;
    if (this.#size < this.k) {
      const slot = this.#size++;
      this.#scores[slot] = score;
      this.#order[slot] = order;
      this.#items[slot] = item;
      this.#up(slot);
    } else if (this.k > 0 && score > (this.#scores[0] as number)) {
      this.#scores[0] = score;
      this.#order[0] = order;
      this.#items[0] = item;
      this.#down(0);
    }
  }

  /** The items kept, best first (ties: earlier offered first). */
  sorted(): { item: T; score: number }[] {
    return Array.from({ length: this.#size }, (_, slot) => slot)
      .sort(
        (a, b) =>
          (this.#scores[b] as number) - (this.#scores[a] as number) ||
          (this.#order[a] as number) - (this.#order[b] as number),
      )
      .map((slot) => ({ item: this.#items[slot] as T, score: this.#scores[slot] as number }));
  }

  /** Whether `a` ranks below `b`: a lower score, or an equal one offered later. */
  #below(a: number, b: number): boolean {
    const scoreA = this.#scores[a] as number;
    const scoreB = this.#scores[b] as number;
    return scoreA < scoreB || (scoreA === scoreB && (this.#order[a] as number) > (this.#order[b] as number));
  }

  #swap(a: number, b: number): void {
    const score = this.#scores[a] as number;
    this.#scores[a] = this.#scores[b] as number;
    this.#scores[b] = score;
    const order = this.#order[a] as number;
    this.#order[a] = this.#order[b] as number;
    this.#order[b] = order;
    const item = this.#items[a] as T;
    this.#items[a] = this.#items[b] as T;
    this.#items[b] = item;
  }

  #up(slot: number): void {
    let child = slot;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.#below(child, parent)) return;
      this.#swap(parent, child);
      child = parent;
    }
  }

  #down(slot: number): void {
    let parent = slot;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let lowest = parent;
      if (left < this.#size && this.#below(left, lowest)) lowest = left;
      if (right < this.#size && this.#below(right, lowest)) lowest = right;
      if (lowest === parent) return;
      this.#swap(parent, lowest);
      parent = lowest;
    }
  }
}
