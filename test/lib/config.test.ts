import { defaultModelCatalog, defaultRegionTargets, fallbackLadder } from '@mangaassist/fm-gateway/catalog';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { checkModelReach, checkOrchestrator } from '../../lib/config/validation.js';
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

  it.each(stages)(
    'gives every %s tenant a usage plan with the seed throttle, a monthly quota and a daily budget (the seed quota before production, the load model’s in it)',
    (stage) => {
      const { tenants } = environmentConfig(stage);
      expect(tenants.length).toBeGreaterThan(0);
      expect(new Set(tenants.map((tenant) => tenant.id)).size).toBe(tenants.length);
      for (const tenant of tenants) {
        expect(tenant.throttle).toEqual({ rateLimit: 100, burstLimit: 200 });
        expect(tenant.quota).toEqual({ limit: stage === 'prod' ? 25_000_000 : 100_000, period: 'MONTH' });
        expect(tenant.dailyBudgetUsd).toBeGreaterThan(0);
      }
    },
  );

  it("takes end users' tokens from the stage's Cognito pool everywhere, and the mobile app's key alone nowhere", () => {
    for (const stage of stages) {
      const config = environmentConfig(stage);
      expect(config.endUsers).toEqual({ tenantClaim: 'custom:tenant' });
      const requiring = config.tenants.filter((tenant) => tenant.requireUserToken).map(({ id }) => id);
      expect(requiring).toEqual(['manga-store-app']);
    }
  });

  it('spends at most a few dollars a day per tenant before production', () => {
    for (const tenant of environmentConfig('dev').tenants)
      expect(tenant.dailyBudgetUsd).toBeLessThanOrEqual(10);
    for (const tenant of environmentConfig('prod').tenants) expect(tenant.dailyBudgetUsd).toBe(2_500);
  });

  it.each(stages)(
    'limits each API key to 90 000 requests in 5 minutes and each address to 36 000, above a usage plan, in %s',
    (stage) => {
      const config = environmentConfig(stage);
      expect(config.firewall).toEqual({
        requestsPerApiKeyPer5Minutes: 90_000,
        requestsPerIpPer5Minutes: 36_000,
      });
      // A tenant's usage plan throttles its key before the WAF blocks the address it calls from.
      for (const tenant of config.tenants) {
        expect(config.firewall.requestsPerIpPer5Minutes).toBeGreaterThan(tenant.throttle.rateLimit * 300);
      }
    },
  );

  it.each(stages)(
    'alarms in %s above a 1 per cent REST 5xx rate, a 3 s chat p99, 5 per cent WebSocket errors, webhook error spikes, 15-minute-old queued jobs, callbacks unattempted for 9 hours, 5 failed invocations of a function, 80 per cent of the cache and of 1 000 concurrent executions',
    (stage) => {
      expect(environmentConfig(stage).alarms).toEqual({
        serverErrorRatePercent: 1,
        chatLatencyP99Ms: 3000,
        webSocketErrorRatePercent: 5,
        webhookClientErrorsPer5Minutes: 25,
        webhookServerErrorsPer5Minutes: 5,
        jobQueueAgeSeconds: 900,
        jobCallbackAgeSeconds: 9 * 3600,
        functionErrorsPer5Minutes: 5,
        cacheUsagePercent: 80,
        accountConcurrency: { limit: 1000, usagePercent: 80 },
        monthlyBudgetUsd: { dev: 300, staging: 1000, prod: 6_000 }[stage],
        monthlyModelBudgetUsd: { dev: 100, staging: 300, prod: 70_000 }[stage],
        bedrockThrottlesPer5Minutes: 10,
      });
    },
  );

  it.each(stages)(
    'starts %s jobs on a normal lane of 10 starters and a low lane of 2, steps ending within 280 s, callbacks by 5 deliverers',
    (stage) => {
      const { jobs } = environmentConfig(stage);
      expect(jobs.laneConcurrency).toEqual({ normal: 10, low: 2 });
      expect(jobs.callbackConcurrency).toBe(5);
      expect(jobs.starterTimeout.toSeconds()).toBe(30);
      expect(jobs.stepsMemorySize).toBe(1024);
      expect(jobs.stepsTimeout.toSeconds()).toBe(280);
    },
  );

  it('asks the model about two chunks of a job at once in dev and four in staging and prod', () => {
    expect(environmentConfig('dev').jobs.chunkConcurrency).toBe(2);
    expect(environmentConfig('staging').jobs.chunkConcurrency).toBe(4);
    expect(environmentConfig('prod').jobs.chunkConcurrency).toBe(4);
  });

  it.each(stages)('sizes the %s webhook functions at 512 MB and 30 s', (stage) => {
    const { webhooks } = environmentConfig(stage);
    expect(webhooks.memorySize).toBe(512);
    expect(webhooks.timeout.toSeconds()).toBe(30);
  });

  it('reserves 50 instances per webhook function in staging and prod, and none in dev, whose sandbox account may not have them', () => {
    expect(environmentConfig('prod').webhooks.reservedConcurrency).toBe(50);
    expect(environmentConfig('staging').webhooks.reservedConcurrency).toBe(50);
    expect(environmentConfig('dev').webhooks.reservedConcurrency).toBeUndefined();
  });

  it('keeps five instances of each webhook function warm in prod and none elsewhere', () => {
    expect(environmentConfig('prod').webhooks.provisionedConcurrency).toBe(5);
    expect(environmentConfig('staging').webhooks.provisionedConcurrency).toBeUndefined();
    expect(environmentConfig('dev').webhooks.provisionedConcurrency).toBeUndefined();
  });

  it('streams answers for up to 3 minutes, well inside API Gateway’s 15-minute streaming limit', () => {
    expect(environmentConfig('prod').chat.streamTimeout.toSeconds()).toBe(180);
  });

  it('spreads prod over three of Tokyo’s zones with a NAT gateway in each, and the other stages over two with one', () => {
    expect(environmentConfig('prod').network).toEqual({
      maxAzs: 3,
      availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
      natGateways: 3,
    });
    expect(environmentConfig('staging').network).toEqual({ maxAzs: 2, natGateways: 1 });
    expect(environmentConfig('dev').network).toEqual({ maxAzs: 2, natGateways: 1 });
  });

  it('traces every environment and names its stacks after the stage', () => {
    for (const stage of stages) {
      expect(environmentConfig(stage).tracing).toBe(true);
      expect(environmentConfig(stage).stackPrefix).toBe(`MangaAssist-${stage}`);
    }
  });
});

describe('environmentConfig events', () => {
  it.each(stages)('archives %s events for 30 days and sizes the consumers at 512 MB and 60 s', (stage) => {
    const { events } = environmentConfig(stage);
    expect(events.archiveRetention.toDays()).toBe(30);
    expect(events.consumerMemorySize).toBe(512);
    expect(events.consumerTimeout.toSeconds()).toBe(60);
  });

  it.each(stages)(
    'uses placeholders under the reserved example domain in %s until a deployment sets its own',
    (stage) => {
      const { events } = environmentConfig(stage);
      expect(events.senderEmail).toMatch(/^orders@([a-z]+\.)?mangaassist\.example$/);
      expect(events.senderEmail.endsWith(`@${events.senderIdentity}`)).toBe(true);
      expect(events.moderationWebhook).toEqual({
        url: `https://hooks.example.com/mangaassist/${stage}/moderation-alerts`,
        apiKeyHeader: 'x-api-key',
        rateLimitPerSecond: 10,
      });
    },
  );

  it('forwards to no other account unless a bus is configured', () => {
    for (const stage of stages) expect(environmentConfig(stage).events.crossAccountBusArn).toBeUndefined();
  });

  it("takes a deployment's sender, webhook and forwarding bus from its overrides", () => {
    const busArn = 'arn:aws:events:ap-northeast-1:111122223333:event-bus/central';
    const { events } = environmentConfig('prod', {
      senderEmail: 'orders@mail.shop.example.jp',
      moderationWebhookUrl: 'https://alerts.shop.example.jp/moderation',
      crossAccountBusArn: busArn,
    });
    expect(events.senderEmail).toBe('orders@mail.shop.example.jp');
    expect(events.senderIdentity).toBe('mail.shop.example.jp');
    expect(events.moderationWebhook.url).toBe('https://alerts.shop.example.jp/moderation');
    expect(events.crossAccountBusArn).toBe(busArn);
    expect(
      environmentConfig('prod', {
        senderEmail: 'orders@mail.shop.example.jp',
        senderIdentity: 'shop.example.jp',
      }).events.senderIdentity,
    ).toBe('shop.example.jp');
  });

  it('refuses overrides that would send from an uncovered identity, post in the clear or forward nowhere', () => {
    expect(() => environmentConfig('dev', { senderEmail: 'not an address' })).toThrow(
      /is not an email address/,
    );
    expect(() =>
      environmentConfig('dev', { senderEmail: 'orders@shop.example.jp', senderIdentity: 'other.example.jp' }),
    ).toThrow(/does not cover senderEmail/);
    expect(() => environmentConfig('dev', { moderationWebhookUrl: 'http://alerts.example.jp/x' })).toThrow(
      /https:\/\/ URL without credentials/,
    );
    expect(() =>
      environmentConfig('dev', { moderationWebhookUrl: 'https://user:pw@alerts.example.jp/x' }),
    ).toThrow(ConfigError);
    expect(() => environmentConfig('dev', { moderationWebhookUrl: 'not a url' })).toThrow(/is not a URL/);
    expect(() =>
      environmentConfig('dev', { crossAccountBusArn: 'arn:aws:sqs:ap-northeast-1:111122223333:q' }),
    ).toThrow(/is not an event bus ARN/);
  });
});

describe('stackEnvironment', () => {
  it.each(stages)(
    'pins the %s stacks to Tokyo, whatever region the CLI is set to, and to no account unless configured',
    (stage) => {
      expect(stackEnvironment(environmentConfig(stage))).toEqual({ region: 'ap-northeast-1' });
      expect(primaryRegion).toBe('ap-northeast-1');
    },
  );

  it('deploys a pinned account to the primary region unless a region is given', () => {
    const pinned = { ...environmentConfig('prod'), account: '123456789012' };
    expect(stackEnvironment(pinned)).toEqual({ account: '123456789012', region: primaryRegion });
    expect(stackEnvironment({ ...pinned, region: 'ap-northeast-3' })).toEqual({
      account: '123456789012',
      region: 'ap-northeast-3',
    });
  });
});

describe('environmentConfig orchestrator', () => {
  it('runs two orchestrator tasks in prod, one elsewhere, on 1 vCPU and 2 GiB', () => {
    expect(environmentConfig('prod').orchestrator).toEqual({
      desiredCount: 2,
      maxCount: 20,
      cpu: 1024,
      memoryLimitMiB: 2048,
    });
    expect(environmentConfig('dev').orchestrator).toMatchObject({ desiredCount: 1, maxCount: 2 });
  });

  it('answers SSE from the orchestrator in dev and every chat and task route from Lambda elsewhere', () => {
    const onLambda = {
      chat: 'lambda',
      'chat-stream': 'lambda',
      moderate: 'lambda',
      summarize: 'lambda',
      analyze: 'lambda',
    };
    expect(environmentConfig('dev').chat.compute).toEqual({ ...onLambda, 'chat-stream': 'fargate' });
    for (const stage of ['staging', 'prod']) {
      expect(environmentConfig(stage).chat.compute).toEqual(onLambda);
    }
  });
});

describe('checkOrchestrator', () => {
  const valid = { desiredCount: 2, maxCount: 4, cpu: 1024, memoryLimitMiB: 2048 };

  it('accepts Fargate sizes, 512 MiB on a quarter vCPU included', () => {
    expect(() => checkOrchestrator('prod', valid)).not.toThrow();
    expect(() => checkOrchestrator('dev', { ...valid, cpu: 256, memoryLimitMiB: 512 })).not.toThrow();
    expect(() => checkOrchestrator('dev', { ...valid, cpu: 4096, memoryLimitMiB: 30720 })).not.toThrow();
  });

  it.each([
    ['one task in prod', 'prod', { desiredCount: 1 }],
    ['no task', 'dev', { desiredCount: 0 }],
    ['fewer at most than idle', 'dev', { desiredCount: 3, maxCount: 2 }],
    ['a CPU size Fargate has not', 'dev', { cpu: 768 }],
    ['memory over the CPU size’s range', 'dev', { cpu: 1024, memoryLimitMiB: 9216 }],
    ['memory that is not whole GiB', 'dev', { cpu: 1024, memoryLimitMiB: 2500 }],
  ])('refuses %s', (_, stage, change) => {
    expect(() => checkOrchestrator(stage, { ...valid, ...change })).toThrow(ConfigError);
  });
});

describe('checkModelReach', () => {
  const asiaPacific = { regionTargets: defaultRegionTargets, allowedGeographies: ['jp', 'apac'] } as const;

  it('fails the synth for an alias whose model no target within the geographies can call, naming both', () => {
    expect(() => checkModelReach('staging', asiaPacific)).toThrow(ConfigError);
    expect(() => checkModelReach('staging', asiaPacific)).toThrow(
      'staging: the quality alias points at claude-opus-4-5, which has no Bedrock target in ap-northeast-1, ap-northeast-3, us-east-1 within jp, apac: its calls would answer from claude-sonnet-4-5.',
    );
  });

  it('lets an alias stay unreachable when the configuration says why, and only then', () => {
    const because = 'no jp or apac profile';
    expect(() =>
      checkModelReach('prod', { ...asiaPacific, unreachableAliases: { quality: because } }),
    ).not.toThrow();
    expect(() =>
      checkModelReach('prod', { ...asiaPacific, unreachableAliases: { quality: because, fast: because } }),
    ).toThrow(/unreachableAliases.fast acknowledges claude-haiku-4-5 as unreachable, but it is reachable/);
    expect(() => checkModelReach('dev', { regionTargets: defaultRegionTargets })).not.toThrow();
  });

  it('fails when no model of an alias’s ladder is reachable, acknowledged or not, and refuses a blank reason', () => {
    // Every model of the quality ladder in the US only: nothing would answer it within Asia-Pacific.
    const ladder = fallbackLadder(defaultModelCatalog, defaultModelCatalog.aliases.quality);
    const usOnly = JSON.stringify({
      models: Object.fromEntries(ladder.map((key) => [key, { profiles: ['us'], onDemand: false }])),
    });
    const nowhere = {
      ...asiaPacific,
      modelCatalogOverridesJson: usOnly,
      unreachableAliases: { quality: 'US only' },
    };
    // The fast alias's ladder is the tail of quality's, so it is the first found.
    expect(() => checkModelReach('prod', nowhere)).toThrow(
      `prod: no model of the fast alias's ladder (${ladder.slice(-2).join(' → ')}) has a Bedrock target in ap-northeast-1, ap-northeast-3, us-east-1 within jp, apac: its calls could never be answered`,
    );
    expect(() => checkModelReach('prod', { ...asiaPacific, unreachableAliases: { quality: ' ' } })).toThrow(
      /unreachableAliases.quality must say why/,
    );
  });

  it('is what staging and prod acknowledge: quality answers from Sonnet within Asia-Pacific', () => {
    for (const stage of ['staging', 'prod']) {
      expect(environmentConfig(stage).bedrock.unreachableAliases).toEqual({
        quality: expect.stringContaining('Sonnet'),
      });
    }
    expect(environmentConfig('dev').bedrock.unreachableAliases).toBeUndefined();
  });
});
