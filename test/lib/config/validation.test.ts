import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  checkEndUsers,
  checkEvents,
  checkJobs,
  checkSharedAccounts,
  checkWebhooks,
  overridesFromContext,
  parseTenants,
} from '../../../lib/config/validation.js';
import { environmentConfig, stages } from '../../../lib/config.js';

describe('checkEvents', () => {
  const events = (overrides: object = {}) => ({ ...environmentConfig('prod').events, ...overrides });

  it('accepts every stage’s event settings', () => {
    for (const stage of stages)
      expect(() => checkEvents(stage, environmentConfig(stage).events)).not.toThrow();
  });

  it('refuses an archive kept for part of a day or not at all', () => {
    expect(() => checkEvents('prod', events({ archiveRetention: Duration.hours(36) }))).toThrow(
      /whole number of days/,
    );
    expect(() => checkEvents('prod', events({ archiveRetention: Duration.days(0) }))).toThrow(ConfigError);
  });

  it('refuses an archive that outlasts the consumers’ memory of handled events, which would rerun replays', () => {
    expect(() => checkEvents('prod', events({ archiveRetention: Duration.days(35) }))).toThrow(
      /must not outlast the consumers' memory of handled events/,
    );
  });

  it('refuses a consumer timeout that outlasts its idempotency claim', () => {
    expect(() => checkEvents('prod', events({ consumerTimeout: Duration.seconds(120) }))).toThrow(
      /shorter than an idempotency claim's 120 s/,
    );
  });

  it('refuses a header name with spaces and a rate outside 1 – 300 per second', () => {
    const webhook = environmentConfig('prod').events.moderationWebhook;
    expect(() =>
      checkEvents('prod', events({ moderationWebhook: { ...webhook, apiKeyHeader: 'x api key' } })),
    ).toThrow(/not an HTTP header name/);
    expect(() =>
      checkEvents('prod', events({ moderationWebhook: { ...webhook, rateLimitPerSecond: 301 } })),
    ).toThrow(/from 1 to 300/);
  });
});

describe('overridesFromContext', () => {
  it('reads the deployment settings from context, leaving out the unset and empty ones', () => {
    const context: Record<string, unknown> = {
      senderEmail: ' orders@shop.example.jp ',
      moderationWebhookUrl: '',
      env: 'prod',
    };
    expect(overridesFromContext((key) => context[key])).toEqual({ senderEmail: 'orders@shop.example.jp' });
  });

  it('refuses a value that is not a string', () => {
    expect(() => overridesFromContext((key) => (key === 'crossAccountBusArn' ? 42 : undefined))).toThrow(
      /crossAccountBusArn must be a string/,
    );
  });
});

describe('checkWebhooks', () => {
  const webhooks = (overrides: object = {}) => ({ ...environmentConfig('prod').webhooks, ...overrides });

  it('accepts every stage’s webhook settings', () => {
    for (const stage of stages)
      expect(() => checkWebhooks(stage, environmentConfig(stage).webhooks)).not.toThrow();
  });

  it('refuses a timeout that outlasts an idempotency claim, which would let a retry process twice', () => {
    expect(() => checkWebhooks('prod', webhooks({ timeout: Duration.seconds(60) }))).toThrow(
      /shorter than an idempotency claim's 60 s/,
    );
  });

  it('refuses a reservation of 0, which would refuse every delivery, and allows none at all', () => {
    expect(() => checkWebhooks('prod', webhooks({ reservedConcurrency: 0 }))).toThrow(ConfigError);
    expect(() => checkWebhooks('prod', webhooks({ reservedConcurrency: 2.5 }))).toThrow(ConfigError);
    expect(() => checkWebhooks('dev', webhooks({ reservedConcurrency: undefined }))).not.toThrow();
    expect(() =>
      checkWebhooks('dev', webhooks({ reservedConcurrency: undefined, provisionedConcurrency: 5 })),
    ).not.toThrow();
  });

  it('refuses more warm instances than the function may run', () => {
    expect(() =>
      checkWebhooks('prod', webhooks({ reservedConcurrency: 4, provisionedConcurrency: 5 })),
    ).toThrow(/provisionedConcurrency must be a whole number from 1 to reservedConcurrency \(4\)/);
  });
});

describe('checkJobs', () => {
  const jobs = (overrides: object = {}) => ({ ...environmentConfig('prod').jobs, ...overrides });

  it('accepts every stage’s job settings', () => {
    for (const stage of stages) expect(() => checkJobs(stage, environmentConfig(stage).jobs)).not.toThrow();
  });

  it('refuses a chunk concurrency an inline Map cannot run', () => {
    expect(() => checkJobs('prod', jobs({ chunkConcurrency: 0 }))).toThrow(/chunkConcurrency/);
    expect(() => checkJobs('prod', jobs({ chunkConcurrency: 41 }))).toThrow(/chunkConcurrency/);
    expect(() => checkJobs('prod', jobs({ chunkConcurrency: 2.5 }))).toThrow(ConfigError);
  });

  it('refuses a lane concurrency an SQS event source mapping cannot have', () => {
    expect(() => checkJobs('prod', jobs({ laneConcurrency: { normal: 10, low: 1 } }))).toThrow(
      /low job lane's concurrency must be a whole number from 2 to 1000/,
    );
    expect(() => checkJobs('prod', jobs({ laneConcurrency: { normal: 1001, low: 2 } }))).toThrow(ConfigError);
  });

  it('refuses a callback deliverer concurrency an SQS event source mapping cannot have', () => {
    for (const callbackConcurrency of [1, 1001, 2.5]) {
      expect(() => checkJobs('prod', jobs({ callbackConcurrency }))).toThrow(
        /callback deliverer's concurrency must be a whole number from 2 to 1000/,
      );
    }
    expect(() => checkJobs('prod', jobs({ callbackConcurrency: 2 }))).not.toThrow();
  });

  it('refuses a low lane that starts more jobs at once than the normal lane', () => {
    expect(() => checkJobs('prod', jobs({ laneConcurrency: { normal: 4, low: 8 } }))).toThrow(
      /low job lane may not start more jobs/,
    );
  });

  it('refuses a starter timeout whose six-fold visibility timeout SQS cannot set', () => {
    expect(() => checkJobs('prod', jobs({ starterTimeout: Duration.hours(3) }))).toThrow(/43200 s/);
  });

  it('refuses a steps timeout longer than the workflow’s shortest Task timeout', () => {
    expect(() => checkJobs('prod', jobs({ stepsTimeout: Duration.seconds(301) }))).toThrow(
      /shortest Task timeout \(300 s\)/,
    );
    expect(() => checkJobs('prod', jobs({ stepsTimeout: Duration.seconds(300) }))).not.toThrow();
  });
});

describe('checkEndUsers', () => {
  const oidc = {
    issuer: 'https://issuer.example',
    audience: ['client'],
    jwksUrl: 'https://issuer.example/keys',
  };

  it('accepts a Cognito pool of the stage and an https issuer with an audience', () => {
    expect(() => checkEndUsers('prod', { tenantClaim: 'custom:tenant' })).not.toThrow();
    expect(() => checkEndUsers('prod', { oidc, tenantClaim: 'org' })).not.toThrow();
  });

  it('refuses an issuer or keys in the clear, no audience or a blank one, and a blank tenant claim', () => {
    const cases = [
      [
        { oidc: { ...oidc, issuer: 'http://issuer.example' }, tenantClaim: 'org' },
        /https:\/\/ URL, not http/,
      ],
      [{ oidc: { ...oidc, issuer: 'issuer' }, tenantClaim: 'org' }, /https:\/\/ URL/],
      [{ oidc: { ...oidc, audience: [] }, tenantClaim: 'org' }, /any client's token would do/],
      [{ oidc: { ...oidc, audience: [' '] }, tenantClaim: 'org' }, /any client's token would do/],
      [
        { oidc: { ...oidc, jwksUrl: 'http://issuer.example/keys' }, tenantClaim: 'org' },
        /keys must be at an https/,
      ],
      [{ tenantClaim: ' ' }, /tenantClaim is blank/],
    ] as const;
    for (const [endUsers, message] of cases) {
      expect(() => checkEndUsers('prod', endUsers), JSON.stringify(endUsers)).toThrow(message);
    }
  });
});

describe('checkSharedAccounts', () => {
  it('lets one stage of an account and region set its API Gateway logging role, and stages elsewhere or unpinned too', () => {
    expect(() =>
      checkSharedAccounts(
        {
          dev: { account: '111111111111', manageApiGatewayAccount: false },
          staging: { account: '111111111111' },
          prod: { account: '222222222222' },
          osaka: { account: '222222222222', region: 'ap-northeast-3' },
          sandbox: {},
        },
        'ap-northeast-1',
      ),
    ).not.toThrow();
  });

  it('refuses two stages of one account and region that would both set it', () => {
    expect(() =>
      checkSharedAccounts(
        { dev: { account: '111111111111' }, staging: { account: '111111111111', region: 'ap-northeast-1' } },
        'ap-northeast-1',
      ),
    ).toThrow(/stages dev, staging share account 111111111111 in ap-northeast-1 .* on all but one/);
  });
});

describe('parseTenants', () => {
  const tenant = (id: string, extra: object = {}) => ({ id, name: `Tenant ${id}`, ...extra });

  it('fills in the seed usage plan and budget for what a tenant leaves out', () => {
    expect(parseTenants('dev', [tenant('shop')])).toEqual([
      {
        id: 'shop',
        name: 'Tenant shop',
        throttle: { rateLimit: 100, burstLimit: 200 },
        quota: { limit: 100_000, period: 'MONTH' },
        dailyBudgetUsd: 50,
        requireUserToken: false,
      },
    ]);
  });

  it('rejects an empty list, an invalid id and a duplicate id', () => {
    expect(() => parseTenants('dev', [])).toThrow(ConfigError);
    expect(() => parseTenants('dev', [tenant('Not Valid')])).toThrow(/invalid tenants/);
    expect(() => parseTenants('dev', [tenant('shop'), tenant('shop')])).toThrow(/duplicate tenant id "shop"/);
  });

  it('refuses more tenants than fit in the Lambda environment', () => {
    const many = Array.from({ length: 20 }, (_, index) => tenant(`tenant-${index}`));
    expect(() => parseTenants('prod', many)).toThrow(/do not fit the Lambda environment/);
  });
});
