import { ConfigurationError } from '@mangaassist/commons';
import { MemoryProductCatalog } from '@mangaassist/consumers';
import type { DomainEvent } from '@mangaassist/events';
import type { GatewayRequest, GatewayResult } from '@mangaassist/fm-gateway';
import { MemoryRecommendationStore } from '@mangaassist/recommendations';
import {
  createRecommendationStepsPlatform,
  createRecommendationsApiPlatform,
  recommendationsConfigFromEnvironment,
} from '@mangaassist/recommendations/platform';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeRecommendationStepsFunctionHandler, makeRecommendationsApiHandler } from './recommendations.js';

const config = recommendationsConfigFromEnvironment({
  RECOMMENDATIONS_TABLE: 'mangaassist-test-recommendations',
  PRODUCTS_TABLE: 'mangaassist-test-products',
  EVENT_BUS_NAME: 'mangaassist-test-ai',
});

function apiEvent(query: Record<string, string> | null): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    path: '/v1/recommendations',
    headers: {},
    queryStringParameters: query,
    multiValueQueryStringParameters:
      query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'api-req-1', identity: { apiKeyId: 'key-id-1' } },
  } as APIGatewayProxyEvent;
}

describe('recommendations functions', () => {
  it('reads the settings, naming a missing table', () => {
    expect(() => recommendationsConfigFromEnvironment({})).toThrow(ConfigurationError);
    expect(() => recommendationsConfigFromEnvironment({})).toThrow('RECOMMENDATIONS_TABLE');
  });

  it('answers GET /v1/recommendations?segment= from the store through API Gateway', async () => {
    const store = new MemoryRecommendationStore();
    const list = {
      segment: 'seinen',
      product_ids: ['vagabond-37'],
      model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
      generated_at: '2026-12-07T06:00:00.000Z',
    };
    await store.put(list);
    const handler = makeRecommendationsApiHandler(createRecommendationsApiPlatform(config, { store }));

    const found = await handler(apiEvent({ segment: 'seinen' }));
    expect(found.statusCode).toBe(200);
    expect(JSON.parse(found.body)).toEqual(list);
    expect((await handler(apiEvent({ segment: 'SEINEN' }))).statusCode).toBe(400);
  });

  it('runs a step and flushes the gateway’s events after it, even when the step fails', async () => {
    const published: DomainEvent[] = [];
    const flushes: number[] = [];
    const model = {
      complete: async (request: GatewayRequest): Promise<GatewayResult> => {
        throw new Error(`no model for ${request.requestId}`);
      },
      flush: async (ms: number) => {
        flushes.push(ms);
      },
    };
    const steps = createRecommendationStepsPlatform(config, {
      model,
      store: new MemoryRecommendationStore(),
      catalog: new MemoryProductCatalog([{ productId: 'vagabond-37', title: 'Vagabond', genre: '青年' }]),
      events: { publish: async (events) => void published.push(...events) },
    });
    const handler = makeRecommendationStepsFunctionHandler(steps);

    await expect(
      handler({ step: 'plan', run_id: 'run-1', started_at: '2026-12-07T06:00:00.000Z' }),
    ).resolves.toMatchObject({ segments: ['seinen'] });
    await expect(
      handler({
        step: 'recommend-segment',
        segment: 'seinen',
        run_id: 'run-1',
        generated_at: '2026-12-07T06:00:00.000Z',
      }),
    ).rejects.toMatchObject({ name: 'ModelUnavailable' });
    expect(flushes).toEqual([300, 300]);
    expect(published).toEqual([]);
  });

  it('refuses to build the steps without the catalog’s table or the bus', () => {
    const withoutBus = recommendationsConfigFromEnvironment({
      RECOMMENDATIONS_TABLE: 'mangaassist-test-recommendations',
      PRODUCTS_TABLE: 'p-table',
    });
    expect(() =>
      createRecommendationStepsPlatform(withoutBus, {
        model: { complete: async () => Promise.reject(new Error('unused')) },
      }),
    ).toThrow(new ConfigurationError('EVENT_BUS_NAME is required by the recommendation steps'));
    expect(() => createRecommendationStepsPlatform(config, {})).toThrow(ConfigurationError);
  });
});
