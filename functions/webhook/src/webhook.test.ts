// The deployed handler code end to end, with in-memory ports: function URL events signed by the
// official `stripe` and `standardwebhooks` packages, exactly as the partners sign them.
import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '@mangaassist/commons';
import { recordingPublisher } from '@mangaassist/events/testing';
import type { GatewayResult } from '@mangaassist/fm-gateway';
import { gatewayResult } from '@mangaassist/fm-gateway/testing';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import {
  generateDevWebhookSecrets,
  makeWebhookReceivers,
  StaticWebhookSecrets,
  webhookSchemes,
} from '@mangaassist/webhooks';
import { recordingCatalogEnrichmentQueue } from '@mangaassist/webhooks/testing';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { makeWebhookHandler } from './webhook.js';

const stripeWebhooks = Stripe.webhooks;

/** A gateway whose fast model always answers `text`. */
function answeringGateway(text: string) {
  return {
    complete: async (): Promise<GatewayResult> => gatewayResult({ text }),
  };
}

function functionUrlEvent(
  body: string,
  headers: Record<string, string>,
  rawPath = '/',
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnop',
      domainName: 'abcdefghijklmnop.lambda-url.ap-northeast-1.on.aws',
      domainPrefix: 'abcdefghijklmnop',
      http: {
        method: 'POST',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'partner',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: Date.now(),
    },
    // Lambda base64-encodes what it takes for binary; the receiver must verify the decoded bytes.
    body: Buffer.from(body, 'utf8').toString('base64'),
    isBase64Encoded: true,
  };
}

function checkoutCompleted() {
  return {
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `cs_test_${randomUUID().replaceAll('-', '')}`,
        object: 'checkout.session',
        amount_total: 1980,
        currency: 'jpy',
        payment_status: 'paid',
        client_reference_id: 'order-42',
        customer_details: { email: 'reader@example.jp' },
        metadata: {},
      },
    },
  };
}

function harness(source: 'stripe' | 'reviews' | 'catalog') {
  const secrets = generateDevWebhookSecrets();
  const { publisher, published } = recordingPublisher();
  const enrichment = recordingCatalogEnrichmentQueue();
  const receivers = makeWebhookReceivers(
    {
      secrets: new StaticWebhookSecrets(secrets, { formats: webhookSchemes }),
      idempotency: new MemoryIdempotencyStore(),
      events: publisher,
      gateway: answeringGateway('positive'),
      catalogEnrichment: enrichment.queue,
    },
    [source],
  );
  const handler = makeWebhookHandler({ source, receivers });
  return { secrets, published, queued: enrichment.queued, handler };
}

describe('the webhook function', () => {
  it('accepts a Stripe event signed by the stripe package and publishes PaymentCompleted once', async () => {
    const { secrets, published, handler } = harness('stripe');
    const body = JSON.stringify(checkoutCompleted());
    const header = stripeWebhooks.generateTestHeaderString({
      payload: body,
      secret: secrets.stripe[0] ?? '',
    });

    const first = await handler(functionUrlEvent(body, { 'stripe-signature': header }, '/webhooks/stripe'));
    const duplicate = await handler(functionUrlEvent(body, { 'stripe-signature': header }));

    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body ?? '')).toMatchObject({ status: 'processed', events: 1 });
    expect(JSON.parse(duplicate.body ?? '')).toMatchObject({ status: 'already_processed' });
    expect(published).toEqual([
      expect.objectContaining({
        source: 'mangaassist.payments',
        detailType: 'PaymentCompleted',
        detail: expect.objectContaining({
          order_id: 'order-42',
          amount: 1980,
          currency: 'JPY',
          processing_stage: 'raw',
        }),
      }),
    ]);
  });

  it('rejects a Stripe event whose body was changed after signing, publishing nothing', async () => {
    const { secrets, published, handler } = harness('stripe');
    const body = JSON.stringify(checkoutCompleted());
    const header = stripeWebhooks.generateTestHeaderString({
      payload: body,
      secret: secrets.stripe[0] ?? '',
    });

    const response = await handler(
      functionUrlEvent(body.replace('1980', '1'), { 'stripe-signature': header }),
    );

    expect(response.statusCode).toBe(401);
    expect(published).toEqual([]);
  });

  it('accepts a review signed by the standardwebhooks package and publishes ReviewSubmitted with a sentiment', async () => {
    const { secrets, published, handler } = harness('reviews');
    const body = JSON.stringify({
      review_id: 'rev-7',
      product_id: 'manga-001',
      rating: 5,
      review_text: '最高！',
    });
    const webhookId = `msg_${randomUUID()}`;
    const now = new Date();
    const signature = new Webhook(secrets.reviews[0] ?? '').sign(webhookId, now, body);

    const response = await handler(
      functionUrlEvent(body, {
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      }),
    );

    expect(response.statusCode).toBe(200);
    expect(published).toEqual([
      expect.objectContaining({
        detailType: 'ReviewSubmitted',
        detail: expect.objectContaining({ review_id: 'rev-7', sentiment: 'positive' }),
      }),
    ]);
  });

  it('publishes each catalog item and queues it for enrichment, a product’s updates in batch order', async () => {
    const { secrets, published, queued, handler } = harness('catalog');
    const item = (productId: string, updateType: string) => ({
      product_id: productId,
      title: 'ワンピース 108巻',
      update_type: updateType,
    });
    const body = JSON.stringify({
      batch_id: 'batch-fn-1',
      items: [item('m-1', 'new_release'), item('m-2', 'restock'), item('m-1', 'discontinued')],
    });
    const webhookId = `msg_${randomUUID()}`;
    const now = new Date();
    const response = await handler(
      functionUrlEvent(body, {
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(secrets.catalog[0] ?? '').sign(webhookId, now, body),
      }),
    );

    expect(response.statusCode).toBe(200);
    expect(published).toHaveLength(3);
    expect(
      queued.filter((message) => message.product_id === 'm-1').map((message) => message.update_type),
    ).toEqual(['new_release', 'discontinued']);
    expect(queued).toHaveLength(3);
  });

  it('answers 404 for a path of another source', async () => {
    const { handler } = harness('catalog');

    const response = await handler(functionUrlEvent('{}', {}, '/webhooks/stripe'));

    expect(response.statusCode).toBe(404);
  });

  it('refuses to build the reviews receiver without a gateway', () => {
    expect(() =>
      makeWebhookReceivers(
        {
          secrets: new StaticWebhookSecrets(generateDevWebhookSecrets()),
          idempotency: new MemoryIdempotencyStore(),
          events: recordingPublisher().publisher,
        },
        ['reviews'],
      ),
    ).toThrow(ConfigurationError);
  });
});
