// The deployed consumer function's code with in-memory ports: the registry, and events end to end
// through the FM trigger and the moderation handler.
import { randomUUID } from 'node:crypto';
import { ConfigurationError } from '@mangaassist/commons';
import { installRecordingTraceSink } from '@mangaassist/commons/testing';
import { traceAnnotations } from '@mangaassist/commons/tracing';
import {
  type ConsumerModel,
  type EmailSender,
  MemoryProductStore,
  MemoryReviewStore,
  type OutgoingEmail,
} from '@mangaassist/consumers';
import type { DomainEvent } from '@mangaassist/events';
import type { GatewayResult } from '@mangaassist/fm-gateway';
import { gatewayResult } from '@mangaassist/fm-gateway/testing';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { makeEventConsumerHandler, makeEventConsumerHandlers } from './event-consumer.js';

function paymentCompleted(orderId = 'order-42') {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'PaymentCompleted',
    source: 'mangaassist.payments',
    account: '123456789012',
    time: '2026-01-31T09:00:00Z',
    region: 'ap-northeast-1',
    resources: [],
    detail: {
      order_id: orderId,
      stripe_event_id: 'evt_1a2b3c',
      checkout_session_id: 'cs_test_a1',
      amount: 1980,
      currency: 'JPY',
      customer_email: 'reader@example.jp',
      processing_stage: 'raw',
    },
  };
}

function answering(text: string): ConsumerModel {
  return {
    complete: async (): Promise<GatewayResult> =>
      gatewayResult({
        text,
        usage: { inputTokens: 40, outputTokens: 60, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
        costUsd: 0.0003,
        latencyMs: 500,
      }),
  };
}

function ports() {
  const sent: OutgoingEmail[] = [];
  const published: DomainEvent[] = [];
  const emails: EmailSender = {
    send: async (email) => {
      sent.push(email);
      return { messageId: `msg-${sent.length}` };
    },
  };
  return {
    sent,
    published,
    dependencies: {
      dedupe: new MemoryIdempotencyStore(),
      events: { publish: async (events: readonly DomainEvent[]) => void published.push(...events) },
      model: answering('ありがとうございます！ Your manga is on its way.'),
      emails,
      products: new MemoryProductStore(),
      reviews: new MemoryReviewStore(),
    },
  };
}

describe('makeEventConsumerHandler', () => {
  it('runs the consumer EVENT_CONSUMER names: one confirmation per order however often it arrives', async () => {
    const { dependencies, sent } = ports();
    const handler = makeEventConsumerHandler({ ...dependencies, consumer: 'fm-trigger' });
    const event = paymentCompleted();

    expect(await handler(event)).toMatchObject({ consumer: 'fm-trigger', status: 'processed' });
    expect(await handler(event)).toMatchObject({ status: 'duplicate' });
    expect(await handler({ ...event, 'replay-name': 'recover' })).toMatchObject({ status: 'duplicate' });
    expect(sent).toHaveLength(1);
  });

  it('runs the after-event work after every event, failed ones included', async () => {
    const { dependencies } = ports();
    let flushes = 0;
    const handler = makeEventConsumerHandler({
      ...dependencies,
      model: { complete: async () => Promise.reject(new Error('ThrottlingException')) },
      consumer: 'fm-trigger',
      afterEach: async () => {
        flushes++;
      },
    });
    await expect(handler(paymentCompleted())).rejects.toThrow();
    await handler({ not: 'an event' });
    expect(flushes).toBe(2);
  });

  it("traces an event's work under the consumer, the event's type and the tenant it names", async () => {
    // Scopes exist where traces are sent.
    installRecordingTraceSink();
    const { dependencies } = ports();
    const inScope: unknown[] = [];
    const handler = makeEventConsumerHandler({
      ...dependencies,
      model: {
        complete: async () => {
          inScope.push(traceAnnotations());
          return gatewayResult({ text: 'ありがとうございます！' });
        },
      },
      consumer: 'fm-trigger',
    });
    const event = paymentCompleted();
    await handler({ ...event, detail: { ...event.detail, tenant_id: 'manga-store' } });
    await handler(paymentCompleted('order-43'));
    expect(inScope).toEqual([
      { consumer: 'fm-trigger', event_type: 'PaymentCompleted', tenant: 'manga-store' },
      { consumer: 'fm-trigger', event_type: 'PaymentCompleted' },
    ]);
  });

  it('fails at build time when the consumer lacks a dependency', () => {
    const { dependencies } = ports();
    const { emails: _, ...withoutEmails } = dependencies;
    expect(() => makeEventConsumerHandler({ ...withoutEmails, consumer: 'fm-trigger' })).toThrow(
      new ConfigurationError('fm-trigger needs the emails dependency'),
    );
  });

  it('builds one handler per consumer for the local bus', async () => {
    const { dependencies } = ports();
    const handlers = makeEventConsumerHandlers(dependencies, ['fm-trigger', 'moderation-handler']);
    expect(handlers['fm-trigger']).toBeTypeOf('function');
    expect(handlers['moderation-handler']).toBeTypeOf('function');
    expect(handlers.analytics).toBeUndefined();
  });
});
