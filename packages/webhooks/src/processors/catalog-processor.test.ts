import { manualClock } from '@mangaassist/commons/testing';
import { type CatalogEnrichmentMessage, webhookLimits } from '@mangaassist/contracts';
import { type DomainEvent, EventPublishError, type EventPublisher } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { catalogEnrichmentBatchBytes, catalogEnrichmentFifoMessage } from '../catalog-enrichment-queue.js';
import { type CatalogFirstSeenStore, IdempotencyCatalogFirstSeenStore } from '../catalog-first-seen.js';
import { recordingCatalogEnrichmentQueue } from '../testing/catalog-enrichment-fixtures.js';
import { catalogBatch, webhookContext } from '../testing/processor-fixtures.js';
import {
  type CatalogBatch,
  CatalogEnrichmentQueueError,
  makeCatalogProcessor,
  notAttemptedErrorCode,
} from './catalog-processor.js';

const context = () => webhookContext({ source: 'catalog', eventId: 'batch-2026-01' });
const firstSeenAt = '2026-01-31T09:00:00.123Z';
/** Every batch first seen at `firstSeenAt`. */
const firstSeen: CatalogFirstSeenStore = { firstSeen: async () => firstSeenAt };
/** A catalog enrichment queue that accepts everything. */
const accepting = () => recordingCatalogEnrichmentQueue().queue;
const productIds = (events: readonly DomainEvent[]) => events.map((event) => event.detail.product_id);

describe('the catalog processor', () => {
  it('publishes one event per item for a 1 000-item catalog, nothing lost, in batches of at most 10', async () => {
    const bus = recordingPublisher();
    const batch = catalogBatch(1000);
    const outcome = await makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: bus.publisher })(
      batch,
      context(),
    );

    expect(outcome).toMatchObject({
      status: 'processed',
      events: 1000,
      detail: { batch_id: 'batch-2026-01', items: 1000, first_seen_at: firstSeenAt },
    });
    expect(bus.published).toHaveLength(1000);
    expect(new Set(productIds(bus.published))).toEqual(new Set(batch.items.map((item) => item.product_id)));
    expect(bus.calls).toHaveLength(100);
    for (const call of bus.calls) expect(call.length).toBeLessThanOrEqual(10);
  });

  it('names each event after its update type and carries the batch, the item and the raw stage', async () => {
    const bus = recordingPublisher();
    await makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: bus.publisher })(
      catalogBatch(2),
      context(),
    );

    expect(bus.published).toEqual([
      {
        source: 'mangaassist.catalog',
        detailType: 'CatalogUpdate.new_release',
        detail: {
          batch_id: 'batch-2026-01',
          product_id: 'manga-00000',
          title: 'ワンピース 1巻',
          update_type: 'new_release',
          data: { volume: 1, price_jpy: 528 },
          processing_stage: 'raw',
        },
      },
      expect.objectContaining({ detailType: 'CatalogUpdate.price_change' }),
    ]);
  });

  it('counts the items per update type in its outcome', async () => {
    const { publisher } = recordingPublisher();
    const outcome = await makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: publisher })(
      catalogBatch(7),
      context(),
    );
    expect(outcome.detail?.update_types).toEqual({
      new_release: 2,
      price_change: 2,
      restock: 1,
      discontinued: 1,
      metadata_change: 1,
    });
  });

  it('publishes a short last batch', async () => {
    const bus = recordingPublisher();
    await makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: bus.publisher, concurrency: 1 })(
      catalogBatch(23),
      context(),
    );
    expect(bus.calls.map((call) => call.length)).toEqual([10, 10, 3]);
  });

  it('fails the delivery when entries are still refused, listing them and the batches it did not start', async () => {
    const bus = recordingPublisher((_events, call) =>
      call === 3
        ? new Map([
            [1, 'ThrottlingException'],
            [4, 'InternalFailure'],
          ])
        : undefined,
    );
    const process = makeCatalogProcessor({
      firstSeen,
      enrichment: accepting(),
      events: bus.publisher,
      concurrency: 1,
    });
    const failure = process(catalogBatch(55), context()).catch((error: unknown) => error);
    const error = await failure;

    expect(error).toBeInstanceOf(EventPublishError);
    if (!(error instanceof EventPublishError)) return;
    expect(bus.calls).toHaveLength(3);
    expect(error.failed.map(({ errorCode }) => errorCode)).toEqual([
      'ThrottlingException',
      'InternalFailure',
      ...Array<string>(25).fill(notAttemptedErrorCode),
    ]);
    expect(productIds(error.failed.map(({ event }) => event)).slice(0, 3)).toEqual([
      'manga-00021',
      'manga-00024',
      'manga-00030',
    ]);
    expect(error.message).toMatch(/27 of 55 catalog events of batch batch-2026-01 are not on the bus/);
    // Every item is either on the bus or named in the error: nothing is lost silently.
    expect(bus.published.length + error.failed.length).toBe(55);
  });

  it('lists a whole batch when the publisher fails in an unexpected way', async () => {
    const publisher: EventPublisher = {
      publish: async () => {
        throw new TypeError('socket hang up');
      },
    };
    const failure = makeCatalogProcessor({
      firstSeen,
      enrichment: accepting(),
      events: publisher,
      concurrency: 1,
    })(catalogBatch(12), context());
    await expect(failure).rejects.toMatchObject({
      failed: [
        ...Array(10).fill(expect.objectContaining({ errorCode: 'TypeError' })),
        ...Array(2).fill(expect.objectContaining({ errorCode: notAttemptedErrorCode })),
      ],
    });
  });

  it('starts no further batch once the delivery is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('lambda timing out');
    const bus = recordingPublisher((_events, call) => {
      if (call === 2) controller.abort(reason);
      return undefined;
    });
    const process = makeCatalogProcessor({
      firstSeen,
      enrichment: accepting(),
      events: bus.publisher,
      concurrency: 1,
    });
    await expect(process(catalogBatch(50), webhookContext({ signal: controller.signal }))).rejects.toBe(
      reason,
    );
    expect(bus.calls).toHaveLength(2);
  });

  it('publishes every batch under the delivery’s abort signal', async () => {
    const bus = recordingPublisher();
    const delivery = context();
    await makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: bus.publisher })(
      catalogBatch(25),
      delivery,
    );
    expect(bus.signals).toEqual([delivery.signal, delivery.signal, delivery.signal]);
  });

  it('rejects with the abort reason, not as a bus failure, when the delivery is aborted during a publish', async () => {
    const controller = new AbortController();
    const reason = new Error('processing timed out');
    const bus = recordingPublisher((_events, call) => {
      if (call === 2) controller.abort(reason);
      return undefined;
    });
    const process = makeCatalogProcessor({
      firstSeen,
      enrichment: accepting(),
      events: bus.publisher,
      concurrency: 1,
    });
    await expect(process(catalogBatch(50), webhookContext({ signal: controller.signal }))).rejects.toBe(
      reason,
    );
    expect(bus.calls).toHaveLength(2);
  });

  it('refuses batch sizes and concurrency that are not positive integers', () => {
    const { publisher } = recordingPublisher();
    expect(() =>
      makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: publisher, batchSize: 0 }),
    ).toThrow(RangeError);
    expect(() =>
      makeCatalogProcessor({ firstSeen, enrichment: accepting(), events: publisher, concurrency: 1.5 }),
    ).toThrow(RangeError);
  });
});

/** A batch whose items revisit products: `rounds` updates of each of `products` products, interleaved. */
function revisitingBatch(products: number, rounds: number): CatalogBatch {
  const types = ['new_release', 'price_change', 'metadata_change', 'restock', 'discontinued'] as const;
  return {
    batch_id: 'batch-revisits',
    items: Array.from({ length: products * rounds }, (_, index) => {
      const round = Math.floor(index / products);
      return {
        product_id: `manga-${String(index % products).padStart(4, '0')}`,
        title: `round ${round}`,
        update_type: types[Math.min(round, types.length - 1)] ?? 'restock',
        data: {},
      };
    }),
  };
}

/** `products` products with `updates` updates each, a product's all in a row (its run). */
function productRunsBatch(products: number, updates: number): CatalogBatch {
  return {
    batch_id: 'batch-runs',
    items: Array.from({ length: products * updates }, (_, index) => ({
      product_id: `run-${String(Math.floor(index / updates)).padStart(4, '0')}`,
      title: `update ${index % updates}`,
      update_type: 'price_change',
      data: {},
    })),
  };
}

/** Each product's messages, in the order the queue accepted them. */
function byProduct(messages: readonly CatalogEnrichmentMessage[]): Map<string, number[]> {
  const products = new Map<string, number[]>();
  for (const message of messages) {
    products.set(message.product_id, [...(products.get(message.product_id) ?? []), message.item_index]);
  }
  return products;
}

describe('the catalog processor’s enrichment messages', () => {
  it('queues every item once, each product’s in the order of the batch, one of a product per request', async () => {
    const { publisher } = recordingPublisher();
    const enrichment = recordingCatalogEnrichmentQueue();
    const batch = revisitingBatch(300, 4);
    const outcome = await makeCatalogProcessor({
      firstSeen,
      events: publisher,
      enrichment: enrichment.queue,
    })(batch, context());

    expect(outcome.detail).toMatchObject({ enrichment_queued: 1200 });
    expect(enrichment.queued.map((message) => message.item_index).sort((a, b) => a - b)).toEqual(
      batch.items.map((_, index) => index),
    );
    for (const [product, indexes] of byProduct(enrichment.queued)) {
      expect(indexes, product).toEqual([...indexes].sort((a, b) => a - b));
      expect(indexes, product).toHaveLength(4);
    }
    for (const request of enrichment.requests) {
      expect(request.length).toBeLessThanOrEqual(10);
      expect(new Set(request.map((message) => message.product_id)).size).toBe(request.length);
    }
    expect(enrichment.queued.find((message) => message.item_index === 0)).toEqual({
      batch_id: 'batch-revisits',
      item_index: 0,
      first_seen_at: firstSeenAt,
      product_id: 'manga-0000',
      title: 'round 0',
      update_type: 'new_release',
      data: {},
    });
  });

  it('sends a product’s next message only once its previous one is accepted, however slow the queue', async () => {
    const { publisher } = recordingPublisher();
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    const enrichment = recordingCatalogEnrichmentQueue(async (messages, call) => {
      for (const message of messages) {
        if (inFlight.has(message.product_id)) overlaps.push(message.product_id);
        inFlight.add(message.product_id);
      }
      // Requests take 0 to 3 ms, in a fixed pattern: lanes finish out of step.
      await new Promise((resolve) => setTimeout(resolve, (call * 7) % 4));
      for (const message of messages) inFlight.delete(message.product_id);
      return undefined;
    });
    // 37 products over 8 lanes: a product's updates are 37 items apart, never one lane's stride.
    await makeCatalogProcessor({
      firstSeen,
      events: publisher,
      enrichment: enrichment.queue,
      concurrency: 8,
    })(revisitingBatch(37, 5), context());

    expect(overlaps).toEqual([]);
    for (const [product, indexes] of byProduct(enrichment.queued)) {
      expect(indexes, product).toEqual([...indexes].sort((a, b) => a - b));
    }
  });

  it('sends the same messages for a retried delivery of the same batch, however much later, so the queue and the consumer drop the copies', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 31, 9));
    const store = new IdempotencyCatalogFirstSeenStore(new MemoryIdempotencyStore({ now: clock.now }), {
      now: clock.now,
    });
    const first = recordingCatalogEnrichmentQueue();
    const second = recordingCatalogEnrichmentQueue();
    const batch = revisitingBatch(5, 2);
    await makeCatalogProcessor({
      firstSeen: store,
      events: recordingPublisher().publisher,
      enrichment: first.queue,
    })(batch, context());
    // Past the queue's 5-minute deduplication: only the consumer's idempotency drops these now.
    clock.advanceSeconds(600);
    await makeCatalogProcessor({
      firstSeen: store,
      events: recordingPublisher().publisher,
      enrichment: second.queue,
    })(structuredClone(batch), context());
    const bodies = (queued: readonly CatalogEnrichmentMessage[]) =>
      queued.map((message) => catalogEnrichmentFifoMessage(message).body).sort();
    expect(bodies(second.queued)).toEqual(bodies(first.queued));
    expect(new Set(bodies(first.queued)).size).toBe(10);
    expect(new Set(first.queued.map((message) => message.first_seen_at))).toEqual(
      new Set(['2026-01-31T09:00:00.000Z']),
    );
  });

  it('marks a batch accepted again, once the webhook forgot it, with a new first-seen time', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 31, 9));
    const store = new IdempotencyCatalogFirstSeenStore(new MemoryIdempotencyStore({ now: clock.now }), {
      now: clock.now,
    });
    const first = recordingCatalogEnrichmentQueue();
    const again = recordingCatalogEnrichmentQueue();
    await makeCatalogProcessor({
      firstSeen: store,
      events: recordingPublisher().publisher,
      enrichment: first.queue,
    })(catalogBatch(3), context());
    clock.advanceSeconds(webhookLimits.idempotencyTtlSeconds + 1);
    const outcome = await makeCatalogProcessor({
      firstSeen: store,
      events: recordingPublisher().publisher,
      enrichment: again.queue,
    })(catalogBatch(3), context());

    expect(outcome.detail).toMatchObject({ first_seen_at: '2026-02-07T09:00:01.000Z' });
    expect(again.queued.map((message) => message.first_seen_at)).toEqual(
      Array(3).fill('2026-02-07T09:00:01.000Z'),
    );
  });

  it('asks when the batch was first seen before it sends anything, and sends nothing when that fails', async () => {
    const bus = recordingPublisher();
    const enrichment = recordingCatalogEnrichmentQueue();
    const unavailable = new Error('idempotency table unavailable');
    const failing = makeCatalogProcessor({
      firstSeen: { firstSeen: () => Promise.reject(unavailable) },
      events: bus.publisher,
      enrichment: enrichment.queue,
    })(catalogBatch(3), context());
    await expect(failing).rejects.toBe(unavailable);
    expect(bus.calls).toHaveLength(0);
    expect(enrichment.requests).toHaveLength(0);
  });

  it('packs full requests of different products: 100 updates of 10 products take 10 requests, in order', async () => {
    for (const batch of [productRunsBatch(10, 10), revisitingBatch(10, 10)]) {
      const enrichment = recordingCatalogEnrichmentQueue();
      await makeCatalogProcessor({
        firstSeen,
        events: recordingPublisher().publisher,
        enrichment: enrichment.queue,
      })(batch, context());

      expect(enrichment.requests.map((request) => request.length)).toEqual(Array(10).fill(10));
      for (const [product, indexes] of byProduct(enrichment.queued)) {
        expect(indexes, product).toEqual([...indexes].sort((a, b) => a - b));
        expect(indexes, product).toHaveLength(10);
      }
    }
  });

  it('sends the long run of a product from the start, beside the short ones, not after them', async () => {
    // 40 single updates, then one product with 20: the long run sets the pace.
    const batch = revisitingBatch(40, 1);
    const longRun = productRunsBatch(1, 20).items;
    const enrichment = recordingCatalogEnrichmentQueue();
    await makeCatalogProcessor({
      firstSeen,
      events: recordingPublisher().publisher,
      enrichment: enrichment.queue,
      concurrency: 1,
    })({ ...batch, items: [...batch.items, ...longRun] }, context());

    expect(enrichment.requests).toHaveLength(20);
    expect(enrichment.queued).toHaveLength(60);
  });

  it('puts no more than SQS’s 256 KiB of bodies in one request', async () => {
    const enrichment = recordingCatalogEnrichmentQueue();
    const batch = catalogBatch(20);
    // As large as the schema lets an item be: ~27 KB of JSON each, too many for ten in a request.
    const large = batch.items.map((item) => ({
      ...item,
      title: '巻'.repeat(512),
      data: { author: '著'.repeat(256), genre: '類'.repeat(128), synopsis: '話'.repeat(8_000) },
    }));
    await makeCatalogProcessor({
      firstSeen,
      events: recordingPublisher().publisher,
      enrichment: enrichment.queue,
      concurrency: 1,
    })({ ...batch, items: large }, context());

    expect(enrichment.queued).toHaveLength(20);
    const bytes = (request: readonly CatalogEnrichmentMessage[]) =>
      request.reduce(
        (sum, message) => sum + Buffer.byteLength(catalogEnrichmentFifoMessage(message).body),
        0,
      );
    for (const request of enrichment.requests)
      expect(bytes(request)).toBeLessThanOrEqual(catalogEnrichmentBatchBytes);
    expect(Math.max(...enrichment.requests.map((request) => request.length))).toBeLessThan(10);
  });

  it('names the messages the queue refused as invalid, which no retry can fix, even when the bus failed too', async () => {
    const bus = recordingPublisher(() => new Map([[0, 'ThrottlingException']]));
    const enrichment = recordingCatalogEnrichmentQueue(() => new Map([[0, 'InvalidMessageContents']]));
    const error = await makeCatalogProcessor({
      firstSeen,
      events: bus.publisher,
      enrichment: enrichment.queue,
      concurrency: 1,
    })(catalogBatch(3), context()).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(CatalogEnrichmentQueueError);
    if (!(error instanceof CatalogEnrichmentQueueError)) return;
    expect(error.invalid).toEqual([
      expect.objectContaining({
        errorCode: 'InvalidMessageContents',
        message: expect.objectContaining({ item_index: 0 }),
      }),
    ]);
  });

  it('names no invalid message when the queue only throttled', async () => {
    const enrichment = recordingCatalogEnrichmentQueue(() => new Map([[0, 'ThrottlingException']]));
    const error = await makeCatalogProcessor({
      firstSeen,
      events: recordingPublisher().publisher,
      enrichment: enrichment.queue,
    })(catalogBatch(3), context()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CatalogEnrichmentQueueError);
    expect(error instanceof CatalogEnrichmentQueueError && error.invalid).toEqual([]);
  });

  it('stops at a refusal, so a product never has a later update queued without an earlier one', async () => {
    const bus = recordingPublisher();
    const enrichment = recordingCatalogEnrichmentQueue((_messages, call) =>
      call === 3 ? new Map([[1, 'ThrottlingException']]) : undefined,
    );
    const batch = revisitingBatch(12, 3);
    const error = await makeCatalogProcessor({
      firstSeen,
      events: bus.publisher,
      enrichment: enrichment.queue,
      concurrency: 1,
    })(batch, context()).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(CatalogEnrichmentQueueError);
    if (!(error instanceof CatalogEnrichmentQueueError)) return;
    expect(enrichment.requests).toHaveLength(3);
    expect(error.failed[0]).toMatchObject({ errorCode: 'ThrottlingException' });
    expect(error.failed.length + enrichment.queued.length).toBe(batch.items.length);
    expect(error.message).toMatch(/of 36 items of batch batch-revisits are not queued for enrichment/);
    // What each product got queued is the start of its updates, in order.
    const refusedProduct = error.failed[0]?.message.product_id ?? '';
    for (const [product, indexes] of byProduct(enrichment.queued)) {
      const all = batch.items.flatMap((item, index) => (item.product_id === product ? [index] : []));
      expect(indexes, product).toEqual(all.slice(0, indexes.length));
    }
    expect(
      enrichment.queued.some(
        (message) =>
          message.product_id === refusedProduct &&
          message.item_index > (error.failed[0]?.message.item_index ?? 0),
      ),
    ).toBe(false);
  });

  it('fails the delivery when a request fails as a whole, and starts no further bus batch', async () => {
    const bus = recordingPublisher();
    const enrichment = recordingCatalogEnrichmentQueue(() => new TypeError('socket hang up'));
    const failure = makeCatalogProcessor({
      firstSeen,
      events: bus.publisher,
      enrichment: enrichment.queue,
      concurrency: 1,
    })(catalogBatch(50), context());
    await expect(failure).rejects.toBeInstanceOf(CatalogEnrichmentQueueError);
    await expect(failure).rejects.toMatchObject({
      failed: expect.arrayContaining([expect.objectContaining({ errorCode: 'TypeError' })]),
    });
    expect(bus.calls.length).toBeLessThan(5);
  });

  it('sends every request under the delivery’s abort signal, and stops with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('processing timed out');
    const enrichment = recordingCatalogEnrichmentQueue((_messages, call) => {
      if (call === 2) controller.abort(reason);
      return undefined;
    });
    const delivery = webhookContext({ signal: controller.signal });
    const process = makeCatalogProcessor({
      firstSeen,
      events: recordingPublisher().publisher,
      enrichment: enrichment.queue,
      concurrency: 1,
    });
    await expect(process(catalogBatch(50), delivery)).rejects.toBe(reason);
    expect(enrichment.requests).toHaveLength(2);
    expect(enrichment.signals).toEqual([controller.signal, controller.signal]);
  });
});
