import { describe, expect, it } from 'vitest';
import {
  bucketLatencyMs,
  type LatencyCounts,
  latencyBucket,
  latencyPercentiles,
  latencyQuantile,
  latencySketchSpec,
  mergeLatencyCounts,
} from './latency-sketch.js';

/** A small deterministic PRNG (mulberry32), so the error-bound test is repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Latencies spread over four orders of magnitude (1 ms to 60 s), log-uniform, some whole ms. */
function latencies(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const value = Math.exp(random() * Math.log(60_000));
    return index % 2 === 0 ? Math.max(1, Math.round(value)) : value;
  });
}

function sketchOf(values: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const value of values) {
    const index = latencyBucket(value);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  return counts;
}

function exactQuantile(values: readonly number[], quantile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(quantile * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

const quantiles = [0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('latency sketch', () => {
  it.each([1, 2, 3])(
    'estimates every quantile within 2 %% of the exact nearest-rank value (seed %i)',
    (seed) => {
      const values = latencies(5_000, seed);
      const counts = sketchOf(values);

      for (const quantile of quantiles) {
        const exact = exactQuantile(values, quantile);
        const estimate = latencyQuantile(counts, quantile) ?? Number.NaN;
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(
          latencySketchSpec.relativeAccuracy * exact * (1 + 1e-9),
        );
      }
    },
  );

  it('keeps the bound at exact bucket boundaries', () => {
    for (let index = 1; index <= latencySketchSpec.maxIndex; index += 7) {
      const boundary = latencySketchSpec.gamma ** index;
      const estimate = bucketLatencyMs(latencyBucket(boundary));
      expect(Math.abs(estimate - boundary)).toBeLessThanOrEqual(
        latencySketchSpec.relativeAccuracy * boundary * (1 + 1e-9),
      );
    }
  });

  it('merges by adding counts: the merged sketch equals the sketch of all values', () => {
    const first = latencies(700, 11);
    const second = latencies(300, 12);

    expect(mergeLatencyCounts(sketchOf(first), sketchOf(second))).toEqual(sketchOf([...first, ...second]));
  });

  it('answers 0 for latencies under 1 ms', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.4)).toBe(0);
    expect(latencyQuantile(sketchOf([0, 0, 0.9]), 0.5)).toBe(0);
  });

  it('puts 1 ms in the first bucket above zero', () => {
    expect(latencyBucket(1)).toBe(1);
  });

  it('clamps latencies above 15 minutes into the last bucket', () => {
    expect(latencyBucket(latencySketchSpec.maxMs * 10)).toBe(latencySketchSpec.maxIndex);
  });

  it('answers undefined for an empty sketch', () => {
    expect(latencyQuantile(new Map(), 0.5)).toBeUndefined();
    expect(latencyPercentiles(new Map([[5, 0]]))).toBeUndefined();
  });

  it('reports p50, p90 and p99 of a sketch', () => {
    const values = Array.from({ length: 100 }, (_, index) => (index + 1) * 10);
    const percentiles = latencyPercentiles(sketchOf(values));

    expect(percentiles?.p50).toBeCloseTo(500, -1);
    expect(Math.abs((percentiles?.p90 ?? 0) - 900)).toBeLessThanOrEqual(18.05);
    expect(Math.abs((percentiles?.p99 ?? 0) - 990)).toBeLessThanOrEqual(19.85);
  });

  it('rejects negative latencies, quantiles outside (0, 1] and invalid counts', () => {
    const counts: LatencyCounts = new Map([[3, 1]]);
    expect(() => latencyBucket(-1)).toThrow(RangeError);
    expect(() => latencyBucket(Number.NaN)).toThrow(RangeError);
    expect(() => latencyQuantile(counts, 0)).toThrow(RangeError);
    expect(() => latencyQuantile(counts, 1.5)).toThrow(RangeError);
    expect(() => latencyQuantile(new Map([[3, -1]]), 0.5)).toThrow(RangeError);
    expect(() => bucketLatencyMs(latencySketchSpec.maxIndex + 1)).toThrow(RangeError);
  });
});
