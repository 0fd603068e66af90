import { ConfigurationError } from '@mangaassist/commons';
import { gatewayEnvironment } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import {
  createConsumerPlatform,
  eventConsumerEnvironmentFrom,
  requiredSetting,
} from './consumer-platform.js';

describe('eventConsumerEnvironmentFrom', () => {
  const names = gatewayEnvironment;
  const fmTriggerEnvironment = {
    [names.eventConsumer]: 'fm-trigger',
    [names.consumedEventsTable]: 'mangaassist-prod-consumed-events',
    [names.productsTable]: 'mangaassist-prod-products',
    [names.reviewsTable]: 'mangaassist-prod-reviews',
    [names.eventBusName]: 'mangaassist-prod-ai-events',
    [names.senderEmail]: 'noreply@mangaassist.example.com',
  };

  it('reads the consumer and its settings', () => {
    expect(eventConsumerEnvironmentFrom(fmTriggerEnvironment)).toStrictEqual({
      consumer: 'fm-trigger',
      consumedEventsTable: 'mangaassist-prod-consumed-events',
      productsTable: 'mangaassist-prod-products',
      reviewsTable: 'mangaassist-prod-reviews',
      eventBusName: 'mangaassist-prod-ai-events',
      senderEmail: 'noreply@mangaassist.example.com',
    });
  });

  it('needs only the reviews table for the moderation handler', () => {
    expect(
      eventConsumerEnvironmentFrom({
        [names.eventConsumer]: 'moderation-handler',
        [names.consumedEventsTable]: 'consumed',
        [names.reviewsTable]: 'reviews',
      }),
    ).toStrictEqual({
      consumer: 'moderation-handler',
      consumedEventsTable: 'consumed',
      reviewsTable: 'reviews',
    });
  });

  it('reads the catalog enrichment queue consumer, which needs the products table and the bus', () => {
    const environment = {
      [names.eventConsumer]: 'catalog-enrichment',
      [names.consumedEventsTable]: 'consumed',
      [names.productsTable]: 'products',
      [names.eventBusName]: 'bus',
    };
    expect(eventConsumerEnvironmentFrom(environment)).toStrictEqual({
      consumer: 'catalog-enrichment',
      consumedEventsTable: 'consumed',
      productsTable: 'products',
      eventBusName: 'bus',
    });
    const { [names.productsTable]: _, ...withoutProducts } = environment;
    expect(() => eventConsumerEnvironmentFrom(withoutProducts)).toThrow(
      new ConfigurationError('PRODUCTS_TABLE is required by the catalog-enrichment consumer'),
    );
  });

  it('no longer needs the products table for the FM trigger', () => {
    const { [names.productsTable]: _, ...withoutProducts } = fmTriggerEnvironment;
    expect(eventConsumerEnvironmentFrom(withoutProducts)).not.toHaveProperty('productsTable');
  });

  it('rejects an unknown consumer, naming the variable', () => {
    expect(() =>
      eventConsumerEnvironmentFrom({ ...fmTriggerEnvironment, [names.eventConsumer]: 'mailer' }),
    ).toThrow(/EVENT_CONSUMER must be one of/);
  });

  it('rejects a missing consumed-events table', () => {
    expect(() =>
      eventConsumerEnvironmentFrom({ ...fmTriggerEnvironment, [names.consumedEventsTable]: ' ' }),
    ).toThrow(new ConfigurationError('CONSUMED_EVENTS_TABLE is required'));
  });

  it('rejects a setting the consumer needs but was not given', () => {
    const { [names.senderEmail]: _, ...withoutSender } = fmTriggerEnvironment;
    expect(() => eventConsumerEnvironmentFrom(withoutSender)).toThrow(
      new ConfigurationError('SENDER_EMAIL is required by the fm-trigger consumer'),
    );
  });

  it('rejects a sender that is not an email address', () => {
    expect(() =>
      eventConsumerEnvironmentFrom({ ...fmTriggerEnvironment, [names.senderEmail]: 'MangaAssist' }),
    ).toThrow(new ConfigurationError('SENDER_EMAIL must be an email address'));
  });
});

describe('requiredSetting', () => {
  it('gives a setting eventConsumerEnvironmentFrom required, and names one that is missing', () => {
    const config = eventConsumerEnvironmentFrom({
      [gatewayEnvironment.eventConsumer]: 'catalog-enrichment',
      [gatewayEnvironment.consumedEventsTable]: 'consumed',
      [gatewayEnvironment.productsTable]: 'products',
      [gatewayEnvironment.eventBusName]: 'bus',
    });
    expect(requiredSetting(config, 'eventBusName')).toBe('bus');
    expect(() => requiredSetting(config, 'senderEmail')).toThrow(
      new ConfigurationError('SENDER_EMAIL is required by the catalog-enrichment consumer'),
    );
  });
});

describe('createConsumerPlatform', () => {
  const config = { consumedEventsTable: 'consumed', dynamoDbEndpoint: 'http://127.0.0.1:9' };

  it('builds only the stores of the configured tables, and what the entry injects', async () => {
    const platform = createConsumerPlatform({ ...config, reviewsTable: 'reviews' });
    expect(platform.reviews).toBeDefined();
    expect(platform.products).toBeUndefined();
    expect(platform.analytics).toBeUndefined();
    expect(platform.model).toBeUndefined();
    expect(platform.afterEach).toBeUndefined();
    await platform.close();
  });

  it('flushes the injected gateway’s events after each event', async () => {
    const flushes: (number | undefined)[] = [];
    const model = {
      complete: async () => {
        throw new Error('not called');
      },
      flush: async (withinMs?: number) => {
        flushes.push(withinMs);
      },
    };
    const platform = createConsumerPlatform({ ...config, productsTable: 'products' }, { model });
    expect(platform.products).toBeDefined();
    expect(platform.productCatalog).toBeDefined();
    await platform.afterEach?.();
    expect(flushes).toEqual([500]);
    await platform.close();
  });
});
