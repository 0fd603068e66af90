import type { WebhookSource } from '@mangaassist/contracts';
import { type HttpRequest, jsonResponse } from '@mangaassist/http';
import { describe, expect, it } from 'vitest';
import type { WebhookReceiver } from './webhook-receiver.js';
import { makeWebhookRouter } from './webhook-router.js';

/** A receiver that answers with its own source's name. */
function echoReceiver(source: WebhookSource): WebhookReceiver {
  return { source, handle: async (request) => jsonResponse(200, request.requestId, { source }) };
}

function post(path: string): HttpRequest {
  return {
    method: 'POST',
    path,
    headers: {},
    body: new Uint8Array(),
    requestId: 'req-1',
    tenantId: 'anonymous',
  };
}

const router = makeWebhookRouter([echoReceiver('stripe'), echoReceiver('reviews')]);

describe('makeWebhookRouter', () => {
  it("routes /webhooks/{source} to that source's receiver", async () => {
    expect(JSON.parse((await router(post('/webhooks/reviews'))).body)).toEqual({ source: 'reviews' });
    expect(JSON.parse((await router(post('/webhooks/stripe/'))).body)).toEqual({ source: 'stripe' });
  });

  it('answers 404 unknown_webhook_source for a source it does not serve', async () => {
    for (const path of ['/webhooks/catalog', '/webhooks/paypal']) {
      const response = await router(post(path));
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body)).toEqual({
        error: {
          code: 'unknown_webhook_source',
          message: 'No such webhook source; this endpoint serves: stripe, reviews.',
          request_id: 'req-1',
        },
      });
    }
  });

  it('answers 404 not_found for any other path', async () => {
    for (const path of ['/', '/webhooks', '/webhooks/stripe/extra', '/v1/webhooks/stripe']) {
      const response = await router(post(path));
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body).error.code).toBe('not_found');
    }
  });

  it('also serves its root source at / (a function URL)', async () => {
    const functionUrl = makeWebhookRouter([echoReceiver('catalog')], { rootSource: 'catalog' });

    expect(JSON.parse((await functionUrl(post('/'))).body)).toEqual({ source: 'catalog' });
    expect(JSON.parse((await functionUrl(post('/webhooks/catalog'))).body)).toEqual({ source: 'catalog' });
    expect((await functionUrl(post('/webhooks/stripe'))).statusCode).toBe(404);
  });

  it('refuses two receivers of one source, and a root source without a receiver', () => {
    expect(() => makeWebhookRouter([echoReceiver('stripe'), echoReceiver('stripe')])).toThrow(
      /Two webhook receivers/,
    );
    expect(() => makeWebhookRouter([echoReceiver('stripe')], { rootSource: 'reviews' })).toThrow(
      /root source/,
    );
  });
});
