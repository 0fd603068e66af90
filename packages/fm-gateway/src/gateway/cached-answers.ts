// How the gateway uses the response cache: the key of a call's answer from a given model, and
// which answers may be kept. A fresh hit, the answers stored after a call and the stale entries
// of the last resort must all agree on that key, so it is computed in one place.

import { responseCacheKey } from '../cache/cache-key.js';
import type { CacheLookup, ResponseCache } from '../cache/response-cache.js';
import type { GuardrailRef } from '../runtime/model-runtime.js';
import type { GatewayCall } from './gateway-call.js';
import type { GatewayResult } from './gateway-types.js';

/**
 * A call's answers in the response cache, keyed by tenant, model, prompt and `maxTokens`.
 *
 * With no cache, or for a request with `useCache: false`, lookups miss and nothing is stored.
 * Only an answer that ended its turn (`end_turn`) is stored: a truncated one never is.
 */
export class CachedAnswers {
  constructor(
    private readonly cache: ResponseCache | undefined,
    /** Wall-clock epoch ms for `storedAt`. @default Date.now (looked up at each store) */
    private readonly now?: () => number,
    /** Part of the key: an answer is served only where the guardrail that passed its prompt applies. */
    private readonly guardrail?: GuardrailRef,
  ) {}

  /** Whether the call's answers are looked up and kept: a cache is set and the request allows it. */
  enabledFor(call: GatewayCall): boolean {
    return this.cache !== undefined && call.request.useCache !== false;
  }

  /** The entry for the call's prompt answered by `model`, fresh or stale; `undefined` on a miss. */
  async lookup(call: GatewayCall, model: string): Promise<CacheLookup | undefined> {
    const cache = this.enabledFor(call) ? this.cache : undefined;
    if (!cache) return undefined;
    return cache.get(this.key(call, model));
  }

  /** Keeps a model's answer under the model that answered it, unless it must not be cached. */
  async store(call: GatewayCall, result: GatewayResult): Promise<void> {
    const cache = this.enabledFor(call) ? this.cache : undefined;
    if (!cache || result.stopReason !== 'end_turn') return;
    await cache.set(this.key(call, result.model), {
      text: result.text,
      model: result.model,
      modelId: result.modelId,
      region: result.region,
      stopReason: result.stopReason,
      usage: result.usage,
      storedAt: (this.now ?? Date.now)(),
    });
  }

  /** Each call's keys by model: the lookup and the store of one answer hash its prompt once. */
  private readonly keys = new WeakMap<GatewayCall, Map<string, string>>();

  private key(call: GatewayCall, model: string): string {
    let byModel = this.keys.get(call);
    if (byModel === undefined) {
      byModel = new Map();
      this.keys.set(call, byModel);
    }
    let key = byModel.get(model);
    if (key === undefined) {
      key = this.computeKey(call, model);
      byModel.set(model, key);
    }
    return key;
  }

  private computeKey(call: GatewayCall, model: string): string {
    const { request } = call;
    return responseCacheKey({
      tenantId: request.tenantId,
      model,
      ...(request.system !== undefined ? { system: request.system } : {}),
      messages: request.messages,
      maxTokens: call.maxTokens,
      ...(this.guardrail ? { guardrail: `${this.guardrail.id}:${this.guardrail.version}` } : {}),
    });
  }
}
