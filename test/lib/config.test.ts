import { defaultRegionTargets } from '@mangaassist/core/catalog';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ConfigError, environmentConfig, primaryRegion, stackEnvironment, stages } from '../../lib/config.js';

describe('environmentConfig', () => {
  it('rejects an unknown environment and names the accepted ones', () => {
    expect(() => environmentConfig('qa')).toThrow(ConfigError);
    expect(() => environmentConfig('qa')).toThrow(/unknown environment "qa".*dev\|staging\|prod/);
    expect(() => environmentConfig(undefined)).toThrow(ConfigError);
  });

  it.each(stages)('throttles the %s API stage at 100 requests per second with bursts of 200', (stage) => {
    const { api } = environmentConfig(stage);
    expect(api.throttlingRateLimit).toBe(100);
    expect(api.throttlingBurstLimit).toBe(200);
  });

  it.each(stages)('sizes the %s chat function at 1024 MB, 29 s, with a 3 s chat deadline', (stage) => {
    const { chat } = environmentConfig(stage);
    expect(chat.memorySize).toBe(1024);
    expect(chat.timeout.toSeconds()).toBe(29);
    expect(chat.deadlineMs).toBe(3000);
  });

  it('keeps two chat instances warm in prod and none elsewhere', () => {
    expect(environmentConfig('prod').chat.provisionedConcurrency).toBe(2);
    expect(environmentConfig('staging').chat.provisionedConcurrency).toBeUndefined();
    expect(environmentConfig('dev').chat.provisionedConcurrency).toBeUndefined();
  });

  it('retains prod resources and keeps its logs longest, while dev cleans up after a week', () => {
    const prod = environmentConfig('prod');
    const dev = environmentConfig('dev');
    expect(prod.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(prod.terminationProtection).toBe(true);
    expect(prod.logRetention).toBe(RetentionDays.THREE_MONTHS);
    expect(dev.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(dev.terminationProtection).toBe(false);
    expect(dev.logRetention).toBe(RetentionDays.ONE_WEEK);
  });

  it('keeps staging and prod Bedrock traffic in Japan and Asia-Pacific but lets dev fall back anywhere', () => {
    expect(environmentConfig('prod').bedrock.allowedGeographies).toEqual(['jp', 'apac']);
    expect(environmentConfig('staging').bedrock.allowedGeographies).toEqual(['jp', 'apac']);
    expect(environmentConfig('dev').bedrock.allowedGeographies).toBeUndefined();
  });

  it("sends Bedrock requests to the catalog's default region targets", () => {
    expect(environmentConfig('dev').bedrock.regionTargets).toEqual(defaultRegionTargets);
  });

  it('traces every environment and names its stacks after the stage', () => {
    for (const stage of stages) {
      expect(environmentConfig(stage).tracing).toBe(true);
      expect(environmentConfig(stage).stackPrefix).toBe(`MangaAssist-${stage}`);
    }
  });
});

describe('stackEnvironment', () => {
  it('leaves the stacks environment-agnostic when no account or region is configured', () => {
    expect(stackEnvironment(environmentConfig('prod'))).toBeUndefined();
  });

  it('deploys a pinned account to the primary region unless a region is given', () => {
    const pinned = { ...environmentConfig('prod'), account: '123456789012' };
    expect(stackEnvironment(pinned)).toEqual({ account: '123456789012', region: primaryRegion });
    expect(stackEnvironment({ ...pinned, region: 'ap-northeast-3' })).toEqual({
      account: '123456789012',
      region: 'ap-northeast-3',
    });
  });
});
