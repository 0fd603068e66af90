import { createHash } from 'node:crypto';

export type CacheOutcome = 'write' | 'read';

/**
 * Remembers which cached system prefixes the emulated model has seen, per region and model,
 * so the first request reports cache-write tokens and later ones cache-read tokens. Unlike
 * Bedrock there is no minimum prefix length and no TTL; the oldest entry is evicted past
 * `capacity`.
 */
export class PromptCache {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 256) {}

  touch(scope: { region: string; modelId: string }, prefix: string): CacheOutcome {
    const key = createHash('sha256').update(`${scope.region}\n${scope.modelId}\n${prefix}`).digest('hex');
    if (this.seen.has(key)) return 'read';
    this.seen.add(key);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    return 'write';
  }

  clear(): void {
    this.seen.clear();
  }
}
