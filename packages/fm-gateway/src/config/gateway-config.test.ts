import { ConfigurationError } from '@mangaassist/commons';
import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnvironment } from './gateway-config.js';

describe('gatewayConfigFromEnvironment', () => {
  it('takes the defaults when nothing is set', () => {
    expect(gatewayConfigFromEnvironment({})).toMatchObject({
      stage: 'dev',
      responseCacheTtlSeconds: 300,
      chatDeadlineMs: 3000,
      regionTargets: [
        { region: 'ap-northeast-1', profile: 'jp' },
        expect.anything(),
        expect.anything(),
        expect.anything(),
      ],
    });
  });

  it('reads targets as JSON and geographies as a comma-separated list', () => {
    const config = gatewayConfigFromEnvironment({
      BEDROCK_REGION_TARGETS: '[{"region":"ap-northeast-3","profile":"jp"}]',
      BEDROCK_ALLOWED_GEOGRAPHIES: 'jp, apac',
      RESPONSE_CACHE_TTL_SECONDS: '60',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config).toMatchObject({
      regionTargets: [{ region: 'ap-northeast-3', profile: 'jp' }],
      allowedGeographies: ['jp', 'apac'],
      responseCacheTtlSeconds: 60,
      redisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('reads the guardrail by id or ARN, its version DRAFT unless set, and refuses anything else', () => {
    expect(gatewayConfigFromEnvironment({})).not.toHaveProperty('guardrailId');
    expect(gatewayConfigFromEnvironment({ BEDROCK_GUARDRAIL_ID: 'gr0abc123def' })).toMatchObject({
      guardrailId: 'gr0abc123def',
      guardrailVersion: 'DRAFT',
    });
    const arn = 'arn:aws:bedrock:ap-northeast-1:123456789012:guardrail/gr0abc123def';
    expect(
      gatewayConfigFromEnvironment({ BEDROCK_GUARDRAIL_ID: arn, BEDROCK_GUARDRAIL_VERSION: '12' }),
    ).toMatchObject({ guardrailId: arn, guardrailVersion: '12' });
    expect(() => gatewayConfigFromEnvironment({ BEDROCK_GUARDRAIL_ID: 'Not An Id' })).toThrow(
      /BEDROCK_GUARDRAIL_ID/,
    );
    expect(() =>
      gatewayConfigFromEnvironment({ BEDROCK_GUARDRAIL_ID: 'gr0abc', BEDROCK_GUARDRAIL_VERSION: '0' }),
    ).toThrow(/BEDROCK_GUARDRAIL_VERSION/);
  });

  it('reads A/B experiments as JSON', () => {
    const config = gatewayConfigFromEnvironment({
      ROUTING_EXPERIMENTS_JSON:
        '[{"name":"sonnet-20","appliesTo":"auto","variants":[{"model":"fast","weight":80},{"model":"balanced","weight":20}]}]',
    });
    expect(config.routingExperiments).toEqual([
      {
        name: 'sonnet-20',
        appliesTo: 'auto',
        variants: [
          { model: 'fast', weight: 80 },
          { model: 'balanced', weight: 20 },
        ],
      },
    ]);
    expect(() => gatewayConfigFromEnvironment({ ROUTING_EXPERIMENTS_JSON: '[{"name":"x"}]' })).toThrow(
      /ROUTING_EXPERIMENTS_JSON/,
    );
  });

  it('leaves the stores to the platform: a gateway-only door needs none of them outside dev', () => {
    expect(gatewayConfigFromEnvironment({ MANGA_ENV: 'prod' }).stage).toBe('prod');
  });

  it('treats empty variables as unset', () => {
    expect(gatewayConfigFromEnvironment({ REDIS_URL: '', EVENT_BUS_NAME: ' ' }).redisUrl).toBeUndefined();
  });

  it('names the variable that is wrong', () => {
    expect(() => gatewayConfigFromEnvironment({ BEDROCK_REGION_TARGETS: '[{"region":"tokyo"}]' })).toThrow(
      /BEDROCK_REGION_TARGETS: .*AWS region/,
    );
    expect(() => gatewayConfigFromEnvironment({ BEDROCK_REGION_TARGETS: 'not json' })).toThrow(
      ConfigurationError,
    );
    expect(() => gatewayConfigFromEnvironment({ BEDROCK_ALLOWED_GEOGRAPHIES: 'mars' })).toThrow(
      /BEDROCK_ALLOWED_GEOGRAPHIES/,
    );
    expect(() => gatewayConfigFromEnvironment({ CHAT_DEADLINE_MS: '60000' })).toThrow(/CHAT_DEADLINE_MS/);
  });
});
