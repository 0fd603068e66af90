// A 1,000-product catalog re-enrichment through `pnpm dev`: signed catalog webhooks (creates, then
// updates, then discontinuations, interleaved across products, several deliveries at once) put
// every item on the catalog enrichment queue (FIFO, one group per product), whose consumer writes
// the products table. Read back through the local DynamoDB endpoint and `/_local`: every update
// enriched exactly once, each product's in catalog order, no discontinued product enriched after
// its discontinuation, nothing dead-lettered.
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTables, useDevServer } from './support.js';

const productCount = 1_000;
const itemsPerBatch = 100;
const deliveriesAtOnce = 4;

type UpdateType = 'new_release' | 'price_change' | 'restock' | 'discontinued' | 'metadata_change';

interface PlannedUpdate {
  readonly productId: string;
  readonly updateType: UpdateType;
  readonly title: string;
  /** `<batch_id>/<item index>@<first seen>`, once its batch is answered. */
  updateId?: string;
}

interface Product {
  readonly productId: string;
  /** Its updates in catalog order. */
  readonly updates: PlannedUpdate[];
}

const dev = useDevServer();

// --- the plan ----------------------------------------------------------------------------------

const productIdOf = (index: number) => `cat-e2e-${String(index).padStart(4, '0')}`;

/**
 * Every product: a new release, then a metadata change; every third and every fifth a restock
 * after it; every fifth discontinued last. Round 1 carries the creates (and, for every eleventh
 * product, its metadata change right behind, in the same delivery), round 2 the other metadata
 * changes, round 3 the restocks and discontinuations (a restock and its product's
 * discontinuation in one delivery, in that order).
 */
function plan(): { products: Product[]; rounds: PlannedUpdate[][][] } {
  const products: Product[] = [];
  const rounds: PlannedUpdate[][][] = [[], [], []];
  for (let index = 0; index < productCount; index++) {
    const productId = productIdOf(index);
    const update = (updateType: UpdateType, revision: string): PlannedUpdate => ({
      productId,
      updateType,
      title: `Enrichment ${productId} ${revision}`,
    });
    const created = update('new_release', 'r0');
    const changed = update('metadata_change', 'r1');
    const restocked = index % 3 === 0 || index % 5 === 0 ? update('restock', 'r2') : undefined;
    const discontinued = index % 5 === 0 ? update('discontinued', 'end') : undefined;
    const updates = [
      created,
      changed,
      ...(restocked ? [restocked] : []),
      ...(discontinued ? [discontinued] : []),
    ];
    products.push({ productId, updates });
    if (index % 11 === 0) rounds[0]?.push([created, changed]);
    else {
      rounds[0]?.push([created]);
      rounds[1]?.push([changed]);
    }
    const last = [...(restocked ? [restocked] : []), ...(discontinued ? [discontinued] : [])];
    if (last.length > 0) rounds[2]?.push(last);
  }
  return { products, rounds };
}

/** A deterministic shuffle, so the products of a delivery are interleaved, not in id order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let index = result.length - 1; index > 0; index--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const other = state % (index + 1);
    [result[index], result[other]] = [result[other] as T, result[index] as T];
  }
  return result;
}

/** A catalog batch to deliver, and the planned updates its items are, in item order. */
interface Delivery {
  readonly batch: { readonly batch_id: string; readonly items: unknown[] };
  readonly updates: readonly PlannedUpdate[];
}

/**
 * A round's deliveries: its products' runs of updates, shuffled, dealt into catalog batches of
 * about `itemsPerBatch` items; a product's run stays whole and in order in one batch.
 */
function deliveriesOf(round: PlannedUpdate[][], roundNumber: number): Delivery[] {
  const batches: Delivery[] = [];
  let items: PlannedUpdate[] = [];
  const close = () => {
    const batchId = `cat-e2e-round-${roundNumber}-batch-${batches.length}`;
    batches.push({
      updates: items,
      batch: {
        batch_id: batchId,
        items: items.map((update) => ({
          product_id: update.productId,
          title: update.title,
          update_type: update.updateType,
          data: { genre: 'shonen', author: '尾田栄一郎' },
        })),
      },
    });
    items = [];
  };
  for (const run of shuffled(round, roundNumber)) {
    items.push(...run);
    if (items.length >= itemsPerBatch) close();
  }
  if (items.length > 0) close();
  return batches;
}

// --- talking to pnpm dev -------------------------------------------------------------------------

/** Delivers the batch; resolves with when the webhook first saw it (the outcome's `first_seen_at`). */
async function sendCatalog(batch: { batch_id: string }): Promise<string> {
  const body = JSON.stringify(batch);
  const id = `msg_${batch.batch_id}`;
  const timestamp = new Date();
  const response = await fetch(`${dev().url}/webhooks/catalog`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(dev().secrets.catalog[0] ?? '').sign(id, timestamp, body),
    },
  });
  const text = await response.text();
  expect(response.status, `${batch.batch_id}: ${text}`).toBe(200);
  const firstSeenAt = (JSON.parse(text) as { detail?: { first_seen_at?: unknown } }).detail?.first_seen_at;
  expect(typeof firstSeenAt, `${batch.batch_id}: ${text}`).toBe('string');
  return String(firstSeenAt);
}

/**
 * Sends the batches, `deliveriesAtOnce` at a time; resolves when every one was answered. Each
 * update learns its id (`<batch_id>/<item index>@<first seen>`).
 */
async function sendAll(deliveries: readonly Delivery[]): Promise<void> {
  let next = 0;
  const sender = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++];
      if (delivery === undefined) continue;
      const firstSeenAt = await sendCatalog(delivery.batch);
      delivery.updates.forEach((update, index) => {
        update.updateId = `${delivery.batch.batch_id}/${index}@${firstSeenAt}`;
      });
    }
  };
  await Promise.all(Array.from({ length: deliveriesAtOnce }, sender));
}

interface QueueListing {
  readonly name: string;
  readonly waiting: number;
  readonly in_flight: number;
  readonly dead_letters: readonly { readonly group_id?: string; readonly error: string }[];
  readonly dropped: number;
}

async function enrichmentQueue(): Promise<QueueListing> {
  const { queues } = (await (await fetch(`${dev().url}/_local/queues`)).json()) as { queues: QueueListing[] };
  const queue = queues.find((candidate) => candidate.name.endsWith('-catalog-enrichment.fifo'));
  if (queue === undefined) throw new Error('GET /_local/queues lists no catalog enrichment queue');
  return queue;
}

interface ListedEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown>;
}

async function busEvents(): Promise<ListedEvent[]> {
  return ((await (await fetch(`${dev().url}/_local/events`)).json()) as { events: ListedEvent[] }).events;
}

/** Reads items by key in BatchGetItem's pages of 100, through the real DynamoDB client. */
async function readItems(
  documents: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, string>[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + 100);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      expect(attempt, `BatchGetItem on ${tableName} kept leaving keys unprocessed`).toBeLessThan(20);
      const output: BatchGetCommandOutput = await documents.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(output.Responses?.[tableName] ?? []));
      pending = output.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}

// --- the test ------------------------------------------------------------------------------------

describe('a 1,000-product catalog re-enrichment through the FIFO queue', () => {
  const { products, rounds } = plan();
  const updates = products.flatMap((product) => product.updates);
  let documents: DynamoDBDocumentClient;
  let tables: { products: string; consumedEvents: string };

  beforeAll(async () => {
    const local = await localTables(dev().url);
    tables = { products: local.table('products'), consumedEvents: local.table('consumed-events') };
    documents = local.documents;
  });

  afterAll(() => {
    documents?.destroy();
  });

  it('enriches every product once per update, in catalog order, and dead-letters nothing', async () => {
    // Each round is answered before the next starts: the catalog's order across deliveries.
    for (const [index, round] of rounds.entries()) await sendAll(deliveriesOf(round, index + 1));
    expect(updates.every((update) => update.updateId !== undefined)).toBe(true);

    await expect
      .poll(
        async () => {
          const queue = await enrichmentQueue();
          return queue.waiting + queue.in_flight;
        },
        { timeout: 180_000, interval: 250, message: 'the catalog enrichment queue never drained' },
      )
      .toBe(0);
    const queue = await enrichmentQueue();
    expect(queue.dead_letters, 'dead-lettered catalog updates').toEqual([]);
    expect(queue.dropped).toBe(0);
    // Nor did the bus give up on any catalog event (its embedding regeneration target).
    const busDeadLetters = (await (await fetch(`${dev().url}/_local/dlq`)).json()) as {
      messages: unknown[];
      dropped: number;
    };
    expect(busDeadLetters).toEqual({ messages: [], dropped: 0 });

    // Every update was handled exactly once, and processed: none skipped as stale (an update
    // handled after a later one of its product), none refused.
    const outcomes = await readItems(
      documents,
      tables.consumedEvents,
      updates.map((update) => ({ idempotency_key: `catalog-enrichment:${update.updateId}` })),
    );
    expect(outcomes).toHaveLength(updates.length);
    const notProcessed = outcomes.filter(
      (outcome) =>
        outcome.status !== 'COMPLETED' ||
        (outcome.summary as { status?: string } | undefined)?.status !== 'processed',
    );
    expect(notProcessed.slice(0, 5), `${notProcessed.length} updates not processed`).toEqual([]);

    // Each product ends as its last update left it: the content of its last enriching update,
    // and — when discontinued — the discontinuation, which no enrichment came after.
    const stored = new Map(
      (
        await readItems(
          documents,
          tables.products,
          products.map((product) => ({ product_id: product.productId })),
        )
      ).map((item) => [String(item.product_id), item]),
    );
    const wrong: string[] = [];
    for (const product of products) {
      const item = stored.get(product.productId);
      const enriching = product.updates.filter((update) => update.updateType !== 'discontinued');
      const lastEnriching = enriching.at(-1);
      const discontinuation = product.updates.find((update) => update.updateType === 'discontinued');
      const problems = [
        item === undefined && 'missing',
        item?.ai_source_event_id !== lastEnriching?.updateId &&
          `content from ${String(item?.ai_source_event_id)}, not ${lastEnriching?.updateId}`,
        !String(item?.ai_description).includes(lastEnriching?.title ?? '-') &&
          'description of another update',
        Array.isArray(item?.ai_tags) && item.ai_tags.length === 5 ? false : 'not five tags',
        discontinuation !== undefined &&
          item?.discontinued_source_event_id !== discontinuation.updateId &&
          'its discontinuation was lifted or never recorded',
        discontinuation !== undefined &&
          !(String(item?.ai_updated_at) <= String(item?.discontinued_at)) &&
          'enriched after its discontinuation',
        discontinuation === undefined && item?.discontinued_at !== undefined && 'discontinued by mistake',
      ].filter((problem): problem is string => typeof problem === 'string');
      if (problems.length > 0) wrong.push(`${product.productId}: ${problems.join('; ')}`);
    }
    expect(wrong.slice(0, 10), `${wrong.length} products end in the wrong state`).toEqual([]);

    // The model was asked exactly once per enriching update, and never for a discontinuation.
    const enrichingIds = new Set(
      updates
        .filter((update) => update.updateType !== 'discontinued')
        .map((update) => `${update.updateId}:description`),
    );
    const descriptionCalls = (events: readonly ListedEvent[]) =>
      events.filter(
        (event) =>
          event['detail-type'] === 'InferenceCompleted' &&
          String(event.detail.request_id).startsWith('cat-e2e-round-'),
      );
    // The gateway's events reach the bus shortly after each answer.
    await expect
      .poll(async () => descriptionCalls(await busEvents()).length, {
        timeout: 30_000,
        interval: 250,
        message: 'InferenceCompleted events of the descriptions',
      })
      .toBeGreaterThanOrEqual(enrichingIds.size);
    const calls = descriptionCalls(await busEvents()).map((event) => String(event.detail.request_id));
    const perUpdate = new Map<string, number>();
    for (const requestId of calls) perUpdate.set(requestId, (perUpdate.get(requestId) ?? 0) + 1);
    expect([...perUpdate.keys()].filter((requestId) => !enrichingIds.has(requestId))).toEqual([]);
    expect([...perUpdate.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect(perUpdate.size).toBe(enrichingIds.size);
  }, 300_000);
});
