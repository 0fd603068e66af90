import { ConfigurationError } from '@mangaassist/commons';
import { gatewayEnvironment } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { generateDevWebhookSecrets } from '../secrets/dev-webhook-secrets.js';
import { StaticWebhookSecrets } from '../secrets/static-webhook-secrets.js';
import { webhookSchemes } from '../sources.js';
import { recordingCatalogEnrichmentQueue } from '../testing/catalog-enrichment-fixtures.js';
import {
  createWebhookPlatform,
  webhookConfigFromEnvironment,
  webhookEnvironmentFrom,
} from './webhook-platform.js';

describe('webhookEnvironmentFrom', () => {
  const complete = {
    [gatewayEnvironment.webhookSource]: 'catalog',
    [gatewayEnvironment.webhookSecretId]:
      'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:webhooks',
    [gatewayEnvironment.idempotencyTable]: 'mangaassist-prod-webhook-idempotency',
    [gatewayEnvironment.eventBusName]: 'MangaAssist-AI-Events',
    [gatewayEnvironment.catalogEnrichmentQueueUrl]:
      'https://sqs.ap-northeast-1.amazonaws.com/123456789012/mangaassist-prod-catalog-enrichment.fifo',
  };

  it('reads the source, secret, table, bus and the catalog enrichment queue', () => {
    expect(webhookEnvironmentFrom(complete)).toEqual({
      source: 'catalog',
      secretId: complete[gatewayEnvironment.webhookSecretId],
      idempotencyTable: 'mangaassist-prod-webhook-idempotency',
      eventBusName: 'MangaAssist-AI-Events',
      catalogEnrichmentQueueUrl: complete[gatewayEnvironment.catalogEnrichmentQueueUrl],
    });
  });

  it('needs the catalog enrichment queue for the catalog only', () => {
    const { [gatewayEnvironment.catalogEnrichmentQueueUrl]: _, ...withoutQueue } = complete;
    expect(() => webhookEnvironmentFrom(withoutQueue)).toThrow(/CATALOG_ENRICHMENT_QUEUE_URL is required/);
    expect(
      webhookEnvironmentFrom({ ...withoutQueue, [gatewayEnvironment.webhookSource]: 'stripe' }),
    ).not.toHaveProperty('catalogEnrichmentQueueUrl');
  });

  it('names the variable that is missing or invalid', () => {
    expect(() =>
      webhookEnvironmentFrom({ ...complete, [gatewayEnvironment.webhookSource]: 'paypal' }),
    ).toThrow(/WEBHOOK_SOURCE must be one of stripe, reviews, catalog/);
    expect(() => webhookEnvironmentFrom({ ...complete, [gatewayEnvironment.idempotencyTable]: ' ' })).toThrow(
      /IDEMPOTENCY_TABLE is required/,
    );
  });
});

describe('webhookConfigFromEnvironment', () => {
  it('serves the one source the function is for', () => {
    const config = webhookConfigFromEnvironment({
      [gatewayEnvironment.webhookSource]: 'stripe',
      [gatewayEnvironment.webhookSecretId]: 'webhooks',
      [gatewayEnvironment.idempotencyTable]: 'mangaassist-prod-webhook-idempotency',
      [gatewayEnvironment.eventBusName]: 'MangaAssist-AI-Events',
    });
    expect(config).toMatchObject({ source: 'stripe', sources: ['stripe'], secretId: 'webhooks' });
  });
});

describe('createWebhookPlatform', () => {
  const config = {
    idempotencyTable: 'webhook-idempotency',
    eventBusName: 'MangaAssist-AI-Events',
    eventBridgeEndpoint: 'http://127.0.0.1:9',
    dynamoDbEndpoint: 'http://127.0.0.1:9',
  };
  const secrets = new StaticWebhookSecrets(generateDevWebhookSecrets(), { formats: webhookSchemes });

  it('builds one receiver per served source and no gateway for stripe and catalog', async () => {
    const { queue } = recordingCatalogEnrichmentQueue();
    const platform = createWebhookPlatform(
      { ...config, sources: ['stripe', 'catalog'] },
      { secrets, catalogEnrichment: queue },
    );
    expect(platform.receivers.map((receiver) => receiver.source)).toEqual(['stripe', 'catalog']);
    expect(platform.afterResponse).toBeUndefined();
    await platform.close();
  });

  it('serves reviews with the gateway it is given and flushes its events after each response', async () => {
    const flushes: (number | undefined)[] = [];
    const gateway = {
      complete: async () => {
        throw new Error('not called');
      },
      flush: async (withinMs?: number) => {
        flushes.push(withinMs);
      },
    };
    const platform = createWebhookPlatform({ ...config, sources: ['reviews'] }, { secrets, gateway });
    expect(platform.receivers.map((receiver) => receiver.source)).toEqual(['reviews']);
    await platform.afterResponse?.();
    expect(flushes).toEqual([300]);
    await platform.close();
  });

  it('refuses reviews without a gateway, catalog without its queue, and a secret it cannot read', () => {
    expect(() => createWebhookPlatform({ ...config, sources: ['reviews'] }, { secrets })).toThrow(
      ConfigurationError,
    );
    expect(() => createWebhookPlatform({ ...config, sources: ['catalog'] }, { secrets })).toThrow(
      new ConfigurationError('The catalog webhook needs the catalog enrichment queue.'),
    );
    expect(() => createWebhookPlatform({ ...config, sources: ['stripe'] })).toThrow(
      /WEBHOOK_SECRET_ID is required/,
    );
  });
});
