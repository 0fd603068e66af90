// `POST /webhooks/{source}` through `pnpm dev`, adversarially: deliveries signed by the official
// `stripe` and `standardwebhooks` packages (the reference implementations), then tampered,
// replayed, skewed, duplicated and raced; the bus's events read back at `GET /_local/events`.
// Every refusal must be a JSON error and must publish nothing.
import { randomUUID } from 'node:crypto';
import { eventSources, type WebhookSecrets } from '@mangaassist/contracts';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { useDevServer } from './support.js';

interface ListedEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown>;
}

const webhookEventSources = new Set<string>([
  eventSources.payments,
  eventSources.reviews,
  eventSources.catalog,
]);
const toleranceSeconds = 300;
const maxBodyBytes = 5 * 1024 * 1024;

const dev = useDevServer();

afterEach(async () => {
  await dev().control('DELETE', '/_local/eventbridge/faults');
  await dev().control('DELETE', '/_local/bedrock/faults');
});

// --- deliveries ---------------------------------------------------------------------------

const nowSeconds = () => Math.floor(Date.now() / 1000);
const secretOf = (source: keyof WebhookSecrets) => dev().secrets[source][0] ?? '';

function deliver(
  source: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  method = 'POST',
) {
  return fetch(`${dev().url}/webhooks/${source}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
}

/** The `Stripe-Signature` Stripe's own library computes for this body. */
function stripeSignature(body: string, options: { timestamp?: number; secret?: string } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: options.secret ?? secretOf('stripe'),
    timestamp: options.timestamp ?? nowSeconds(),
  });
}

/** The Standard Webhooks headers the `standardwebhooks` library computes for this body. */
function standardHeaders(
  source: 'reviews' | 'catalog',
  body: string,
  options: { id?: string; timestamp?: number } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? nowSeconds();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': new Webhook(secretOf(source)).sign(id, new Date(timestamp * 1000), body),
  };
}

function checkoutCompleted(overrides: Record<string, unknown> = {}) {
  const eventId = `evt_${randomUUID().replaceAll('-', '')}`;
  return {
    id: eventId,
    object: 'event',
    api_version: '2025-09-30.clover',
    type: 'checkout.session.completed',
    created: nowSeconds(),
    livemode: false,
    data: {
      object: {
        id: `cs_test_${randomUUID().replaceAll('-', '')}`,
        object: 'checkout.session',
        amount_total: 1980,
        currency: 'jpy',
        payment_status: 'paid',
        client_reference_id: `order-${randomUUID()}`,
        customer_details: { email: 'reader@example.jp' },
        metadata: { channel: 'web' },
      },
    },
    ...overrides,
  };
}

function review(overrides: Record<string, unknown> = {}) {
  return {
    review_id: `rev-${randomUUID()}`,
    product_id: 'manga-chainsaw-man-01',
    rating: 5,
    review_text: '最高に面白い！絵も素晴らしいです。',
    customer_id: 'customer-7',
    language: 'ja',
    ...overrides,
  };
}

function catalogBatch(items: number) {
  const updateTypes = ['new_release', 'price_change', 'restock', 'discontinued', 'metadata_change'] as const;
  return {
    batch_id: `batch-${randomUUID()}`,
    publisher: 'Shueisha',
    items: Array.from({ length: items }, (_, index) => ({
      product_id: `manga-${String(index).padStart(5, '0')}`,
      title: `ワンピース ${index + 1}巻`,
      update_type: updateTypes[index % updateTypes.length],
      data: { author: '尾田栄一郎', volume: index + 1, price_jpy: 528 },
    })),
  };
}

// --- the bus ------------------------------------------------------------------------------

async function listEvents(): Promise<ListedEvent[]> {
  const response = await fetch(`${dev().url}/_local/events`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: ListedEvent[] }).events;
}

async function eventsWhere(predicate: (event: ListedEvent) => boolean): Promise<ListedEvent[]> {
  return (await listEvents()).filter(predicate);
}

const webhookEventCount = async () =>
  (await eventsWhere((event) => webhookEventSources.has(event.source))).length;

/** Runs `refusal` and proves the bus received no webhook event meanwhile. */
async function expectNothingPublished(refusal: () => Promise<void>): Promise<void> {
  const before = await webhookEventCount();
  await refusal();
  expect(await webhookEventCount()).toBe(before);
}

/** Asserts a JSON error with this status and code. */
async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string; request_id: string } };
  expect(body.error).toMatchObject({ code, message: expect.any(String), request_id: expect.any(String) });
}

function flipLastHex(signature: string): string {
  const last = signature.at(-1) === '0' ? '1' : '0';
  return `${signature.slice(0, -1)}${last}`;
}

// --- the suite ----------------------------------------------------------------------------

describe('webhooks on pnpm dev: refusals publish nothing', () => {
  it('serves a dev secret per source in every scheme format', () => {
    expect(Object.keys(dev().secrets).sort()).toEqual(['catalog', 'reviews', 'stripe']);
    for (const list of Object.values(dev().secrets)) expect(list[0]).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  });

  it('answers 404 to an unknown source', async () => {
    await expectNothingPublished(async () => {
      const body = JSON.stringify(checkoutCompleted());
      await expectError(
        await deliver('paypal', body, { 'stripe-signature': stripeSignature(body) }),
        404,
        'unknown_webhook_source',
      );
    });
  });

  it('answers 405 to a method other than POST', async () => {
    await expectNothingPublished(async () => {
      const response = await deliver('stripe', '', {}, 'GET');
      expect(response.headers.get('allow')).toBe('POST');
      await expectError(response, 405, 'method_not_allowed');
      await expectError(await deliver('stripe', '{}', {}, 'PUT'), 405, 'method_not_allowed');
    });
  });

  it('answers 413 to a body over 5 MiB', async () => {
    await expectNothingPublished(async () => {
      const body = JSON.stringify({ ...checkoutCompleted(), padding: 'x'.repeat(maxBodyBytes) });
      await expectError(
        await deliver('stripe', body, { 'stripe-signature': stripeSignature(body) }),
        413,
        'payload_too_large',
      );
    });
  });

  it('answers 401 to a delivery without a signature', async () => {
    await expectNothingPublished(async () => {
      await expectError(
        await deliver('stripe', JSON.stringify(checkoutCompleted()), {}),
        401,
        'missing_signature',
      );
      const body = JSON.stringify(review());
      const { 'webhook-signature': _signature, ...unsigned } = standardHeaders('reviews', body);
      await expectError(await deliver('reviews', body, unsigned), 401, 'missing_signature');
    });
  });

  it('answers 401 to an unreadable signature header', async () => {
    await expectNothingPublished(async () => {
      const body = JSON.stringify(checkoutCompleted());
      await expectError(
        await deliver('stripe', body, { 'stripe-signature': 'sha256=deadbeef' }),
        401,
        'malformed_signature',
      );
    });
  });

  it('answers 401 to a Stripe delivery whose body, timestamp or signature was tampered with', async () => {
    await expectNothingPublished(async () => {
      const event = checkoutCompleted();
      const body = JSON.stringify(event);
      const signature = stripeSignature(body);
      const [timestampPart = '', v1Part = ''] = signature.split(',');
      const timestamp = Number(timestampPart.slice(2));

      const cheaper = body.replace('"amount_total":1980', '"amount_total":1');
      const otherEvent = body.replace(event.id, `evt_${randomUUID().replaceAll('-', '')}`);
      const movedTimestamp = `t=${timestamp + 1},${v1Part}`;
      const flipped = `${timestampPart},${flipLastHex(v1Part)}`;
      const wrongSecret = stripeSignature(body, {
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      });

      await expectError(
        await deliver('stripe', cheaper, { 'stripe-signature': signature }),
        401,
        'bad_signature',
      );
      await expectError(
        await deliver('stripe', otherEvent, { 'stripe-signature': signature }),
        401,
        'bad_signature',
      );
      await expectError(
        await deliver('stripe', body, { 'stripe-signature': movedTimestamp }),
        401,
        'bad_signature',
      );
      await expectError(await deliver('stripe', body, { 'stripe-signature': flipped }), 401, 'bad_signature');
      await expectError(
        await deliver('stripe', body, { 'stripe-signature': wrongSecret }),
        401,
        'bad_signature',
      );
    });
  });

  it('answers 401 to a Standard Webhooks delivery whose body, id, timestamp or signature was tampered with', async () => {
    await expectNothingPublished(async () => {
      const body = JSON.stringify(review());
      const headers = standardHeaders('reviews', body);
      const signature = headers['webhook-signature'] ?? '';

      const cases: [string, Record<string, string>][] = [
        [body.replace('"rating":5', '"rating":1'), headers],
        [body, { ...headers, 'webhook-id': `msg_${randomUUID()}` }],
        [body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }],
        [body, { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}` }],
        [
          body,
          {
            ...headers,
            'webhook-signature': signature.replace(
              /^v1,./,
              (prefix) => `v1,${prefix.at(-1) === 'A' ? 'B' : 'A'}`,
            ),
          },
        ],
      ];
      for (const [tamperedBody, tamperedHeaders] of cases) {
        await expectError(await deliver('reviews', tamperedBody, tamperedHeaders), 401, 'bad_signature');
      }
    });
  });

  it('answers 401 to a replay signed more than 300 s ago, and to a sender clock more than 300 s ahead', async () => {
    await expectNothingPublished(async () => {
      const stripeBody = JSON.stringify(checkoutCompleted());
      const replay = stripeSignature(stripeBody, { timestamp: nowSeconds() - toleranceSeconds - 60 });
      const ahead = stripeSignature(stripeBody, { timestamp: nowSeconds() + toleranceSeconds + 60 });
      await expectError(
        await deliver('stripe', stripeBody, { 'stripe-signature': replay }),
        401,
        'timestamp_out_of_tolerance',
      );
      await expectError(
        await deliver('stripe', stripeBody, { 'stripe-signature': ahead }),
        401,
        'timestamp_out_of_tolerance',
      );

      const catalogBody = JSON.stringify(catalogBatch(2));
      for (const timestamp of [nowSeconds() - toleranceSeconds - 60, nowSeconds() + toleranceSeconds + 60]) {
        const headers = standardHeaders('catalog', catalogBody, { timestamp });
        await expectError(await deliver('catalog', catalogBody, headers), 401, 'timestamp_out_of_tolerance');
      }
    });
  });

  it('answers 400 to a correctly signed body that is not JSON', async () => {
    await expectNothingPublished(async () => {
      const body = '{"id": "evt_123", "type": ';
      await expectError(
        await deliver('stripe', body, { 'stripe-signature': stripeSignature(body) }),
        400,
        'malformed_json',
      );
    });
  });

  it('answers 400 with the issues to a correctly signed payload that fails its schema', async () => {
    await expectNothingPublished(async () => {
      const body = JSON.stringify(review({ rating: 11, review_text: '' }));
      const response = await deliver('reviews', body, standardHeaders('reviews', body));
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(error.code).toBe('validation_failed');
      expect(error.issues.map((issue) => issue.path).sort()).toEqual(['rating', 'review_text']);
    });
  });
});

describe('webhooks on pnpm dev: exactly once', () => {
  const paymentsFor = (stripeEventId: string) =>
    eventsWhere(
      (event) =>
        event['detail-type'] === 'PaymentCompleted' && event.detail.stripe_event_id === stripeEventId,
    );

  it('turns a Stripe checkout.session.completed signed by the stripe package into one PaymentCompleted', async () => {
    const event = checkoutCompleted();
    const body = JSON.stringify(event);

    const response = await deliver('stripe', body, { 'stripe-signature': stripeSignature(body) });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'processed',
      source: 'stripe',
      event_id: event.id,
      events: 1,
    });
    const published = await paymentsFor(event.id);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      source: 'mangaassist.payments',
      detail: {
        order_id: event.data.object.client_reference_id,
        checkout_session_id: event.data.object.id,
        amount: 1980,
        currency: 'JPY',
        customer_email: 'reader@example.jp',
        processing_stage: 'raw',
      },
    });
  });

  it('answers a duplicate already_processed and publishes nothing more', async () => {
    const event = checkoutCompleted();
    const body = JSON.stringify(event);
    await deliver('stripe', body, { 'stripe-signature': stripeSignature(body) });

    // Stripe's retry: same event, signed again at a later time.
    const retry = await deliver('stripe', body, {
      'stripe-signature': stripeSignature(body, { timestamp: nowSeconds() + 5 }),
    });

    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({
      status: 'already_processed',
      event_id: event.id,
      result: { status: 'processed' },
    });
    expect(await paymentsFor(event.id)).toHaveLength(1);
  });

  it('acknowledges an event type it does not act on, publishing nothing', async () => {
    const event = checkoutCompleted({ type: 'customer.created' });
    const body = JSON.stringify(event);

    await expectNothingPublished(async () => {
      const response = await deliver('stripe', body, { 'stripe-signature': stripeSignature(body) });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ignored', events: 0 });
    });
  });

  it('processes exactly one of 50 concurrent identical deliveries and publishes one event', async () => {
    const event = checkoutCompleted();
    const body = JSON.stringify(event);
    const headers = { 'stripe-signature': stripeSignature(body) };

    const responses = await Promise.all(Array.from({ length: 50 }, () => deliver('stripe', body, headers)));
    const answers = await Promise.all(
      responses.map(async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      })),
    );

    expect(answers.filter((answer) => answer.body.status === 'processed')).toHaveLength(1);
    for (const answer of answers) {
      expect(
        answer.body.status === 'already_processed' ||
          answer.body.status === 'processed' ||
          answer.status === 409,
      ).toBe(true);
    }
    expect(await paymentsFor(event.id)).toHaveLength(1);
  });

  it('processes the retry after a processor failure, publishing exactly one event', async () => {
    const event = checkoutCompleted();
    const body = JSON.stringify(event);
    const headers = { 'stripe-signature': stripeSignature(body) };
    await dev().control('POST', '/_local/eventbridge/faults', {
      errorCode: 'InternalFailure',
      source: 'mangaassist.payments',
    });

    await expectError(await deliver('stripe', body, headers), 503, 'event_bus_unavailable');
    expect(await paymentsFor(event.id)).toHaveLength(0);
    await dev().control('DELETE', '/_local/eventbridge/faults');

    const retried = await deliver('stripe', body, headers);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ status: 'processed' });
    expect(await paymentsFor(event.id)).toHaveLength(1);
  });

  it('turns a review signed by the standardwebhooks package into ReviewSubmitted with a sentiment', async () => {
    const payload = review();
    const body = JSON.stringify(payload);

    const response = await deliver('reviews', body, standardHeaders('reviews', body));

    expect(response.status).toBe(200);
    const published = await eventsWhere(
      (event) => event['detail-type'] === 'ReviewSubmitted' && event.detail.review_id === payload.review_id,
    );
    expect(published).toHaveLength(1);
    expect(published[0]?.detail).toMatchObject({
      product_id: payload.product_id,
      rating: 5,
      review_text: payload.review_text,
      sentiment: 'positive',
      processing_stage: 'raw',
    });
  });

  it('publishes a review with sentiment unknown when the model fails, never failing the webhook', async () => {
    await dev().control('POST', '/_local/bedrock/faults', { error: 'ServiceUnavailableException', rate: 1 });
    // A text never classified before: the gateway's response cache must not answer for the model.
    const payload = review({ review_text: `最高に面白い！ (${randomUUID()})` });
    const body = JSON.stringify(payload);

    const response = await deliver('reviews', body, standardHeaders('reviews', body));

    expect(response.status).toBe(200);
    const [published] = await eventsWhere((event) => event.detail.review_id === payload.review_id);
    expect(published?.detail.sentiment).toBe('unknown');
  });

  it('does not publish a review twice when it is re-sent under a new webhook-id', async () => {
    const payload = review();
    const body = JSON.stringify(payload);
    await deliver('reviews', body, standardHeaders('reviews', body));

    const resent = await deliver('reviews', body, standardHeaders('reviews', body));

    expect(await resent.json()).toMatchObject({ status: 'already_processed', event_id: payload.review_id });
    expect(await eventsWhere((event) => event.detail.review_id === payload.review_id)).toHaveLength(1);
  });

  it('publishes every item of a catalog despite PutEvents partial failures, each exactly once', async () => {
    const batch = catalogBatch(100);
    const body = JSON.stringify(batch);
    await dev().control('POST', '/_local/eventbridge/faults', {
      errorCode: 'ThrottlingException',
      source: 'mangaassist.catalog',
      count: 15,
    });

    const response = await deliver('catalog', body, standardHeaders('catalog', body));

    expect(response.status).toBe(200);
    const published = await eventsWhere((event) => event.detail.batch_id === batch.batch_id);
    expect(published.map((event) => event.detail.product_id).sort()).toEqual(
      batch.items.map((item) => item.product_id).sort(),
    );
  });

  it('publishes all 1 000 items of a catalog batch as CatalogUpdate.* events, none lost', async () => {
    const batch = catalogBatch(1000);
    const body = JSON.stringify(batch);

    const response = await deliver('catalog', body, standardHeaders('catalog', body));

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'processed',
      event_id: batch.batch_id,
      events: 1000,
    });
    const published = await eventsWhere((event) => event.detail.batch_id === batch.batch_id);
    expect(published).toHaveLength(1000);
    expect(new Set(published.map((event) => event.detail.product_id)).size).toBe(1000);
    for (const event of published) {
      expect(event.source).toBe('mangaassist.catalog');
      expect(event['detail-type']).toBe(`CatalogUpdate.${String(event.detail.update_type)}`);
      expect(event.detail.processing_stage).toBe('raw');
    }
  });
});
