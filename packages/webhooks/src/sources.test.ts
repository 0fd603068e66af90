// The catalog receiver as the sources table builds it: real schemes, stores and processor.
import { randomUUID } from 'node:crypto';
import { manualClock } from '@mangaassist/commons/testing';
import { type CatalogEnrichmentMessage, webhookLimits } from '@mangaassist/contracts';
import { recordingPublisher } from '@mangaassist/events/testing';
import type { HttpRequest, HttpResponse } from '@mangaassist/http';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { generateDevWebhookSecrets } from './secrets/dev-webhook-secrets.js';
import { StaticWebhookSecrets } from './secrets/static-webhook-secrets.js';
import { signedWebhookHeaders } from './signatures/signature-schemes.js';
import { makeSourceReceiver } from './sources.js';
import {
  type CatalogQueueBehaviour,
  recordingCatalogEnrichmentQueue,
} from './testing/catalog-enrichment-fixtures.js';
import { catalogBatch } from './testing/processor-fixtures.js';

/** The catalog receiver over memory stores on one manual clock; the queue behaves as `behaviour` says. */
function catalogReceiver(behaviour?: CatalogQueueBehaviour) {
  const clock = manualClock(Date.UTC(2026, 0, 31, 9));
  const secrets = generateDevWebhookSecrets();
  const enrichment = recordingCatalogEnrichmentQueue(behaviour);
  const receiver = makeSourceReceiver('catalog', {
    secrets: new StaticWebhookSecrets(secrets),
    idempotency: new MemoryIdempotencyStore({ now: clock.now }),
    now: clock.now,
    events: recordingPublisher().publisher,
    catalogEnrichment: enrichment.queue,
  });
  /** A delivery of the batch, signed now (every retry is signed anew). */
  const deliver = (batch: unknown): Promise<HttpResponse> => {
    const body = JSON.stringify(batch);
    const request: HttpRequest = {
      method: 'POST',
      path: '/webhooks/catalog',
      headers: {
        'content-type': 'application/json',
        ...signedWebhookHeaders('standard-webhooks', {
          body,
          secret: secrets.catalog[0] ?? '',
          timestampSeconds: clock.now() / 1_000,
        }),
      },
      body: Buffer.from(body, 'utf8'),
      requestId: randomUUID(),
      tenantId: 'anonymous',
    };
    return receiver.handle(request);
  };
  return { clock, deliver, enrichment };
}

const firstSeenOf = (messages: readonly CatalogEnrichmentMessage[]) => [
  ...new Set(messages.map((message) => message.first_seen_at)),
];

describe('the catalog receiver', () => {
  it('queues a delivery retried after a failure with the first-seen time of its first attempt', async () => {
    // The first attempt's second request is throttled: the delivery fails after a part was queued.
    const { clock, deliver, enrichment } = catalogReceiver((_messages, call) =>
      call === 2 ? new Map([[0, 'ThrottlingException']]) : undefined,
    );
    const batch = catalogBatch(30);

    expect((await deliver(batch)).statusCode).toBe(503);
    const firstAttempt = [...enrichment.queued];
    clock.advanceSeconds(600);
    const retried = await deliver(batch);

    expect(retried.statusCode).toBe(200);
    expect(JSON.parse(retried.body)).toMatchObject({ detail: { first_seen_at: '2026-01-31T09:00:00.000Z' } });
    expect(firstAttempt.length).toBeGreaterThan(0);
    expect(firstSeenOf(enrichment.queued)).toEqual(['2026-01-31T09:00:00.000Z']);
  });

  it('queues a batch re-sent once the webhook forgot its delivery with a new first-seen time', async () => {
    const { clock, deliver, enrichment } = catalogReceiver();
    const batch = catalogBatch(3);
    await deliver(batch);
    clock.advanceSeconds(webhookLimits.idempotencyTtlSeconds - 1);
    expect(JSON.parse((await deliver(batch)).body)).toMatchObject({ status: 'already_processed' });
    clock.advanceSeconds(1);

    expect((await deliver(batch)).statusCode).toBe(200);
    expect(firstSeenOf(enrichment.queued)).toEqual(['2026-01-31T09:00:00.000Z', '2026-02-07T09:00:00.000Z']);
  });
});
