/**
 * Stands in for `mnemonist/lru-cache` in the Lambda bundles (an esbuild alias). Its one user there
 * is the SDK's endpoint-discovery cache (`@aws-sdk/endpoint-cache`, in every DynamoDB client),
 * which calls `get`, `set`, `has`, `peek` and `clear`; mnemonist's typed-array LRU and its iterator
 * library add ~7 KB to each bundle for that. A `Map` keeps insertion order: re-inserting a key
 * makes it the most recent, and the first key is the least recent.
 */
export default class LRUCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new Error(`LRUCache: capacity must be a positive integer, not ${capacity}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value, now the most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value, its recency unchanged. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` as the most recently used, evicting the least recently used beyond capacity. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
