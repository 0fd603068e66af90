import { describe, expect, it } from 'vitest';
import { capacityOf, loadModel } from '../../../lib/config/capacity.js';
import { environmentConfig } from '../../../lib/config.js';

const capacity = capacityOf();
const prod = environmentConfig('prod');

describe('the load model', () => {
  it('turns a million messages a day, peaking at three times the average, into rates, concurrency, tokens and cost', () => {
    expect(capacity.averagePerSecond).toBeCloseTo(11.57, 2);
    expect(capacity.peakPerSecond).toBeCloseTo(34.72, 2);
    expect(capacity.restPeakPerSecond['/v1/chat/POST']).toBeCloseTo(10.42, 2);
    expect(capacity.webSocketPeakPerSecond).toBeCloseTo(15.625, 3);
    expect(capacity.peakConcurrency).toBeCloseTo(319.44, 2);
    expect(capacity.peakTokensPerMinute).toBeCloseTo(2_166_667, -1);
    expect(capacity.monthlyModelUsd).toBeCloseTo(60_000, 0);
    expect(capacity.monthlyMessages).toBe(30_000_000);
    expect(capacity.peakQuotaTokensPerMinute).toBeCloseTo(4_166_667, -1);
    expect(capacity.monthlyRestRequests).toBeCloseTo(16_500_000 + 2_700_000, -1);
    const shares = Object.values(loadModel.share).reduce((sum, share) => sum + share, 0);
    expect(shares).toBeCloseTo(1, 10);
  });
});

describe('production against the load model', () => {
  it('limits each modelled route to at least twice its peak, and the stage to twice all of them', () => {
    const { methodThrottles } = prod.api;
    for (const [method, peak] of Object.entries(capacity.restPeakPerSecond)) {
      const limit = methodThrottles[method];
      expect(limit, method).toBeDefined();
      expect(limit?.rateLimit, method).toBeGreaterThanOrEqual(2 * peak);
      expect(limit?.burstLimit, method).toBeGreaterThanOrEqual(limit?.rateLimit ?? Number.POSITIVE_INFINITY);
      expect(limit?.rateLimit, method).toBeLessThanOrEqual(prod.api.throttlingRateLimit);
    }
    const restPeak = Object.values(capacity.restPeakPerSecond).reduce((sum, rate) => sum + rate, 0);
    expect(prod.api.throttlingRateLimit).toBeGreaterThanOrEqual(2 * restPeak);
    expect(prod.websocket.throttlingRateLimit).toBeGreaterThanOrEqual(2 * capacity.webSocketPeakPerSecond);
  });

  it("alarms on concurrency before the peak's instances, and budgets above the month's model usage", () => {
    const { limit, usagePercent } = prod.alarms.accountConcurrency;
    expect(limit * (usagePercent / 100)).toBeGreaterThan(capacity.peakConcurrency);
    expect(prod.alarms.monthlyModelBudgetUsd).toBeGreaterThan(capacity.monthlyModelUsd);
  });

  it("lets either store front end carry the month's REST requests and the day's model spend", () => {
    const restShare = 1 - loadModel.share.webSocket;
    const monthlyRequests = capacity.monthlyRestRequests;
    const dailyModelUsd = capacity.monthlyModelUsd / 30;
    for (const tenant of prod.tenants) {
      expect(tenant.quota.limit, tenant.id).toBeGreaterThanOrEqual(monthlyRequests);
      expect(tenant.dailyBudgetUsd, tenant.id).toBeGreaterThanOrEqual(dailyModelUsd);
      expect(tenant.throttle.rateLimit, tenant.id).toBeGreaterThanOrEqual(
        2 * capacity.peakPerSecond * restShare,
      );
    }
  });
});
