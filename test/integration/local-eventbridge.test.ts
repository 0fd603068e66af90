// The catalog webhook processor publishing through the REAL EventBridgeEventPublisher and
// EventBridgeClient to the local EventBridge endpoint: batching, partial failures retried entry by
// entry, and nothing lost or doubled on the way to the bus.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Logger } from '@mangaassist/commons';
import { EventPublishError } from '@mangaassist/events';
import { EventBridgeEventPublisher } from '@mangaassist/events/eventbridge';
import { type LocalEventBridge, startLocalEventBridge } from '@mangaassist/local';
import { type CatalogBatch, makeCatalogProcessor } from '@mangaassist/webhooks';
import { recordingCatalogEnrichmentQueue } from '@mangaassist/webhooks/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const busName = 'MangaAssist-AI-Events';
let eventBridge: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  eventBridge = await startLocalEventBridge({
    busOptions: { capacity: 10_000 },
    random: seededRandom(20260101),
  });
  // As the platform builds it: the publisher retries failed entries, the SDK does not retry on top.
  client = new EventBridgeClient({
    endpoint: eventBridge.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(() => {
  eventBridge.faults.clear();
  eventBridge.bus.clear();
});

afterAll(async () => {
  client.destroy();
  await eventBridge.close();
});

/** Deterministic uniform numbers in [0, 1) (mulberry32), so injected failure rates repeat exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function catalog(count: number): CatalogBatch {
  const types = ['new_release', 'price_change', 'restock', 'discontinued', 'metadata_change'] as const;
  return {
    batch_id: 'batch-it-1',
    items: Array.from({ length: count }, (_, index) => ({
      product_id: `manga-${index}`,
      title: `呪術廻戦 ${index + 1}巻`,
      update_type: types[index % types.length] ?? 'restock',
      data: { volume: index + 1, synopsis: 'あらすじ'.repeat(50) },
    })),
  };
}

function retryCounter() {
  let retried = 0;
  const logger: Logger = {
    debug() {},
    info() {},
    error() {},
    warn: (_message, fields = {}) => {
      retried += typeof fields.retrying === 'number' ? fields.retrying : 0;
    },
  };
  return { logger, retried: () => retried };
}

const delivery = () => ({
  source: 'catalog' as const,
  eventId: 'batch-it-1',
  requestId: 'req-it',
  signal: new AbortController().signal,
});

/** How often each item's dedupe key (`batch_id` + `product_id` + `update_type`) is on the bus. */
function keysOnBus(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { detail, 'detail-type': detailType } of eventBridge.bus.list({ source: 'mangaassist.catalog' })
    .events) {
    const key = `${String(detail.batch_id)}/${String(detail.product_id)}/${detailType}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('catalog events through the real EventBridge client to the local bus', () => {
  it('puts all 1 000 items on the bus exactly once although a fifth of the entries fail at first', async () => {
    eventBridge.faults.add({ errorCode: 'ThrottlingException', rate: 0.2 });
    const retries = retryCounter();
    const publisher = new EventBridgeEventPublisher(client, {
      eventBusName: busName,
      maxAttempts: 10,
      baseDelayMs: 1,
      logger: retries.logger,
    });

    const outcome = await makeCatalogProcessor({
      events: publisher,
      enrichment: recordingCatalogEnrichmentQueue().queue,
      firstSeen: { firstSeen: async () => '2026-01-31T09:00:00.000Z' },
    })(catalog(1000), delivery());

    expect(outcome).toMatchObject({ status: 'processed', events: 1000 });
    expect(retries.retried()).toBeGreaterThan(100);
    const keys = keysOnBus();
    expect(keys.size).toBe(1000);
    expect([...keys.values()].every((count) => count === 1)).toBe(true);
    expect(eventBridge.bus.accepted).toBe(1000);
    expect(eventBridge.bus.get(eventBridge.bus.list({ limit: 1 }).events[0]?.id ?? '')?.eventBusName).toBe(
      busName,
    );
  });

  it('fails the delivery on a refused entry, and the sender’s retry completes the catalog at least once', async () => {
    const publisher = new EventBridgeEventPublisher(client, { eventBusName: busName, baseDelayMs: 1 });
    const process = makeCatalogProcessor({
      events: publisher,
      enrichment: recordingCatalogEnrichmentQueue().queue,
      firstSeen: { firstSeen: async () => '2026-01-31T09:00:00.000Z' },
    });
    // Halfway through, the bus refuses one entry for good (no retry can fix AccessDenied).
    let seen = 0;
    const unsubscribe = eventBridge.bus.subscribe(() => {
      seen += 1;
      if (seen === 400) eventBridge.faults.failNext({ count: 1, errorCode: 'AccessDeniedException' });
    });

    const first = await process(catalog(1000), delivery()).catch((error: unknown) => error);
    unsubscribe();
    expect(first).toBeInstanceOf(EventPublishError);
    const onBusAfterFailure = eventBridge.bus.accepted;
    expect(onBusAfterFailure).toBeGreaterThanOrEqual(400);
    expect(onBusAfterFailure).toBeLessThan(1000);

    await expect(process(catalog(1000), delivery())).resolves.toMatchObject({ events: 1000 });
    const keys = keysOnBus();
    expect(keys.size).toBe(1000);
    expect(eventBridge.bus.accepted).toBe(onBusAfterFailure + 1000);
  });
});
