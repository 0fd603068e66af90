import { randomUUID } from 'node:crypto';
import { recordingLogger } from '@mangaassist/commons/testing';
import {
  catalogEnrichmentMessage,
  reviewPayloadSchema,
  stripeEventSchema,
  type WebhookSecrets,
  webhookLimits,
} from '@mangaassist/contracts';
import { EventPublishError } from '@mangaassist/events';
import type { HttpRequest, HttpResponse } from '@mangaassist/http';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { CatalogEnrichmentQueueError } from '../processors/catalog-processor.js';
import { WebhookPayloadError } from '../processors/webhook-payload-error.js';
import { generateDevWebhookSecrets } from '../secrets/dev-webhook-secrets.js';
import { StaticWebhookSecrets } from '../secrets/static-webhook-secrets.js';
import { signatureSchemes, signedWebhookHeaders } from '../signatures/signature-schemes.js';
import type { WebhookOutcome, WebhookProcessor } from '../webhook-processor.js';
import { WebhookSecretError, type WebhookSecretProvider } from '../webhook-secret-provider.js';
import { payloadEventId, signedDeliveryId } from './event-id.js';
import { makeWebhookReceiver, type WebhookReceiverDependencies } from './webhook-receiver.js';

const nowMs = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const nowSeconds = nowMs / 1000;

type StripeEvent = ReturnType<typeof stripeEventSchema.parse>;

function stripeEvent(overrides: Partial<StripeEvent> = {}): StripeEvent {
  return {
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    type: 'checkout.session.completed',
    created: nowSeconds,
    data: { object: { id: 'cs_test_1', amount_total: 1200, currency: 'jpy' } },
    ...overrides,
  };
}

function reviewPayload(overrides: Record<string, unknown> = {}) {
  return {
    review_id: 'rev-1',
    product_id: 'manga-001',
    rating: 5,
    review_text: '最高の一冊でした！',
    ...overrides,
  };
}

interface Harness {
  readonly secrets: WebhookSecrets;
  readonly processed: string[];
  readonly logger: ReturnType<typeof recordingLogger>;
  /** Delivers `request`; `signal` is the door's (the function URL's deadline). */
  readonly send: (request: HttpRequest, signal?: AbortSignal) => Promise<HttpResponse>;
}

/** A Stripe receiver over real schemes and stores; the processor counts what it processed. */
function stripeHarness(
  options: {
    readonly processor?: WebhookProcessor<StripeEvent>;
    readonly dependencies?: Partial<WebhookReceiverDependencies>;
    readonly maxBodyBytes?: number;
  } = {},
): Harness {
  const secrets = generateDevWebhookSecrets();
  const processed: string[] = [];
  const logger = recordingLogger();
  const processor: WebhookProcessor<StripeEvent> =
    options.processor ??
    (async (payload) => {
      processed.push(payload.id);
      return { status: 'processed', events: 1, detail: { order_id: 'order-1' } };
    });
  const receiver = makeWebhookReceiver(
    {
      source: 'stripe',
      scheme: signatureSchemes.stripe,
      schema: stripeEventSchema,
      eventId: payloadEventId('id'),
      processor,
      ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    },
    {
      secrets: new StaticWebhookSecrets(secrets),
      idempotency: new MemoryIdempotencyStore({ now: () => nowMs }),
      now: () => nowMs,
      logger,
      ...options.dependencies,
    },
  );
  return { secrets, processed, logger, send: (request, signal) => receiver.handle(request, signal) };
}

function request(body: string | Uint8Array, headers: Record<string, string>, method = 'POST'): HttpRequest {
  return {
    method,
    path: '/webhooks/stripe',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    requestId: randomUUID(),
    tenantId: 'anonymous',
  };
}

/** A delivery of `event` signed by Stripe's scheme with the harness's secret. */
function signedStripe(
  harness: Harness,
  event: unknown = stripeEvent(),
  options: { timestampSeconds?: number; secret?: string; body?: string } = {},
): HttpRequest {
  const body = options.body ?? JSON.stringify(event);
  const headers = signedWebhookHeaders('stripe', {
    body,
    secret: options.secret ?? harness.secrets.stripe[0] ?? '',
    timestampSeconds: options.timestampSeconds ?? nowSeconds,
  });
  return request(body, headers);
}

/** Item `itemIndex` of a catalog batch, as queued for its enrichment. */
function enrichmentMessage(itemIndex: number) {
  return catalogEnrichmentMessage(
    'batch-1',
    itemIndex,
    { product_id: `manga-${itemIndex}`, title: 'ワンピース', update_type: 'new_release', data: {} },
    '2026-01-01T00:00:00.000Z',
  );
}

async function json(response: HttpResponse): Promise<Record<string, unknown>> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

async function errorCode(response: HttpResponse): Promise<string> {
  return ((await json(response)).error as { code: string }).code;
}

describe('makeWebhookReceiver: a correctly signed delivery', () => {
  it('processes it once and answers with the processor outcome', async () => {
    const harness = stripeHarness();
    const event = stripeEvent();

    const response = await harness.send(signedStripe(harness, event));

    expect(response.statusCode).toBe(200);
    expect(await json(response)).toEqual({
      status: 'processed',
      source: 'stripe',
      event_id: event.id,
      events: 1,
      detail: { order_id: 'order-1' },
    });
    expect(harness.processed).toEqual([event.id]);
  });

  it('answers a duplicate already_processed from the stored summary, without processing it again', async () => {
    const harness = stripeHarness();
    const event = stripeEvent();
    await harness.send(signedStripe(harness, event));

    const response = await harness.send(signedStripe(harness, event, { timestampSeconds: nowSeconds + 30 }));

    expect(response.statusCode).toBe(200);
    expect(await json(response)).toEqual({
      status: 'already_processed',
      source: 'stripe',
      event_id: event.id,
      result: { status: 'processed', events: 1, detail: { order_id: 'order-1' } },
    });
    expect(harness.processed).toHaveLength(1);
  });

  it('processes exactly one of 50 concurrent identical deliveries', async () => {
    const harness = stripeHarness();
    const delivery = signedStripe(harness);

    const responses = await Promise.all(Array.from({ length: 50 }, () => harness.send(delivery)));

    expect(harness.processed).toHaveLength(1);
    const statuses = await Promise.all(
      responses.map(async (response) =>
        response.statusCode === 200 ? (await json(response)).status : String(response.statusCode),
      ),
    );
    expect(statuses.filter((status) => status === 'processed')).toHaveLength(1);
    expect(
      statuses.every((status) => ['processed', 'already_processed', '409'].includes(String(status))),
    ).toBe(true);
  });

  it('answers 409 with Retry-After while the same event is being processed', async () => {
    let finish: (outcome: WebhookOutcome) => void = () => {};
    const harness = stripeHarness({
      processor: () =>
        new Promise<WebhookOutcome>((resolve) => {
          finish = resolve;
        }),
    });
    const delivery = signedStripe(harness);
    const first = harness.send(delivery);
    await new Promise((resolve) => setImmediate(resolve));

    const second = await harness.send(delivery);
    finish({ status: 'processed', events: 1 });

    expect(second.statusCode).toBe(409);
    expect(second.headers['retry-after']).toBe('5');
    expect(await errorCode(second)).toBe('delivery_in_progress');
    expect((await first).statusCode).toBe(200);
  });

  it('accepts a delivery signed with any active secret, so a rotation loses nothing', async () => {
    const harness = stripeHarness();
    const [next = '', previous = ''] = generateDevWebhookSecrets().stripe.concat(harness.secrets.stripe);
    const rotating = makeWebhookReceiver(
      {
        source: 'stripe',
        scheme: signatureSchemes.stripe,
        schema: stripeEventSchema,
        eventId: payloadEventId('id'),
        processor: async () => ({ status: 'processed', events: 1 }),
      },
      {
        secrets: new StaticWebhookSecrets({ ...harness.secrets, stripe: [next, previous] }),
        idempotency: new MemoryIdempotencyStore(),
        now: () => nowMs,
      },
    );

    for (const secret of [next, previous]) {
      const response = await rotating.handle(signedStripe(harness, stripeEvent(), { secret }));
      expect(response.statusCode).toBe(200);
    }
  });

  it('acknowledges an event type the processor ignores', async () => {
    const harness = stripeHarness({
      processor: async () => ({ status: 'ignored', events: 0, detail: { reason: 'unhandled_type' } }),
    });

    const response = await harness.send(signedStripe(harness, stripeEvent({ type: 'invoice.paid' })));

    expect(response.statusCode).toBe(200);
    expect(await json(response)).toMatchObject({ status: 'ignored', events: 0 });
  });
});

describe('makeWebhookReceiver: refusals (nothing is processed)', () => {
  it('answers 405 with Allow: POST to another method', async () => {
    const harness = stripeHarness();
    const delivery = signedStripe(harness);

    const response = await harness.send({ ...delivery, method: 'PUT' });

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(await errorCode(response)).toBe('method_not_allowed');
    expect(harness.processed).toEqual([]);
  });

  it('answers 413 to a body over the limit, before anything else', async () => {
    const harness = stripeHarness({ maxBodyBytes: 1024 });

    const response = await harness.send(
      signedStripe(harness, stripeEvent({ data: { object: { pad: 'x'.repeat(2000) } } })),
    );

    expect(response.statusCode).toBe(413);
    expect(await errorCode(response)).toBe('payload_too_large');
  });

  it('answers 401 missing_signature without reading the secrets', async () => {
    const unreachable: WebhookSecretProvider = {
      secrets: () => Promise.reject(new WebhookSecretError('store down')),
    };
    const harness = stripeHarness({ dependencies: { secrets: unreachable } });

    const response = await harness.send(request(JSON.stringify(stripeEvent()), {}));

    expect(response.statusCode).toBe(401);
    expect(await errorCode(response)).toBe('missing_signature');
  });

  it('answers 401 malformed_signature to an unreadable signature header', async () => {
    const harness = stripeHarness();

    const response = await harness.send(
      request(JSON.stringify(stripeEvent()), { 'stripe-signature': 'v1=abc,t=now' }),
    );

    expect(response.statusCode).toBe(401);
    expect(await errorCode(response)).toBe('malformed_signature');
  });

  it('answers 401 bad_signature to a tampered body', async () => {
    const harness = stripeHarness();
    const delivery = signedStripe(harness, stripeEvent());
    const tampered = Buffer.from(Buffer.from(delivery.body).toString('utf8').replace('1200', '1'), 'utf8');

    const response = await harness.send({ ...delivery, body: tampered });

    expect(response.statusCode).toBe(401);
    expect(await errorCode(response)).toBe('bad_signature');
    expect(harness.processed).toEqual([]);
  });

  it('answers 401 bad_signature to a delivery signed with a secret that is not active', async () => {
    const harness = stripeHarness();
    const [stranger = ''] = generateDevWebhookSecrets().stripe;

    const response = await harness.send(signedStripe(harness, stripeEvent(), { secret: stranger }));

    expect(await errorCode(response)).toBe('bad_signature');
  });

  it('answers 401 timestamp_out_of_tolerance to a replay after 300 s and to a clock 300 s ahead', async () => {
    const harness = stripeHarness();

    const late = await harness.send(
      signedStripe(harness, stripeEvent(), { timestampSeconds: nowSeconds - 301 }),
    );
    const early = await harness.send(
      signedStripe(harness, stripeEvent(), { timestampSeconds: nowSeconds + 301 }),
    );

    expect([late.statusCode, early.statusCode]).toEqual([401, 401]);
    expect([await errorCode(late), await errorCode(early)]).toEqual([
      'timestamp_out_of_tolerance',
      'timestamp_out_of_tolerance',
    ]);
    expect(harness.processed).toEqual([]);
  });

  it('accepts a timestamp exactly at the tolerance', async () => {
    const harness = stripeHarness();

    const response = await harness.send(
      signedStripe(harness, stripeEvent(), { timestampSeconds: nowSeconds - webhookLimits.toleranceSeconds }),
    );

    expect(response.statusCode).toBe(200);
  });

  it('answers 503 with Retry-After when the secrets cannot be read, so the sender retries', async () => {
    const harness = stripeHarness();
    const delivery = signedStripe(harness);
    const failing = stripeHarness({
      dependencies: {
        secrets: { secrets: () => Promise.reject(new WebhookSecretError('stripe[0] is malformed')) },
      },
    });

    const response = await failing.send(delivery);

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(await errorCode(response)).toBe('webhook_secrets_unavailable');
  });

  it('answers 400 malformed_json to a signed body that is not JSON', async () => {
    const harness = stripeHarness();

    const response = await harness.send(signedStripe(harness, undefined, { body: '{"id": "evt_1",' }));

    expect(response.statusCode).toBe(400);
    expect(await errorCode(response)).toBe('malformed_json');
  });

  it('answers 400 invalid_utf8 to a signed body that is not UTF-8', async () => {
    const harness = stripeHarness();
    const body = Buffer.from([0x7b, 0xff, 0x7d]);
    const headers = signedWebhookHeaders('stripe', {
      body,
      secret: harness.secrets.stripe[0] ?? '',
      timestampSeconds: nowSeconds,
    });

    const response = await harness.send(request(body, headers));

    expect(await errorCode(response)).toBe('invalid_utf8');
  });

  it('answers 400 validation_failed with the issues to a payload that fails the schema', async () => {
    const harness = stripeHarness();

    const response = await harness.send(signedStripe(harness, { ...stripeEvent(), id: 'not-an-event-id' }));

    expect(response.statusCode).toBe(400);
    const body = await json(response);
    expect(body.error).toMatchObject({
      code: 'validation_failed',
      issues: [expect.objectContaining({ path: 'id' })],
    });
    expect(harness.processed).toEqual([]);
  });

  it('answers 503 when the idempotency store is unavailable, processing nothing', async () => {
    const broken: IdempotencyStore = {
      claim: () => Promise.reject(new Error('ProvisionedThroughputExceededException')),
      complete: () => Promise.reject(new Error('unreachable')),
      release: () => Promise.reject(new Error('unreachable')),
    };
    const harness = stripeHarness({ dependencies: { idempotency: broken } });

    const response = await harness.send(signedStripe(harness));

    expect(response.statusCode).toBe(503);
    expect(await errorCode(response)).toBe('idempotency_unavailable');
    expect(harness.processed).toEqual([]);
  });

  it('logs each refusal with its reason, never the secret or the signature', async () => {
    const harness = stripeHarness();
    const delivery = signedStripe(harness, stripeEvent(), { timestampSeconds: nowSeconds - 3600 });

    await harness.send(delivery);

    const logged = harness.logger.lines();
    expect(logged).toContain('timestamp_out_of_tolerance');
    expect(logged).not.toContain(harness.secrets.stripe[0]);
    expect(logged).not.toContain(delivery.headers['stripe-signature']?.split('v1=')[1]);
  });
});

describe('makeWebhookReceiver: processing failures', () => {
  it('releases the claim when publishing fails (503), so the retry is processed', async () => {
    let attempts = 0;
    const harness = stripeHarness({
      processor: async (payload) => {
        attempts++;
        if (attempts === 1) {
          const event = { source: 'mangaassist.payments', detailType: 'PaymentCompleted', detail: {} };
          throw new EventPublishError('1 of 1 events were not accepted', [
            { event, errorCode: 'InternalFailure' },
          ]);
        }
        return { status: 'processed', events: 1, detail: { id: payload.id } };
      },
    });
    const delivery = signedStripe(harness);

    const failed = await harness.send(delivery);
    const retried = await harness.send(delivery);

    expect(failed.statusCode).toBe(503);
    expect(await errorCode(failed)).toBe('event_bus_unavailable');
    expect(retried.statusCode).toBe(200);
    expect(await json(retried)).toMatchObject({ status: 'processed' });
  });

  it('answers 503 with Retry-After when the enrichment queue refused items, so the sender retries soon', async () => {
    let attempts = 0;
    const harness = stripeHarness({
      processor: async (payload) => {
        attempts++;
        if (attempts === 1) throw new CatalogEnrichmentQueueError('1 of 1 items are not queued', []);
        return { status: 'processed', events: 1, detail: { id: payload.id } };
      },
    });
    const delivery = signedStripe(harness);

    const failed = await harness.send(delivery);
    const retried = await harness.send(delivery);

    expect(failed.statusCode).toBe(503);
    expect(failed.headers['retry-after']).toBe('5');
    expect(await errorCode(failed)).toBe('enrichment_queue_unavailable');
    expect(retried.statusCode).toBe(200);
  });

  it('answers 422 naming the items the enrichment queue refused as invalid, since no retry can queue them', async () => {
    let attempts = 0;
    const harness = stripeHarness({
      processor: async (payload) => {
        attempts++;
        if (attempts === 1) {
          throw new CatalogEnrichmentQueueError('2 of 3 items are not queued', [
            { message: enrichmentMessage(1), errorCode: 'InvalidMessageContents' },
            { message: enrichmentMessage(2), errorCode: 'NotAttempted' },
          ]);
        }
        return { status: 'processed', events: 1, detail: { id: payload.id } };
      },
    });
    const delivery = signedStripe(harness);

    const refused = await harness.send(delivery);
    const fixed = await harness.send(delivery);

    expect(refused.statusCode).toBe(422);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(await json(refused)).toMatchObject({
      error: {
        code: 'enrichment_rejected',
        message: expect.stringContaining('1 item'),
        issues: [{ path: 'items.1', message: 'InvalidMessageContents' }],
      },
    });
    // Released, not stored: the same event id, once fixed, is processed.
    expect(fixed.statusCode).toBe(200);
  });

  it('keeps answering 503 when the enrichment queue only throttled, even beside items never attempted', async () => {
    const harness = stripeHarness({
      processor: async () => {
        throw new CatalogEnrichmentQueueError('2 of 3 items are not queued', [
          { message: enrichmentMessage(1), errorCode: 'ThrottlingException' },
          { message: enrichmentMessage(2), errorCode: 'NotAttempted' },
        ]);
      },
    });
    const response = await harness.send(signedStripe(harness));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(await errorCode(response)).toBe('enrichment_queue_unavailable');
  });

  it('releases the claim on an unexpected error (500), so the retry is processed', async () => {
    let attempts = 0;
    const harness = stripeHarness({
      processor: async () => {
        attempts++;
        if (attempts === 1) throw new TypeError('boom');
        return { status: 'processed', events: 1 };
      },
    });
    const delivery = signedStripe(harness);

    const failed = await harness.send(delivery);
    const retried = await harness.send(delivery);

    expect(failed.statusCode).toBe(500);
    expect(await errorCode(failed)).toBe('processing_failed');
    expect(failed.body).not.toContain('boom');
    expect(retried.statusCode).toBe(200);
  });

  it('answers 400 payload_rejected with the issues when the processor finds the payload unusable', async () => {
    let attempts = 0;
    const harness = stripeHarness({
      processor: async () => {
        attempts++;
        throw new WebhookPayloadError('checkout.session.completed carries an invalid Checkout Session.', [
          { path: 'data.object.amount_total', message: 'Expected number' },
        ]);
      },
    });
    const delivery = signedStripe(harness);

    const response = await harness.send(delivery);
    await harness.send(delivery);

    expect(response.statusCode).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: 'payload_rejected',
      issues: [{ path: 'data.object.amount_total', message: 'Expected number' }],
    });
    // Released, not stored: once our schema is fixed, the sender's retry is processed.
    expect(attempts).toBe(2);
  });

  it('aborts a processor that runs past its time, answers 503 and releases the claim', async () => {
    let attempts = 0;
    const harness = stripeHarness({
      dependencies: { processingTimeoutMs: 20 },
      processor: (_payload, context) => {
        attempts++;
        if (attempts > 1) return Promise.resolve({ status: 'processed', events: 1 });
        return new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
        });
      },
    });
    const delivery = signedStripe(harness);

    const timedOut = await harness.send(delivery);
    const retried = await harness.send(delivery);

    expect(timedOut.statusCode).toBe(503);
    expect(await errorCode(timedOut)).toBe('processing_timed_out');
    expect(retried.statusCode).toBe(200);
  });

  it('answers 503 processing_timed_out when the door’s deadline ends processing first, and releases the claim', async () => {
    const door = new AbortController();
    let attempts = 0;
    const harness = stripeHarness({
      processor: async (_payload, context) => {
        attempts++;
        if (attempts === 1) {
          door.abort(new DOMException('The function URL deadline is near', 'TimeoutError'));
          context.signal.throwIfAborted();
        }
        return { status: 'processed', events: 1 };
      },
    });
    const delivery = signedStripe(harness);

    const cutOff = await harness.send(delivery, door.signal);
    const retried = await harness.send(delivery);

    expect(cutOff.statusCode).toBe(503);
    expect(cutOff.headers['retry-after']).toBe('5');
    expect(await errorCode(cutOff)).toBe('processing_timed_out');
    expect(retried.statusCode).toBe(200);
  });

  it('answers 503 processing_timed_out, not event_bus_unavailable, when publishing failed because processing was aborted', async () => {
    const harness = stripeHarness({
      dependencies: { processingTimeoutMs: 20 },
      processor: (_payload, context) =>
        new Promise((_resolve, reject) => {
          context.signal.addEventListener(
            'abort',
            () => {
              const event = { source: 'mangaassist.payments', detailType: 'PaymentCompleted', detail: {} };
              reject(
                new EventPublishError('1 of 1 events were not accepted', [
                  { event, errorCode: 'AbortError' },
                ]),
              );
            },
            { once: true },
          );
        }),
    });

    const response = await harness.send(signedStripe(harness));

    expect(response.statusCode).toBe(503);
    expect(await errorCode(response)).toBe('processing_timed_out');
  });

  it('answers 200 when the work is done but its completion cannot be stored', async () => {
    const memory = new MemoryIdempotencyStore({ now: () => nowMs });
    const forgetful: IdempotencyStore = {
      claim: (key, options) => memory.claim(key, options),
      complete: () => Promise.reject(new Error('ConditionalCheckFailed')),
      release: (key, token) => memory.release(key, token),
    };
    const harness = stripeHarness({ dependencies: { idempotency: forgetful } });

    const response = await harness.send(signedStripe(harness));

    expect(response.statusCode).toBe(200);
    expect(harness.logger.lines()).toContain('webhook completion not stored');
  });

  it('refuses a processing timeout that is not shorter than the in-progress time', () => {
    expect(() =>
      stripeHarness({ dependencies: { inProgressSeconds: 10, processingTimeoutMs: 10_000 } }),
    ).toThrow(RangeError);
  });
});

describe('makeWebhookReceiver: event ids', () => {
  function reviewsReceiver(eventId: 'payload' | 'delivery') {
    const secrets = generateDevWebhookSecrets();
    const processed: string[] = [];
    const receiver = makeWebhookReceiver(
      {
        source: 'reviews',
        scheme: signatureSchemes['standard-webhooks'],
        schema: reviewPayloadSchema,
        eventId: eventId === 'payload' ? payloadEventId('review_id') : signedDeliveryId(),
        processor: async (_payload, context) => {
          processed.push(context.eventId);
          return { status: 'processed', events: 1 };
        },
      },
      {
        secrets: new StaticWebhookSecrets(secrets),
        idempotency: new MemoryIdempotencyStore(),
        now: () => nowMs,
      },
    );
    const deliver = (deliveryId: string) => {
      const body = JSON.stringify(reviewPayload());
      const headers = signedWebhookHeaders('standard-webhooks', {
        body,
        secret: secrets.reviews[0] ?? '',
        timestampSeconds: nowSeconds,
        deliveryId,
      });
      return receiver.handle(request(body, headers));
    };
    return { deliver, processed };
  }

  it('keys on the payload id, so a re-send under a new webhook-id is not processed twice', async () => {
    const { deliver, processed } = reviewsReceiver('payload');

    await deliver('msg_first');
    const resent = await deliver('msg_resent');

    expect(processed).toEqual(['rev-1']);
    expect(await json(resent)).toMatchObject({ status: 'already_processed', event_id: 'rev-1' });
  });

  it('can key on the signed webhook-id instead', async () => {
    const { deliver, processed } = reviewsReceiver('delivery');

    await deliver('msg_first');
    await deliver('msg_first');
    await deliver('msg_second');

    expect(processed).toEqual(['msg_first', 'msg_second']);
  });

  it('answers 400 validation_failed to a Stripe event id longer than 255 characters', async () => {
    const harness = stripeHarness();

    const response = await harness.send(signedStripe(harness, stripeEvent({ id: `evt_${'a'.repeat(252)}` })));

    expect(response.statusCode).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: 'validation_failed',
      issues: [expect.objectContaining({ path: 'id' })],
    });
    expect(harness.processed).toEqual([]);
  });

  it('accepts a Stripe event id of exactly 255 characters', async () => {
    const harness = stripeHarness();

    const response = await harness.send(signedStripe(harness, stripeEvent({ id: `evt_${'a'.repeat(251)}` })));

    expect(response.statusCode).toBe(200);
  });

  it('answers 400 invalid_event_id, not a retryable 503, to an id too long to be an idempotency key', async () => {
    const secrets = generateDevWebhookSecrets();
    const processed: string[] = [];
    const receiver = makeWebhookReceiver(
      {
        source: 'stripe',
        scheme: signatureSchemes.stripe,
        schema: z.object({ id: z.string() }),
        eventId: payloadEventId('id'),
        processor: async (payload) => {
          processed.push(payload.id);
          return { status: 'processed', events: 1 };
        },
      },
      {
        secrets: new StaticWebhookSecrets(secrets),
        idempotency: new MemoryIdempotencyStore(),
        now: () => nowMs,
      },
    );
    const body = JSON.stringify({ id: `evt_${'a'.repeat(3000)}` });
    const headers = signedWebhookHeaders('stripe', {
      body,
      secret: secrets.stripe[0] ?? '',
      timestampSeconds: nowSeconds,
    });

    const response = await receiver.handle(request(body, headers));

    expect(response.statusCode).toBe(400);
    expect(await errorCode(response)).toBe('invalid_event_id');
    expect(processed).toEqual([]);
  });

  it('answers 400 missing_event_id when the delivery carries none', async () => {
    const secrets = generateDevWebhookSecrets();
    const receiver = makeWebhookReceiver(
      {
        source: 'stripe',
        scheme: signatureSchemes.stripe,
        schema: stripeEventSchema,
        eventId: signedDeliveryId(),
        processor: async () => ({ status: 'processed', events: 1 }),
      },
      {
        secrets: new StaticWebhookSecrets(secrets),
        idempotency: new MemoryIdempotencyStore(),
        now: () => nowMs,
      },
    );
    const body = JSON.stringify(stripeEvent());
    const headers = signedWebhookHeaders('stripe', {
      body,
      secret: secrets.stripe[0] ?? '',
      timestampSeconds: nowSeconds,
    });

    const response = await receiver.handle(request(body, headers));

    expect(response.statusCode).toBe(400);
    expect(await errorCode(response)).toBe('missing_event_id');
  });
});
