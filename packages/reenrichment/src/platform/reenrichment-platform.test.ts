import { ConfigurationError } from '@mangaassist/commons';
import { gatewayConfigSchema } from '@mangaassist/fm-gateway';
import { describe, expect, it } from 'vitest';
import {
  assertBatchRegion,
  batchTarget,
  reenrichmentConfigFromEnvironment,
} from './reenrichment-platform.js';

const gateway = (regionTargets: unknown) => gatewayConfigSchema.parse({ stage: 'dev', regionTargets });

describe('batchTarget', () => {
  it('runs batch jobs through the fast model’s first usable region target, with its profile id', () => {
    expect(batchTarget(gateway([{ region: 'ap-northeast-1', profile: 'jp' }]))).toEqual({
      region: 'ap-northeast-1',
      modelId: expect.stringMatching(/^jp\.anthropic\./),
    });
  });

  it('refuses a deployment whose batch jobs would run where this stack’s rule cannot hear of them', () => {
    expect(() => assertBatchRegion('ap-northeast-1', 'ap-northeast-1')).not.toThrow();
    expect(() => assertBatchRegion('ap-northeast-1', undefined)).not.toThrow();
    expect(() => assertBatchRegion('ap-northeast-1', 'us-east-1')).toThrow(ConfigurationError);
  });
});

describe('reenrichmentConfigFromEnvironment', () => {
  const env = {
    MANGA_ENV: 'dev',
    PRODUCTS_TABLE: 'mangaassist-dev-products',
    DOCUMENTS_BUCKET: 'mangaassist-dev-documents',
    REENRICHMENT_BATCH_ROLE_ARN: 'arn:aws:iam::123456789012:role/batch',
  };

  it('reads the settings, the batch threshold optional', () => {
    expect(reenrichmentConfigFromEnvironment({ ...env, REENRICHMENT_BATCH_THRESHOLD: '5000' })).toMatchObject(
      {
        stage: 'dev',
        productsTable: 'mangaassist-dev-products',
        batchThreshold: 5000,
      },
    );
  });

  it('names the variable that is missing or invalid', () => {
    expect(() => reenrichmentConfigFromEnvironment({ ...env, REENRICHMENT_BATCH_ROLE_ARN: 'batch' })).toThrow(
      /REENRICHMENT_BATCH_ROLE_ARN/,
    );
    expect(() => reenrichmentConfigFromEnvironment({ ...env, REENRICHMENT_BATCH_THRESHOLD: '50' })).toThrow(
      /REENRICHMENT_BATCH_THRESHOLD/,
    );
  });
});
