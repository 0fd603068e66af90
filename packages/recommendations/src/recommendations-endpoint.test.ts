import type { HttpRequest } from '@mangaassist/http';
import { describe, expect, it } from 'vitest';
import {
  MemoryRecommendationStore,
  type RecommendationStore,
  RecommendationStoreUnavailableError,
} from './recommendation-store.js';
import { makeRecommendationsEndpoint } from './recommendations-endpoint.js';

const shonen = {
  segment: 'shonen',
  product_ids: ['onepiece-108', 'jujutsu-28'],
  model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
  generated_at: '2026-12-07T06:00:00.000Z',
};

function request(
  query: Record<string, readonly string[]> = {},
  overrides: Partial<HttpRequest> = {},
): HttpRequest {
  return {
    method: 'GET',
    path: '/v1/recommendations',
    headers: {},
    body: new Uint8Array(),
    query,
    requestId: 'req-1',
    tenantId: 'tenant-a',
    ...overrides,
  };
}

async function endpointWith(store: RecommendationStore = new MemoryRecommendationStore()) {
  await store.put(shonen);
  return makeRecommendationsEndpoint({ store });
}

const bodyOf = (response: { body: string }) => JSON.parse(response.body);

describe('GET /v1/recommendations', () => {
  it('answers a segment’s list, cacheable for a minute', async () => {
    const endpoint = await endpointWith();

    const response = await endpoint(request({ segment: ['shonen'] }));

    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('private, max-age=60');
    expect(bodyOf(response)).toEqual(shonen);
  });

  it('answers every segment’s list without a segment', async () => {
    const endpoint = await endpointWith();

    const response = await endpoint(request());

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ recommendations: [shonen] });
  });

  it('leaves out a list whose segment is no longer configured', async () => {
    const store = new MemoryRecommendationStore();
    await store.put({ ...shonen, segment: 'josei' });

    const response = await (await endpointWith(store))(request());

    expect(bodyOf(response)).toEqual({ recommendations: [shonen] });
  });

  it('answers 404 recommendations_not_ready for a segment without a list yet', async () => {
    const endpoint = await endpointWith();

    const response = await endpoint(request({ segment: ['seinen'] }));

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).error).toMatchObject({ code: 'recommendations_not_ready', request_id: 'req-1' });
  });

  it('answers 404 unknown_segment naming the segments for one that is not configured', async () => {
    const endpoint = await endpointWith();

    const response = await endpoint(request({ segment: ['josei'] }));

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).error).toMatchObject({
      code: 'unknown_segment',
      message: expect.stringContaining('shonen, shojo, seinen'),
    });
  });

  it.each([
    ['a malformed segment', { segment: ['Shonen!'] }, 'segment'],
    ['an empty segment', { segment: [''] }, 'segment'],
    ['a repeated segment', { segment: ['shonen', 'seinen'] }, 'segment'],
    ['another parameter', { segment: ['shonen'], limit: ['5'] }, 'limit'],
  ])('answers 400 validation_failed for %s', async (_, query, path) => {
    const endpoint = await endpointWith();

    const response = await endpoint(request(query));

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).error).toMatchObject({ code: 'validation_failed', issues: [{ path }] });
  });

  it('answers 405 with Allow for another method, and 404 for another path', async () => {
    const endpoint = await endpointWith();

    const post = await endpoint(request({}, { method: 'POST' }));
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect((await endpoint(request({}, { path: '/v1/recommendations/shonen' }))).statusCode).toBe(404);
  });

  it('answers 503 with retry-after when the table cannot be reached', async () => {
    const unreachable = async () => {
      throw new RecommendationStoreUnavailableError('recommendations table get failed: timeout');
    };
    const endpoint = makeRecommendationsEndpoint({
      store: { put: unreachable, get: unreachable, list: unreachable },
    });

    const response = await endpoint(request({ segment: ['shonen'] }));

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(bodyOf(response).error.code).toBe('service_unavailable');
  });
});
