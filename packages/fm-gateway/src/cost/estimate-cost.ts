import type { ModelSpec } from '../catalog/model-catalog.js';
import type { TokenUsage } from '../runtime/model-runtime.js';

/**
 * The list-price cost of one model call in USD, from the catalog's per-1M-token prices:
 *
 *   (input × inputPer1M + output × outputPer1M
 *    + cacheWrite × (cacheWritePer1M ?? inputPer1M) + cacheRead × (cacheReadPer1M ?? inputPer1M)) / 1e6
 *
 * The four token counts are added, not nested: Bedrock's `inputTokens` EXCLUDES the tokens
 * read from or written to the prompt cache. The Converse API reference only says "tokens sent
 * in the request", but Anthropic's usage (`input_tokens` beside `cache_read_input_tokens` and
 * `cache_creation_input_tokens`) is additive, and integrations that bill from Converse treat
 * its counts the same way (opencode's Bedrock usage fix, anomalyco/opencode#38427, citing
 * Bedrock's prompt-caching guide; Apache APISIX's "account for Bedrock prompt cache tokens").
 * This repo's runtime adapters pass the counts through unchanged. Treating cache reads as part
 * of `inputTokens` instead would under-bill every cached call by the full input price.
 *
 * A model without cache prices bills cache tokens at the input price (the conservative guess).
 * An estimate for dashboards and events, not an invoice: it ignores batch and provisioned
 * pricing, cross-region premiums and free tiers.
 *
 * @example estimateCostUsd(haiku3, { inputTokens: 1000, outputTokens: 200, … }) // 0.0005
 */
export function estimateCostUsd(
  spec: Pick<ModelSpec, 'inputPer1M' | 'outputPer1M' | 'cacheWritePer1M' | 'cacheReadPer1M'>,
  usage: TokenUsage,
): number {
  const microDollars =
    usage.inputTokens * spec.inputPer1M +
    usage.outputTokens * spec.outputPer1M +
    usage.cacheWriteInputTokens * (spec.cacheWritePer1M ?? spec.inputPer1M) +
    usage.cacheReadInputTokens * (spec.cacheReadPer1M ?? spec.inputPer1M);
  return microDollars / 1_000_000;
}

/** Decimal places `formatUsd` keeps: a hundredth of a micro-dollar, below any single token's price. */
export const usdDecimals = 8;

/**
 * A USD amount as a plain decimal string for event fields (seed: `estimated_cost_usd: string`):
 * never exponent notation, rounded to 8 decimals, trailing zeros trimmed (`0.000412`, `1.5`,
 * `0`). Throws `RangeError` for a negative, non-finite or absurdly large (≥ 1e21) amount.
 *
 * @example formatUsd(4.12e-4) // '0.000412'
 */
export function formatUsd(amount: number): string {
  if (!Number.isFinite(amount) || amount < 0 || amount >= 1e21) {
    throw new RangeError(`Cannot format ${amount} as a USD amount`);
  }
  // toFixed never uses exponent notation below 1e21; it may round a tiny amount to 0.00000000.
  const fixed = amount.toFixed(usdDecimals);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
