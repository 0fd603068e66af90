// The event-driven half of `pnpm dev`: signed webhooks put events on the local bus, the rules
// defined once in contracts route them to the same consumers the stacks deploy, and every event,
// rule and target outcome is visible under /_local/events.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useDevServer } from './support.js';

interface ListedEvent {
  id: string;
  time: string;
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
  rules: {
    name: string;
    targets: { name: string; status: string; error?: string; result?: Record<string, unknown> }[];
  }[];
}

const dev = useDevServer();

async function events(): Promise<ListedEvent[]> {
  return ((await (await fetch(`${dev().url}/_local/events`)).json()) as { events: ListedEvent[] }).events;
}

/** Waits until the bus holds an event that satisfies `found` (targets run after PutEvents answers). */
async function eventually<T>(found: (all: ListedEvent[]) => T | undefined): Promise<T> {
  let result: T | undefined;
  await expect
    .poll(
      async () => {
        result = found(await events());
        return result !== undefined;
      },
      { timeout: 10_000, interval: 50 },
    )
    .toBe(true);
  if (result === undefined) throw new Error('unreachable');
  return result;
}

/**
 * Waits until the item under `key` in the local table whose name ends with `table` satisfies
 * `found`, reading it through the real DynamoDB client on the endpoint `/_local/endpoints` lists.
 */
async function eventuallyItem<T>(
  table: string,
  key: Record<string, string>,
  found: (item: Record<string, unknown>) => T | undefined,
): Promise<T> {
  const endpoints = (await (await fetch(`${dev().url}/_local/endpoints`)).json()) as {
    dynamodb: {
      url: string;
      tables: string[];
      credentials: { accessKeyId: string; secretAccessKey: string };
    };
  };
  const tableName = endpoints.dynamodb.tables.find((name) => name.endsWith(`-${table}`));
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'ap-northeast-1',
      endpoint: endpoints.dynamodb.url,
      credentials: endpoints.dynamodb.credentials,
    }),
  );
  let result: T | undefined;
  try {
    await expect
      .poll(
        async () => {
          const { Item: item } = await documents.send(new GetCommand({ TableName: tableName, Key: key }));
          result = item === undefined ? undefined : found(item);
          return result !== undefined;
        },
        { timeout: 10_000, interval: 50, message: `${table} ${JSON.stringify(key)} never got there` },
      )
      .toBe(true);
  } finally {
    documents.destroy();
  }
  if (result === undefined) throw new Error('unreachable');
  return result;
}

/** The rule matched the event and every one of its targets (all `count` of them) answered ok. */
const settled = (event: ListedEvent, rule: string, count = 1) => {
  const targets = event.rules.find((matched) => matched.name === rule)?.targets ?? [];
  return targets.length === count && targets.every((target) => target.status === 'ok');
};

async function sendReview(reviewId: string, text: string) {
  const body = JSON.stringify({ review_id: reviewId, product_id: 'manga-001', rating: 1, review_text: text });
  return sendStandardWebhook('reviews', `msg_${reviewId}`, body);
}

async function sendStandardWebhook(source: 'reviews' | 'catalog', id: string, body: string) {
  const timestamp = new Date();
  const signature = new Webhook(dev().secrets[source][0] ?? '').sign(id, timestamp, body);
  return fetch(`${dev().url}/webhooks/${source}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    },
  });
}

describe('events through pnpm dev', () => {
  it('routes an abusive review to a moderation verdict, a ModerationFlagged event and the moderation handler', async () => {
    expect((await sendReview('rev-abusive-1', 'このバカ、死ね。作者を殺すぞ')).status).toBe(200);

    const submitted = await eventually((all) =>
      all.find(
        (event) =>
          event['detail-type'] === 'ReviewSubmitted' &&
          event.detail.review_id === 'rev-abusive-1' &&
          settled(event, 'payments-and-reviews'),
      ),
    );
    expect(submitted.rules.map((rule) => rule.name)).toEqual(['payments-and-reviews']);

    const flagged = await eventually((all) =>
      all.find(
        (event) =>
          event['detail-type'] === 'ModerationFlagged' &&
          event.detail.review_id === 'rev-abusive-1' &&
          settled(event, 'moderation-high-severity'),
      ),
    );
    expect(flagged.source).toBe('mangaassist.ai');
    expect(['high', 'critical']).toContain(flagged.detail.severity);
    expect(flagged.detail).toMatchObject({ processing_stage: 'processed', chain_depth: 1 });
    expect(flagged.rules.map((rule) => rule.name)).toContain('moderation-high-severity');
  });

  it('publishes no ModerationFlagged for a kind review', async () => {
    expect((await sendReview('rev-kind-1', '最高に面白い漫画でした！')).status).toBe(200);
    await eventually((all) =>
      all.find(
        (event) =>
          event['detail-type'] === 'ReviewSubmitted' &&
          event.detail.review_id === 'rev-kind-1' &&
          settled(event, 'payments-and-reviews'),
      ),
    );
    expect(
      (await events()).some(
        (event) => event.detail.review_id === 'rev-kind-1' && event['detail-type'] === 'ModerationFlagged',
      ),
    ).toBe(false);
  });

  it('sends one order confirmation however often the payment arrives', async () => {
    const body = JSON.stringify({
      id: 'evt_EventsE2e1',
      type: 'checkout.session.completed',
      data: {
        object: {
          id: 'cs_e2e_1',
          amount_total: 1980,
          currency: 'jpy',
          payment_status: 'paid',
          client_reference_id: 'order-e2e-1',
          customer_details: { email: 'reader@example.com' },
        },
      },
    });
    for (let delivery = 0; delivery < 3; delivery++) {
      const response = await fetch(`${dev().url}/webhooks/stripe`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({
            payload: body,
            secret: dev().secrets.stripe[0] ?? '',
          }),
        },
      });
      expect(response.status).toBe(200);
    }
    await eventually((all) =>
      all.find(
        (event) => event['detail-type'] === 'PaymentCompleted' && settled(event, 'payments-and-reviews'),
      ),
    );
    const outbox = (await (await fetch(`${dev().url}/_local/outbox`)).json()) as {
      emails: { to: string }[];
    };
    expect(outbox.emails.filter((email) => email.to === 'reader@example.com')).toHaveLength(1);
  });

  it('fans every InferenceCompleted out to the post-processor and analytics', async () => {
    const inference = await eventually((all) =>
      all.find(
        (event) =>
          event['detail-type'] === 'InferenceCompleted' && settled(event, 'inference-completed-fan-out', 2),
      ),
    );
    expect(inference.rules[0]?.targets.map((target) => target.name).sort()).toEqual([
      'analytics',
      'inference-post-processor',
    ]);
  });

  it('writes a description and five tags for a new catalog item, from the catalog enrichment queue', async () => {
    const body = JSON.stringify({
      batch_id: 'batch-e2e-enrichment',
      publisher: 'Shueisha',
      items: [
        {
          product_id: 'manga-e2e-enrichment',
          title: 'チェンソーマン 20巻',
          update_type: 'new_release',
          data: { author: '藤本タツキ', genre: 'shonen', volume: 20, synopsis: 'Denji fights on.' },
        },
      ],
    });
    const sent = Date.now();
    expect((await sendStandardWebhook('catalog', 'msg_catalog_e2e_1', body)).status).toBe(200);

    // The bus still carries the update, to the embedding regeneration only.
    const update = await eventually((all) =>
      all.find(
        (event) =>
          event.source === 'mangaassist.catalog' &&
          event.detail.product_id === 'manga-e2e-enrichment' &&
          settled(event, 'catalog-updates'),
      ),
    );
    expect(update.rules[0]?.targets.map((target) => target.name)).toEqual(['embedding-regeneration']);

    const product = await eventuallyItem('products', { product_id: 'manga-e2e-enrichment' }, (item) =>
      typeof item.ai_description === 'string' ? item : undefined,
    );
    expect(product.ai_description).toContain('チェンソーマン 20巻');
    expect(product.ai_tags).toHaveLength(5);
    // The update is item 0 of the batch as first seen, and dated then: while the webhook was answered.
    expect(product.ai_source_event_id).toBe(`batch-e2e-enrichment/0@${product.ai_updated_at}`);
    expect(Date.parse(String(product.ai_updated_at))).toBeGreaterThanOrEqual(sent - 1000);
    expect(Date.parse(String(product.ai_updated_at))).toBeLessThanOrEqual(Date.now());
  });

  it('records a permanent enrichment failure as the update’s outcome, and dead-letters nothing', async () => {
    await dev().control('POST', '/_local/bedrock/scripts', {
      match: 'Title: 失敗する巻',
      text: 'A description with no tags line at all.',
    });
    const body = JSON.stringify({
      batch_id: 'batch-e2e-unparseable',
      publisher: 'Shueisha',
      items: [
        { product_id: 'manga-e2e-unparseable', title: '失敗する巻', update_type: 'new_release', data: {} },
      ],
    });
    expect((await sendStandardWebhook('catalog', 'msg_catalog_e2e_2', body)).status).toBe(200);

    const firstSeenAt = await eventuallyItem(
      'webhook-idempotency',
      { idempotency_key: 'catalog-first-seen:batch-e2e-unparseable' },
      ({ status, summary }) =>
        status === 'COMPLETED' &&
        typeof summary === 'object' &&
        summary !== null &&
        'first_seen_at' in summary
          ? String(summary.first_seen_at)
          : undefined,
    );
    const outcome = await eventuallyItem(
      'consumed-events',
      { idempotency_key: `catalog-enrichment:batch-e2e-unparseable/0@${firstSeenAt}` },
      (item) => (item.status === 'COMPLETED' ? item : undefined),
    );
    expect(outcome.summary).toMatchObject({ status: 'rejected', reason: 'unparseable-description' });
    const { queues } = (await (await fetch(`${dev().url}/_local/queues`)).json()) as {
      queues: { name: string; dead_letters: unknown[] }[];
    };
    expect(queues.find((queue) => queue.name.endsWith('catalog-enrichment.fifo'))?.dead_letters).toEqual([]);
  });
});
