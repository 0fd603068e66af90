import { type DomainEvent, EventPublishError, type EventPublisher } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import { describe, expect, it } from 'vitest';
import { catalogBatch, webhookContext } from '../testing/processor-fixtures.js';
import { makeCatalogProcessor, notAttemptedErrorCode } from './catalog-processor.js';

const context = () => webhookContext({ source: 'catalog', eventId: 'batch-2026-01' });
const productIds = (events: readonly DomainEvent[]) => events.map((event) => event.detail.product_id);

describe('the catalog processor', () => {
  it('publishes one event per item for a 1 000-item catalog, nothing lost, in batches of at most 10', async () => {
    const bus = recordingPublisher();
    const batch = catalogBatch(1000);
    const outcome = await makeCatalogProcessor({ events: bus.publisher })(batch, context());

    expect(outcome).toMatchObject({
      status: 'processed',
      events: 1000,
      detail: { batch_id: 'batch-2026-01', items: 1000 },
    });
    expect(bus.published).toHaveLength(1000);
    expect(new Set(productIds(bus.published))).toEqual(new Set(batch.items.map((item) => item.product_id)));
    expect(bus.calls).toHaveLength(100);
    for (const call of bus.calls) expect(call.length).toBeLessThanOrEqual(10);
  });

  it('names each event after its update type and carries the batch, the item and the raw stage', async () => {
    const bus = recordingPublisher();
    await makeCatalogProcessor({ events: bus.publisher })(catalogBatch(2), context());

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
    const outcome = await makeCatalogProcessor({ events: publisher })(catalogBatch(7), context());
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
    await makeCatalogProcessor({ events: bus.publisher, concurrency: 1 })(catalogBatch(23), context());
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
    const process = makeCatalogProcessor({ events: bus.publisher, concurrency: 1 });
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
    const failure = makeCatalogProcessor({ events: publisher, concurrency: 1 })(catalogBatch(12), context());
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
    const process = makeCatalogProcessor({ events: bus.publisher, concurrency: 1 });
    await expect(process(catalogBatch(50), webhookContext({ signal: controller.signal }))).rejects.toBe(
      reason,
    );
    expect(bus.calls).toHaveLength(2);
  });

  it('publishes every batch under the delivery’s abort signal', async () => {
    const bus = recordingPublisher();
    const delivery = context();
    await makeCatalogProcessor({ events: bus.publisher })(catalogBatch(25), delivery);
    expect(bus.signals).toEqual([delivery.signal, delivery.signal, delivery.signal]);
  });

  it('rejects with the abort reason, not as a bus failure, when the delivery is aborted during a publish', async () => {
    const controller = new AbortController();
    const reason = new Error('processing timed out');
    const bus = recordingPublisher((_events, call) => {
      if (call === 2) controller.abort(reason);
      return undefined;
    });
    const process = makeCatalogProcessor({ events: bus.publisher, concurrency: 1 });
    await expect(process(catalogBatch(50), webhookContext({ signal: controller.signal }))).rejects.toBe(
      reason,
    );
    expect(bus.calls).toHaveLength(2);
  });

  it('refuses batch sizes and concurrency that are not positive integers', () => {
    const { publisher } = recordingPublisher();
    expect(() => makeCatalogProcessor({ events: publisher, batchSize: 0 })).toThrow(RangeError);
    expect(() => makeCatalogProcessor({ events: publisher, concurrency: 1.5 })).toThrow(RangeError);
  });
});
