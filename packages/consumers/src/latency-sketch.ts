/**
 * A mergeable latency sketch: a fixed log-scale histogram (the DDSketch bucket mapping) whose
 * buckets are plain counters, so many writers can `ADD` to them concurrently and any two sketches
 * merge by adding counts. Percentiles come from the counts.
 *
 * Error bound: for a quantile `q`, `latencyQuantile` returns a value within
 * `latencySketchSpec.relativeAccuracy` (2 %) of the exact nearest-rank quantile of the recorded
 * latencies — `|estimate − exact| ≤ 0.02 × exact` — whenever that exact value lies between
 * `minMs` (1 ms) and `maxMs` (15 minutes). Below 1 ms (cache hits) the answer is 0 with an absolute
 * error under 1 ms; above 15 minutes latencies are clamped into the last bucket (under-estimated).
 * The bound holds however many sketches were merged: the buckets are fixed, never collapsed.
 */

const relativeAccuracy = 0.02;
const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
const logGamma = Math.log(gamma);
const minMs = 1;
/** Lambda's longest run: no inference the platform reports can take longer. */
const maxMs = 15 * 60 * 1_000;

/** The sketch's parameters, fixed: changing them would make stored counters meaningless. */
export const latencySketchSpec = {
  relativeAccuracy,
  /** Ratio of a bucket's upper bound to its lower bound. */
  gamma,
  minMs,
  maxMs,
  /** Index of the last bucket; indices run from 0 to this. */
  maxIndex: Math.ceil(Math.log(maxMs) / logGamma),
} as const;

/** Bucket index -> how many latencies fell in it. Absent buckets count 0. */
export type LatencyCounts = ReadonlyMap<number, number>;

/**
 * The bucket a latency falls in: 0 for under 1 ms; otherwise `i ≥ 1` with
 * `γ^(i−1) < ms ≤ γ^i` (1 ms itself in bucket 1), at most `maxIndex`. Throws `RangeError` for a
 * negative or non-finite latency.
 */
export function latencyBucket(latencyMs: number): number {
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`latency must be a non-negative finite number of ms, got ${latencyMs}`);
  }
  if (latencyMs < minMs) return 0;
  const index = Math.max(1, Math.ceil(Math.log(latencyMs) / logGamma));
  return Math.min(index, latencySketchSpec.maxIndex);
}

/**
 * The value that stands for a bucket: 0 for bucket 0, else `2γ^i / (γ + 1)`, the point whose
 * relative distance to both ends of `(γ^(i−1), γ^i]` is exactly the relative accuracy.
 */
export function bucketLatencyMs(index: number): number {
  if (!Number.isSafeInteger(index) || index < 0 || index > latencySketchSpec.maxIndex) {
    throw new RangeError(`no latency bucket ${index}`);
  }
  return index === 0 ? 0 : (2 * gamma ** index) / (gamma + 1);
}

/** The sum of two sketches (bucket by bucket). */
export function mergeLatencyCounts(left: LatencyCounts, right: LatencyCounts): Map<number, number> {
  const merged = new Map(left);
  for (const [index, count] of right) merged.set(index, (merged.get(index) ?? 0) + count);
  return merged;
}

/**
 * The nearest-rank `quantile` (0 < q ≤ 1; 0.99 for p99) of the recorded latencies, in ms, within
 * the error bound of the module comment; `undefined` for an empty sketch. Throws `RangeError` for a
 * quantile outside (0, 1] and for negative or fractional counts.
 */
export function latencyQuantile(counts: LatencyCounts, quantile: number): number | undefined {
  if (!(quantile > 0 && quantile <= 1)) {
    throw new RangeError(`quantile must be in (0, 1], got ${quantile}`);
  }
  const buckets = [...counts].filter(([, count]) => count !== 0).sort(([a], [b]) => a - b);
  let total = 0;
  for (const [index, count] of buckets) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`bucket ${index} has an invalid count ${count}`);
    }
    total += count;
  }
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let seen = 0;
  for (const [index, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucketLatencyMs(index);
  }
  return undefined;
}

/**
 * p50, p90 and p99 of a sketch, rounded to 0.1 ms (0.05 ms more error than `latencyQuantile`);
 * `undefined` when it is empty.
 */
export function latencyPercentiles(
  counts: LatencyCounts,
): { readonly p50: number; readonly p90: number; readonly p99: number } | undefined {
  const at = (quantile: number) => {
    const value = latencyQuantile(counts, quantile);
    return value === undefined ? undefined : Math.round(value * 10) / 10;
  };
  const p50 = at(0.5);
  const p90 = at(0.9);
  const p99 = at(0.99);
  return p50 === undefined || p90 === undefined || p99 === undefined ? undefined : { p50, p90, p99 };
}
