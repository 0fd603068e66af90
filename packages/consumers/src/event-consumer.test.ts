import { recordingLogger } from '@mangaassist/commons/testing';
import { eventChainLimits } from '@mangaassist/contracts';
import type { DomainEvent } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import {
  type BusEventEnvelope,
  type ConsumeEvent,
  type ConsumerContext,
  EmissionNotAllowedError,
  type EventConsumerOptions,
  makeEventConsumer,
  PermanentConsumerError,
  TransientConsumerError,
} from './event-consumer.js';
import {
  eventEnvelope,
  moderationFlaggedEvent,
  paymentCompletedEvent,
  reviewSubmittedEvent,
} from './testing/consumer-fixtures.js';

/** A consumer under test, with the events and contexts it was given. */
function consumerWith(
  consume: ConsumeEvent = async () => ({ status: 'processed' }),
  options: Partial<EventConsumerOptions> = {},
) {
  const seen: { event: BusEventEnvelope; context: ConsumerContext }[] = [];
  const dedupe = options.dedupe ?? new MemoryIdempotencyStore();
  const logger = recordingLogger();
  const bus = recordingPublisher();
  const consumer = makeEventConsumer({
    name: 'fm-trigger',
    dedupe,
    events: bus.publisher,
    logger,
    now: () => Date.UTC(2026, 0, 31, 9),
    ...options,
    consume: async (event, context) => {
      seen.push({ event, context });
      return consume(event, context);
    },
  });
  return { consumer, seen, dedupe, logger, bus };
}

/** A store whose every call fails, as DynamoDB does in an outage. */
function unreachableStore(): IdempotencyStore {
  const fail = async (): Promise<never> => {
    throw new Error('connect ECONNREFUSED');
  };
  return { claim: fail, complete: fail, release: fail };
}

describe('makeEventConsumer', () => {
  it('processes an event once and acknowledges its redeliveries with the stored outcome', async () => {
    const { consumer, seen } = consumerWith(async () => ({
      status: 'processed',
      summary: { order_id: 'order-42' },
    }));
    const event = paymentCompletedEvent();

    expect(await consumer(event)).toStrictEqual({
      consumer: 'fm-trigger',
      eventId: event.id,
      status: 'processed',
      summary: { order_id: 'order-42' },
    });
    const again = await consumer(event);
    await consumer(event);

    expect(seen).toHaveLength(1);
    expect(again).toStrictEqual({
      consumer: 'fm-trigger',
      eventId: event.id,
      status: 'duplicate',
      summary: { status: 'processed', order_id: 'order-42' },
    });
  });

  it('hands the consumer the validated detail, defaults applied', async () => {
    const { consumer, seen } = consumerWith();
    const event = paymentCompletedEvent({ unknown_field: 'dropped' });
    await consumer(event);
    expect(seen[0]?.event.detail).not.toHaveProperty('unknown_field');
    expect(seen[0]?.event.detail).toMatchObject({ order_id: 'order-42', processing_stage: 'raw' });
  });

  it('throws a retryable error while another attempt holds the event', async () => {
    const dedupe = new MemoryIdempotencyStore();
    const event = paymentCompletedEvent();
    await dedupe.claim(`fm-trigger:${event.id}`, { inProgressSeconds: 60 });
    const { consumer, seen } = consumerWith(undefined, { dedupe });

    await expect(consumer(event)).rejects.toBeInstanceOf(TransientConsumerError);
    expect(seen).toHaveLength(0);
  });

  it('keeps consumers apart: the same event is new to each of them', async () => {
    const dedupe = new MemoryIdempotencyStore();
    const event = moderationFlaggedEvent();
    const first = consumerWith(undefined, { dedupe, name: 'moderation-handler' });
    const second = consumerWith(undefined, { dedupe, name: 'inference-post-processor' });
    expect((await first.consumer(event)).status).toBe('processed');
    expect((await second.consumer(event)).status).toBe('processed');
  });

  it('tells the consumer and the log that an event is a replay', async () => {
    const { consumer, seen, logger } = consumerWith();
    const event = paymentCompletedEvent({}, { 'replay-name': 'recover-2026-01-31' });

    const result = await consumer(event);

    expect(result).toMatchObject({ status: 'processed', replay: 'recover-2026-01-31' });
    expect(seen[0]?.context.replay).toStrictEqual({ name: 'recover-2026-01-31' });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        message: 'event consumer: replayed event received',
        fields: expect.objectContaining({ replayName: 'recover-2026-01-31' }),
      }),
    );
  });

  it('treats a replay of a handled event as a duplicate', async () => {
    const { consumer, seen } = consumerWith();
    const event = paymentCompletedEvent();
    await consumer(event);
    const replayed = await consumer({ ...event, 'replay-name': 'recover' });
    expect(replayed).toMatchObject({ status: 'duplicate', replay: 'recover' });
    expect(seen).toHaveLength(1);
  });

  it('gives a live event no replay', async () => {
    const { consumer, seen } = consumerWith();
    await consumer(paymentCompletedEvent());
    expect(seen[0]?.context.replay).toBeUndefined();
  });

  it('records and acknowledges a detail that breaks its schema, and its redeliveries', async () => {
    const { consumer, seen, logger } = consumerWith();
    const event = paymentCompletedEvent({ amount: -5 });

    expect(await consumer(event)).toMatchObject({ status: 'rejected', reason: 'invalid-detail' });
    expect(await consumer(event)).toMatchObject({
      status: 'duplicate',
      summary: { status: 'rejected', reason: 'invalid-detail', issues: [expect.stringContaining('amount')] },
    });
    expect(seen).toHaveLength(0);
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(1);
  });

  it('records and acknowledges an event outside the bus contract', async () => {
    const { consumer, seen } = consumerWith();
    const event = eventEnvelope({ source: 'mangaassist.payments', detailType: 'RefundIssued', detail: {} });
    expect(await consumer(event)).toMatchObject({ status: 'rejected', reason: 'unknown-event' });
    expect(await consumer(event)).toMatchObject({ status: 'duplicate' });
    expect(seen).toHaveLength(0);
  });

  it('refuses a raw-stage event type that carries another processing stage', async () => {
    const { consumer, seen } = consumerWith();
    const result = await consumer(paymentCompletedEvent({ processing_stage: 'processed' }));
    expect(result).toMatchObject({ status: 'rejected', reason: 'invalid-detail' });
    expect(seen).toHaveLength(0);
  });

  it('acknowledges an input that is not an event without storing anything', async () => {
    const { consumer, logger } = consumerWith(undefined, { dedupe: unreachableStore() });
    expect(await consumer({ action: 'regenerate', product_id: 'p-1' })).toStrictEqual({
      consumer: 'fm-trigger',
      status: 'rejected',
      reason: 'malformed-envelope',
    });
    expect(await consumer('not even an object')).toMatchObject({ status: 'rejected' });
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(2);
  });

  it('records and acknowledges a permanent failure of the consumer', async () => {
    let calls = 0;
    const { consumer } = consumerWith(async () => {
      calls++;
      throw new PermanentConsumerError('the answer has three tags', 'unparseable-description');
    });
    const event = paymentCompletedEvent();
    expect(await consumer(event)).toMatchObject({ status: 'rejected', reason: 'unparseable-description' });
    expect(await consumer(event)).toMatchObject({
      status: 'duplicate',
      summary: {
        status: 'rejected',
        reason: 'unparseable-description',
        message: 'the answer has three tags',
      },
    });
    expect(calls).toBe(1);
  });

  it('rethrows a transient failure and releases the event, so the retry processes it', async () => {
    let calls = 0;
    const { consumer } = consumerWith(async () => {
      calls++;
      if (calls === 1) throw new TransientConsumerError('the model did not answer');
      return { status: 'processed' };
    });
    const event = paymentCompletedEvent();
    await expect(consumer(event)).rejects.toThrow('the model did not answer');
    expect(await consumer(event)).toMatchObject({ status: 'processed' });
    expect(calls).toBe(2);
  });

  it('treats an unexpected error as transient: rethrown, the event released', async () => {
    let calls = 0;
    const { consumer } = consumerWith(async () => {
      calls++;
      if (calls === 1) throw new TypeError('Cannot read properties of undefined');
      return { status: 'processed' };
    });
    const event = paymentCompletedEvent();
    await expect(consumer(event)).rejects.toBeInstanceOf(TypeError);
    expect((await consumer(event)).status).toBe('processed');
  });

  it.each([
    ['an InferenceCompleted without a model', new RangeError('model must not be empty')],
    ['a CatalogUpdate without a product id', new RangeError('productId must not be empty')],
  ])('records and acknowledges %s that core refuses with a RangeError', async (_, refusal) => {
    let calls = 0;
    const { consumer, logger } = consumerWith(async () => {
      calls++;
      throw refusal;
    });
    const event = paymentCompletedEvent();

    expect(await consumer(event)).toMatchObject({ status: 'rejected', reason: 'invalid-input' });
    expect(await consumer(event)).toMatchObject({
      status: 'duplicate',
      summary: { status: 'rejected', reason: 'invalid-input', message: refusal.message },
    });
    expect(calls).toBe(1);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ reason: 'invalid-input' }),
      }),
    );
  });

  it('treats a RangeError of the engine itself (a stack overflow) as transient, like any bug', async () => {
    const { consumer } = consumerWith(async () => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    await expect(consumer(paymentCompletedEvent())).rejects.toBeInstanceOf(RangeError);
  });

  it('records a skip with its reason', async () => {
    const { consumer } = consumerWith(async () => ({ status: 'skipped', reason: 'discontinued' }));
    const event = paymentCompletedEvent();
    expect(await consumer(event)).toMatchObject({ status: 'skipped', reason: 'discontinued' });
    expect(await consumer(event)).toMatchObject({
      status: 'duplicate',
      summary: { status: 'skipped', reason: 'discontinued' },
    });
  });

  it('throws a retryable error when the consumed-events store cannot be reached', async () => {
    const { consumer, seen } = consumerWith(undefined, { dedupe: unreachableStore() });
    await expect(consumer(paymentCompletedEvent())).rejects.toBeInstanceOf(TransientConsumerError);
    expect(seen).toHaveLength(0);
  });

  it('returns the outcome of handled work even when storing it fails, and logs that', async () => {
    const memory = new MemoryIdempotencyStore();
    const dedupe: IdempotencyStore = {
      claim: (key, options) => memory.claim(key, options),
      complete: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
      release: (key, token) => memory.release(key, token),
    };
    const { consumer, logger } = consumerWith(undefined, { dedupe });
    expect(await consumer(paymentCompletedEvent())).toMatchObject({ status: 'processed' });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('completion not stored'),
      }),
    );
  });

  describe('chain depth', () => {
    it('starts a chain at depth 1 for an event without chain metadata', async () => {
      const { consumer, seen } = consumerWith();
      const event = reviewSubmittedEvent();
      await consumer(event);
      expect(seen[0]?.context.chain).toStrictEqual({ depth: 1, sourceEventId: event.id });
    });

    it('gives the consumer the next depth of a chained event', async () => {
      const { consumer, seen } = consumerWith(undefined, { name: 'moderation-handler' });
      await consumer(moderationFlaggedEvent({ chain_depth: 2 }));
      expect(seen[0]?.context.chain.depth).toBe(3);
    });

    it('refuses an event at the maximum depth without processing or storing it', async () => {
      const { consumer, seen, logger } = consumerWith(undefined, {
        name: 'moderation-handler',
        dedupe: unreachableStore(),
      });
      const result = await consumer(moderationFlaggedEvent({ chain_depth: eventChainLimits.maxChainDepth }));
      expect(result).toMatchObject({ status: 'rejected', reason: 'max-depth-reached' });
      expect(seen).toHaveLength(0);
      expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'warn' }));
    });

    it.each([
      ['a string', '2'],
      ['a negative number', -1],
      ['a fraction', 1.5],
      ['null', null],
    ])('refuses an event whose chain depth is %s', async (_, chainDepth) => {
      const { consumer, seen } = consumerWith(undefined, { name: 'moderation-handler' });
      const result = await consumer(moderationFlaggedEvent({ chain_depth: chainDepth }));
      expect(result).toMatchObject({ status: 'rejected', reason: 'malformed-chain-depth' });
      expect(seen).toHaveLength(0);
    });
  });

  describe('emitting', () => {
    const flagged = {
      review_id: 'review-7',
      product_id: 'product-onepiece-108',
      content_hash: 'b'.repeat(64),
      content_preview: 'preview',
      severity: 'high',
      flagged_categories: ['harassment'],
      reason: 'threat',
      model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    };

    it('publishes what the consumer may emit, with the chain metadata of the event it came from', async () => {
      const { consumer, bus } = consumerWith(async (_, context) => {
        await context.emit('ModerationFlagged', flagged);
        return { status: 'processed' };
      });
      const event = reviewSubmittedEvent();
      await consumer(event);
      expect(bus.published).toStrictEqual([
        {
          source: 'mangaassist.ai',
          detailType: 'ModerationFlagged',
          detail: { ...flagged, chain_depth: 1, source_event_id: event.id, processing_stage: 'processed' },
        },
      ]);
    });

    it('refuses to emit an event the consumer may not, and leaves the event for a retry', async () => {
      const { consumer, bus } = consumerWith(async (_, context) => {
        await context.emit('Recommendation.Generated', {});
        return { status: 'processed' };
      });
      const event = reviewSubmittedEvent();
      await expect(consumer(event)).rejects.toBeInstanceOf(EmissionNotAllowedError);
      expect(bus.published).toHaveLength(0);
    });

    it('refuses to emit a detail that breaks its schema', async () => {
      const { consumer } = consumerWith(async (_, context) => {
        await context.emit('ModerationFlagged', { ...flagged, content_hash: 'not-a-hash' });
        return { status: 'processed' };
      });
      await expect(consumer(reviewSubmittedEvent())).rejects.toThrow(/content_hash/);
    });

    it('lets nothing emit through a consumer built without a publisher', async () => {
      const { consumer } = consumerWith(
        async (_, context) => {
          await context.emit('ModerationFlagged', flagged);
          return { status: 'processed' };
        },
        { events: undefined },
      );
      await expect(consumer(reviewSubmittedEvent())).rejects.toBeInstanceOf(EmissionNotAllowedError);
    });

    it('stops a consumer that re-emits what it consumes at the maximum chain depth', async () => {
      // A bus that delivers whatever the consumer publishes back to the consumer.
      const queue: DomainEvent[] = [];
      let delivered = 0;
      const consumer = makeEventConsumer({
        name: 'fm-trigger',
        dedupe: new MemoryIdempotencyStore(),
        events: { publish: async (events) => void queue.push(...events) },
        consume: async (event, context) => {
          const { chain_depth: _, source_event_id: __, processing_stage: ___, ...rest } = event.detail;
          await context.emit(
            'ModerationFlagged',
            event['detail-type'] === 'ModerationFlagged' ? rest : flagged,
          );
          return { status: 'processed' };
        },
      });

      const results = [await consumer(reviewSubmittedEvent())];
      for (let next = queue.shift(); next !== undefined && delivered < 10; next = queue.shift()) {
        delivered++;
        results.push(
          await consumer(
            eventEnvelope({ source: next.source, detailType: next.detailType, detail: next.detail }),
          ),
        );
      }

      expect(results.map((result) => result.status)).toStrictEqual([
        'processed',
        'processed',
        'processed',
        'rejected',
      ]);
      expect(results.at(-1)).toMatchObject({ reason: 'max-depth-reached' });
      expect(delivered).toBe(eventChainLimits.maxChainDepth);
      expect(queue).toHaveLength(0);
    });
  });
});
