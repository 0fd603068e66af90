// The contract rules on the local bus, driven through the REAL EventBridgeClient: each event goes
// to the targets the deployed rules would send it to (inputs transformed exactly), failing targets
// are retried then dead-lettered, outcomes are listed, TestEventPattern answers as EventBridge,
// and chains of events that consumers put stop.
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { type BusEventName, busEvents, eventRule, eventRules } from '@mangaassist/contracts';
import { nextChainDepth, withChainMetadata } from '@mangaassist/events';
import { type LocalEventBridge, startLocalEventBridge } from '@mangaassist/local';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const aiBus = 'MangaAssist-AI-Events';
const chainBus = 'chain-test';

interface Delivery {
  readonly target: string;
  readonly input: unknown;
  readonly attempt: number;
}

type TargetBehaviour = (input: unknown, context: { readonly eventId: string }) => Promise<void>;

let eventBridge: LocalEventBridge;
let client: EventBridgeClient;
const deliveries: Delivery[] = [];
/** Per-test behaviour of a target, by handler name or API destination id; none means success. */
const behaviours = new Map<string, TargetBehaviour>();

beforeAll(async () => {
  // Retry waits of a few milliseconds: the schedule of retries is the unit tests' business.
  eventBridge = await startLocalEventBridge({
    busOptions: { retryTiming: { baseDelayMs: 1, maxDelayMs: 4 } },
  });
  client = new EventBridgeClient({
    endpoint: eventBridge.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const names = eventRules.flatMap((rule) => rule.targets.map((target) => target.handler ?? target.id));
  const recording =
    (name: string) => async (input: unknown, context: { eventId: string; attempt: number }) => {
      deliveries.push({ target: name, input, attempt: context.attempt });
      await behaviours.get(name)?.(input, context);
    };
  eventBridge.bus.addRules(eventRules, Object.fromEntries(names.map((name) => [name, recording(name)])), {
    eventBusName: aiBus,
  });
  eventBridge.bus.addRules(
    [
      {
        name: 'echo',
        description: 'A consumer that re-emits what it consumes.',
        eventPattern: { source: ['test.echo'] },
        targets: [
          {
            id: 'echo',
            kind: 'lambda',
            handler: 'fm-trigger',
            retry: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 0 },
          },
        ],
      },
    ],
    { 'fm-trigger': recording('echo') },
    { eventBusName: chainBus },
  );
});

afterEach(() => {
  deliveries.length = 0;
  behaviours.clear();
  eventBridge.bus.clear();
  eventBridge.bus.clearDeadLetters();
});

afterAll(async () => {
  client.destroy();
  await eventBridge.close();
});

// ---------------------------------------------------------------------------------------------
// Entries, each detail checked against its contract.

function entry(
  name: BusEventName,
  detail: Record<string, unknown>,
  overrides: Partial<PutEventsRequestEntry> = {},
): PutEventsRequestEntry {
  const definition = busEvents[name];
  definition.schema.parse(detail);
  return {
    EventBusName: aiBus,
    Source: definition.source,
    DetailType: definition.detailTypes[0] ?? definition.detailType,
    Detail: JSON.stringify(detail),
    ...overrides,
  };
}

const chained = { chain_depth: 1, source_event_id: 'event-0', processing_stage: 'processed' };

function moderationFlagged(severity: 'low' | 'medium' | 'high' | 'critical'): PutEventsRequestEntry {
  return entry('ModerationFlagged', {
    review_id: 'review-1',
    product_id: 'manga-1',
    content_hash: 'c'.repeat(64),
    content_preview: 'この漫画は…',
    severity,
    flagged_categories: ['harassment'],
    reason: 'abusive language',
    model_id: 'model-1',
    ...chained,
  });
}

function inferenceCompleted(): PutEventsRequestEntry {
  return entry('InferenceCompleted', {
    request_id: 'req-1',
    tenant_id: 'tenant-a',
    model: 'claude-haiku-4-5',
    model_id: 'model-1',
    region: 'ap-northeast-1',
    status: 'success',
    cached: false,
    metrics: {
      input_tokens: 12,
      output_tokens: 34,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0,
      latency_ms: 420,
      estimated_cost_usd: '0.000046',
    },
    response_summary: 'ok',
    processing_stage: 'completed',
  });
}

function catalogUpdate(title: string, stage = 'raw'): PutEventsRequestEntry {
  const detail = {
    batch_id: 'batch-1',
    product_id: 'manga-107',
    title,
    update_type: 'new_release',
    data: { author: '尾田栄一郎' },
    processing_stage: 'raw',
  };
  return entry('CatalogUpdate.*', detail, {
    DetailType: 'CatalogUpdate.new_release',
    Detail: JSON.stringify({ ...detail, ...(stage === 'raw' ? {} : chained) }),
  });
}

function paymentCompleted(stage = 'raw'): PutEventsRequestEntry {
  const detail = {
    order_id: 'order-1',
    stripe_event_id: 'evt_1',
    checkout_session_id: 'cs_1',
    amount: 1980,
    currency: 'jpy',
    processing_stage: 'raw',
  };
  return entry('PaymentCompleted', detail, {
    Detail: JSON.stringify({ ...detail, ...(stage === 'raw' ? {} : chained) }),
  });
}

function reviewSubmitted(stage = 'raw'): PutEventsRequestEntry {
  const detail = {
    review_id: 'review-1',
    product_id: 'manga-1',
    review_text: '最高の漫画！',
    sentiment: 'positive',
    processing_stage: 'raw',
  };
  return entry('ReviewSubmitted', detail, {
    Detail: JSON.stringify({ ...detail, ...(stage === 'raw' ? {} : chained) }),
  });
}

/** Puts the entries through the real client and waits until every target is done. */
async function put(...entries: PutEventsRequestEntry[]): Promise<string[]> {
  const output = await client.send(new PutEventsCommand({ Entries: entries }));
  expect(output.FailedEntryCount).toBe(0);
  await eventBridge.bus.idle();
  return (output.Entries ?? []).map((result) => result.EventId ?? '');
}

const targetsCalled = () => deliveries.map((delivery) => delivery.target).sort();

function rulesOf(eventId: string) {
  return eventBridge.bus.list().events.find((event) => event.id === eventId)?.rules;
}

// ---------------------------------------------------------------------------------------------

describe('the contract rules on the local bus', () => {
  it('route a high ModerationFlagged to the moderation handler only', async () => {
    const [id = ''] = await put(moderationFlagged('high'));

    expect(targetsCalled()).toEqual(['moderation-handler']);
    expect(rulesOf(id)).toEqual([
      { name: 'moderation-high-severity', targets: [{ name: 'moderation-handler', status: 'ok' }] },
    ]);
  });

  it('route a low or medium ModerationFlagged nowhere', async () => {
    const ids = await put(moderationFlagged('low'), moderationFlagged('medium'));

    expect(deliveries).toEqual([]);
    for (const id of ids) expect(rulesOf(id)).toEqual([]);
  });

  it('route a critical ModerationFlagged to the moderation handler and the notification API destination', async () => {
    const [id = ''] = await put(moderationFlagged('critical'));

    expect(targetsCalled()).toEqual(['moderation-alert-webhook', 'moderation-handler']);
    expect(deliveries.find((delivery) => delivery.target === 'moderation-alert-webhook')?.input).toEqual({
      text: 'MangaAssist: a review was flagged as critical and needs attention.',
      event_id: id,
      review_id: 'review-1',
      product_id: 'manga-1',
      severity: 'critical',
      categories: ['harassment'],
      reason: 'abusive language',
    });
    expect(rulesOf(id)?.map((rule) => rule.name)).toEqual([
      'moderation-high-severity',
      'moderation-critical-notification',
    ]);
  });

  it('fan an InferenceCompleted out to the post-processor and analytics, each with the whole event', async () => {
    const [id = ''] = await put(inferenceCompleted());

    expect(targetsCalled()).toEqual(['analytics', 'inference-post-processor']);
    for (const delivery of deliveries) {
      expect(delivery.input).toMatchObject({
        id,
        source: 'mangaassist.ai',
        'detail-type': 'InferenceCompleted',
      });
    }
    expect(rulesOf(id)).toEqual([
      {
        name: 'inference-completed-fan-out',
        targets: [
          { name: 'inference-post-processor', status: 'ok' },
          { name: 'analytics', status: 'ok' },
        ],
      },
    ]);
  });

  it('send a raw catalog update to embedding regeneration only, as exactly {action, product_id, title}', async () => {
    const title = 'ワンピース 第107巻 "特装版" \\ 限定';
    const [id = ''] = await put(catalogUpdate(title));

    const input = (target: string) => deliveries.find((delivery) => delivery.target === target)?.input;
    expect(input('embedding-regeneration')).toStrictEqual({
      action: 'regenerate',
      product_id: 'manga-107',
      title,
    });
    // Its enrichment takes the catalog enrichment queue, not the bus.
    expect(input('fm-trigger')).toBeUndefined();
    expect(targetsCalled()).toEqual(['embedding-regeneration']);
    expect(id).not.toBe('');
  });

  it('send raw payments and reviews to the FM trigger', async () => {
    await put(paymentCompleted(), reviewSubmitted());

    expect(targetsCalled()).toEqual(['fm-trigger', 'fm-trigger']);
  });

  it('route processed events — what consumers emit — to nothing that starts model work', async () => {
    const ids = await put(
      paymentCompleted('processed'),
      reviewSubmitted('processed'),
      catalogUpdate('x', 'processed'),
    );

    expect(deliveries).toEqual([]);
    for (const id of ids) expect(rulesOf(id)).toEqual([]);
  });

  it('run the 6-hour recommendation schedule with EventBridge’s scheduled event', async () => {
    const scheduled = eventBridge.bus.runSchedule('recommendation-schedule');
    await eventBridge.bus.idle();

    expect(deliveries).toEqual([{ target: 'recommendation-regeneration', input: scheduled, attempt: 1 }]);
    expect(scheduled).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
  });
});

describe('failing targets on the local bus', () => {
  it('retry a failing target by its retry policy, then put the event in its dead-letter queue', async () => {
    behaviours.set('moderation-handler', async () => {
      throw new Error('reviews table unavailable');
    });
    const [id = ''] = await put(moderationFlagged('high'));

    const { maximumRetryAttempts } = eventRule('moderation-high-severity').targets[0]?.retry ?? {
      maximumRetryAttempts: -1,
    };
    expect(deliveries.map((delivery) => delivery.attempt)).toEqual(
      Array.from({ length: maximumRetryAttempts + 1 }, (_, index) => index + 1),
    );
    expect(rulesOf(id)).toEqual([
      {
        name: 'moderation-high-severity',
        targets: [{ name: 'moderation-handler', status: 'dlq', error: 'reviews table unavailable' }],
      },
    ]);
    expect(eventBridge.bus.deadLetters()).toEqual({
      messages: [
        {
          rule: 'moderation-high-severity',
          target: 'moderation-handler',
          event: expect.objectContaining({ id, 'detail-type': 'ModerationFlagged' }),
          error: 'reviews table unavailable',
          attempts: maximumRetryAttempts + 1,
        },
      ],
      dropped: 0,
    });
  });

  it('keep delivering to the other targets of an event when one fails', async () => {
    behaviours.set('analytics', async () => {
      throw new Error('analytics down');
    });
    const [id = ''] = await put(inferenceCompleted());

    expect(rulesOf(id)?.[0]?.targets).toEqual([
      { name: 'inference-post-processor', status: 'ok' },
      { name: 'analytics', status: 'dlq', error: 'analytics down' },
    ]);
  });
});

describe('TestEventPattern on the local endpoint, with the real client', () => {
  const envelope = (detail: Record<string, unknown>) =>
    JSON.stringify({
      id: 'e-1',
      account: '123456789012',
      source: 'mangaassist.ai',
      time: '2026-01-31T09:00:00Z',
      region: 'ap-northeast-1',
      resources: [],
      'detail-type': 'ModerationFlagged',
      detail,
    });
  const pattern = JSON.stringify(eventRule('moderation-high-severity').eventPattern);

  it('answers whether a contract rule’s pattern matches an event', async () => {
    const high = await client.send(
      new TestEventPatternCommand({ EventPattern: pattern, Event: envelope({ severity: 'high' }) }),
    );
    const low = await client.send(
      new TestEventPatternCommand({ EventPattern: pattern, Event: envelope({ severity: 'low' }) }),
    );

    expect(high.Result).toBe(true);
    expect(low.Result).toBe(false);
  });

  it('refuses an invalid pattern with the SDK’s InvalidEventPatternException', async () => {
    const error = await client
      .send(
        new TestEventPatternCommand({
          EventPattern: '{"detail": {"severity": "high"}}',
          Event: envelope({}),
        }),
      )
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: 'InvalidEventPatternException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(/^Event pattern is not valid\. Reason: /),
    });
  });

  it('refuses an event without its envelope fields as EventBridge does', async () => {
    const error = await client
      .send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify({ detail: {} }) }))
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
      message: 'Parameter Event is not valid.',
    });
  });
});

describe('event chains on the local bus', () => {
  /** Re-emits what it consumes through the real client, with chain metadata. */
  function echo(options: { readonly guarded: boolean }): { readonly refused: string[] } {
    const refused: string[] = [];
    behaviours.set('echo', async (input, context) => {
      const detail = (input as { detail: Record<string, unknown> }).detail;
      const check = nextChainDepth(detail);
      if (options.guarded && !check.ok) {
        refused.push(check.reason);
        return;
      }
      // Unguarded, it also forges a fresh depth each time: only the link to its source counts.
      const depth = options.guarded ? check.depth : 1;
      const next = withChainMetadata(detail, { depth, sourceEventId: context.eventId });
      await client.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: chainBus, Source: 'test.echo', DetailType: 'Echo', Detail: JSON.stringify(next) },
          ],
        }),
      );
    });
    return { refused };
  }

  const chain = () =>
    eventBridge.bus
      .list({ eventBusName: chainBus })
      .events.map((event) => eventBridge.bus.get(event.id))
      .reverse();

  it('stop when the consumer’s chain-depth guard refuses, the bus recording each hop', async () => {
    const consumer = echo({ guarded: true });
    await put({
      EventBusName: chainBus,
      Source: 'test.echo',
      DetailType: 'Echo',
      Detail: '{"text":"start"}',
    });

    expect(consumer.refused).toEqual(['max-depth-reached']);
    const events = chain();
    expect(events.map((kept) => kept?.hop)).toEqual([0, 1, 2, 3]);
    expect(events.map((kept) => kept?.event.detail.chain_depth)).toEqual([undefined, 1, 2, 3]);
    expect(events.slice(1).map((kept) => kept?.event.detail.source_event_id)).toEqual(
      events.slice(0, 3).map((kept) => kept?.event.id),
    );
    for (const kept of events) {
      expect(rulesOf(kept?.event.id ?? '')).toEqual([
        { name: 'echo', targets: [{ name: 'echo', status: 'ok' }] },
      ]);
    }
  });

  it('stop at the bus’s hop limit when a consumer has no guard', async () => {
    echo({ guarded: false });
    await put({
      EventBusName: chainBus,
      Source: 'test.echo',
      DetailType: 'Echo',
      Detail: '{"text":"start"}',
    });

    const events = chain();
    expect(deliveries).toHaveLength(11);
    expect(events.map((kept) => kept?.hop)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(events.at(-1)).toMatchObject({ routed: false });
    expect(rulesOf(events.at(-1)?.event.id ?? '')).toEqual([]);
  });
});
