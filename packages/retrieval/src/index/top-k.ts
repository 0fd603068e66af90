/**
 * The `k` best of a stream of scored items, best first, in O(n log k): a min-heap of the best so
 * far, whose root is the one to beat. Ties keep the earlier item.
 */
export class TopK<T> {
  readonly #scores: number[] = [];
  readonly #items: T[] = [];

  constructor(readonly k: number) {}

  /** The score an item must beat to enter, or -Infinity while there is room. */
  get threshold(): number {
    return this.#scores.length < this.k
      ? Number.NEGATIVE_INFINITY
      : (this.#scores[0] ?? Number.NEGATIVE_INFINITY);
  }

  offer(item: T, score: number): void {
    if (this.k <= 0) return;
    if (this.#scores.length < this.k) {
      this.#scores.push(score);
      this.#items.push(item);
      this.#up(this.#scores.length - 1);
    } else if (score > (this.#scores[0] ?? Number.NEGATIVE_INFINITY)) {
      this.#scores[0] = score;
      this.#items[0] = item;
      this.#down(0);
    }
  }

  /** The items kept, best first (ties: earlier offered first). */
  sorted(): { item: T; score: number }[] {
    return this.#items
      .map((item, index) => ({ item, score: this.#scores[index] ?? 0, index }))
      .sort((a, b) => b.score - a.score)
      .map(({ item, score }) => ({ item, score }));
  }

  #swap(a: number, b: number): void {
    [this.#scores[a], this.#scores[b]] = [this.#scores[b] as number, this.#scores[a] as number];
    [this.#items[a], this.#items[b]] = [this.#items[b] as T, this.#items[a] as T];
  }

  #up(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if ((this.#scores[parent] ?? 0) <= (this.#scores[child] ?? 0)) return;
      this.#swap(parent, child);
      child = parent;
    }
  }

  #down(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.#scores.length && (this.#scores[left] ?? 0) < (this.#scores[smallest] ?? 0))
        smallest = left;
      if (right < this.#scores.length && (this.#scores[right] ?? 0) < (this.#scores[smallest] ?? 0))
        smallest = right;
      if (smallest === parent) return;
      this.#swap(parent, smallest);
      parent = smallest;
    }
  }
}
