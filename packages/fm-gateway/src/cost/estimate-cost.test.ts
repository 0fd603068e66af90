import { describe, expect, it } from 'vitest';
import { defaultModelCatalog, type ModelSpec } from '../catalog/model-catalog.js';
import type { TokenUsage } from '../runtime/model-runtime.js';
import { estimateCostUsd, formatUsd } from './estimate-cost.js';

const usage = (overrides: Partial<TokenUsage> = {}): TokenUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheWriteInputTokens: 0,
  ...overrides,
});

const spec = (key: string): ModelSpec => {
  const found = defaultModelCatalog.models[key];
  if (!found) throw new Error(`no model ${key} in the default catalog`);
  return found;
};

describe('estimateCostUsd', () => {
  it("prices Claude 3 Haiku at the seed's $0.25 / $1.25 per million tokens", () => {
    const cost = estimateCostUsd(
      spec('claude-3-haiku'),
      usage({ inputTokens: 1_000_000, outputTokens: 1_000_000 }),
    );
    expect(cost).toBeCloseTo(1.5, 10);
  });

  it("prices Claude 3 Sonnet at the seed's $3 / $15 per million tokens", () => {
    const cost = estimateCostUsd(spec('claude-3-sonnet'), usage({ inputTokens: 1200, outputTokens: 350 }));
    expect(cost).toBeCloseTo((1200 * 3 + 350 * 15) / 1e6, 12); // $0.00885
  });

  it('adds cache reads and writes to input tokens rather than counting them inside', () => {
    const sonnet = spec('claude-sonnet-4-5'); // $3 input, $3.75 cache write, $0.30 cache read
    const cost = estimateCostUsd(
      sonnet,
      usage({ inputTokens: 100, outputTokens: 10, cacheWriteInputTokens: 2000, cacheReadInputTokens: 5000 }),
    );
    expect(cost).toBeCloseTo((100 * 3 + 10 * 15 + 2000 * 3.75 + 5000 * 0.3) / 1e6, 12);
  });

  it('makes a prompt read from the cache cheaper than the same prompt sent as input', () => {
    const sonnet = spec('claude-sonnet-4-5');
    const cached = estimateCostUsd(sonnet, usage({ cacheReadInputTokens: 4000 }));
    const uncached = estimateCostUsd(sonnet, usage({ inputTokens: 4000 }));
    expect(cached).toBeCloseTo(uncached / 10, 12);
  });

  it('bills cache tokens at the input price for a model without cache prices', () => {
    const haiku = spec('claude-3-haiku');
    expect(
      estimateCostUsd(haiku, usage({ cacheReadInputTokens: 1000, cacheWriteInputTokens: 1000 })),
    ).toBeCloseTo(estimateCostUsd(haiku, usage({ inputTokens: 2000 })), 12);
  });

  it('costs nothing for an answer that used no tokens', () => {
    expect(estimateCostUsd(spec('claude-3-haiku'), usage())).toBe(0);
  });
});

describe('formatUsd', () => {
  it('writes a small amount as a plain decimal, never in exponent notation', () => {
    expect(formatUsd(4.12e-4)).toBe('0.000412');
    expect(formatUsd(3e-7)).toBe('0.0000003');
  });

  it('rounds to 8 decimals and trims trailing zeros', () => {
    expect(formatUsd(0.123456789)).toBe('0.12345679');
    expect(formatUsd(1.5)).toBe('1.5');
    expect(formatUsd(12)).toBe('12');
  });

  it('writes zero, and an amount below 8 decimals, as 0', () => {
    expect(formatUsd(0)).toBe('0');
    expect(formatUsd(-0)).toBe('0');
    expect(formatUsd(1e-10)).toBe('0');
  });

  it("formats a Haiku call's cost to match the event contract's decimal pattern", () => {
    const cost = estimateCostUsd(spec('claude-3-haiku'), usage({ inputTokens: 850, outputTokens: 160 }));
    expect(formatUsd(cost)).toBe('0.0004125');
    expect(formatUsd(cost)).toMatch(/^\d+(\.\d+)?$/);
  });

  it('rejects negative and non-finite amounts', () => {
    expect(() => formatUsd(-0.01)).toThrow(RangeError);
    expect(() => formatUsd(Number.NaN)).toThrow(RangeError);
    expect(() => formatUsd(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
