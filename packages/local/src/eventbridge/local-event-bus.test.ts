import { createFakeClock, recordingLogger } from '@mangaassist/commons/testing';
import { type EventRule, eventRule, eventRules } from '@mangaassist/contracts';
import { withChainMetadata } from '@mangaassist/events';
import { describe, expect, it } from 'vitest';
import {
  eventTime,
  LocalEventBus,
  LocalEventBusClosedError,
  type LocalEventBusOptions,
  type PutOnBus,
} from './local-event-bus.js';
import type { LocalTarget, LocalTargetContext, LocalTargets } from './local-rules.js';

function reviewEvent(overrides: Partial<PutOnBus> = {}): PutOnBus {
  return {
    source: 'mangaassist.reviews',
    detailType: 'ReviewSubmitted',
    detail: { review_id: 'r-1', processing_stage: 'raw' },
    ...overrides,
  };
}

function sequentialIds() {
  let next = 0;
  return () => `event-${++next}`;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LocalEventBus', () => {
  it('lists every accepted event newest first in the /_local/events shape', () => {
    const bus = new LocalEventBus({
      newId: sequentialIds(),
      now: () => new Date('2026-03-01T09:00:00.750Z'),
    });
    bus.put(reviewEvent());
    bus.put(reviewEvent({ source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock', detail: {} }));

    expect(bus.list()).toEqual({
      events: [
        {
          id: 'event-2',
          time: '2026-03-01T09:00:00Z',
          source: 'mangaassist.catalog',
          'detail-type': 'CatalogUpdate.restock',
          detail: {},
          rules: [],
        },
        {
          id: 'event-1',
          time: '2026-03-01T09:00:00Z',
          source: 'mangaassist.reviews',
          'detail-type': 'ReviewSubmitted',
          detail: { review_id: 'r-1', processing_stage: 'raw' },
          rules: [],
        },
      ],
      dropped: 0,
    });
  });

  it('builds the envelope rules match against, with the time the sender gave', () => {
    const bus = new LocalEventBus({ account: '123456789012', region: 'ap-northeast-3' });
    const event = bus.put(
      reviewEvent({ time: new Date('2026-01-02T03:04:05.999Z'), resources: ['arn:aws:s3:::manga'] }),
    );
    expect(event).toMatchObject({
      version: '0',
      account: '123456789012',
      region: 'ap-northeast-3',
      time: '2026-01-02T03:04:05Z',
      resources: ['arn:aws:s3:::manga'],
      'detail-type': 'ReviewSubmitted',
    });
    expect(bus.get(event.id)).toEqual({ event, eventBusName: 'default', hop: 0, routed: true });
  });

  it('forgets the oldest events beyond its capacity but still counts them as accepted', () => {
    const bus = new LocalEventBus({ capacity: 3, newId: sequentialIds() });
    for (let index = 0; index < 5; index++) bus.put(reviewEvent());
    expect(bus.list().events.map((event) => event.id)).toEqual(['event-5', 'event-4', 'event-3']);
    expect(bus.get('event-1')).toBeUndefined();
    expect(bus.accepted).toBe(5);
  });

  it('counts the events it forgets beyond its capacity, by what the listing is filtered on', () => {
    const bus = new LocalEventBus({ capacity: 2 });
    bus.put(reviewEvent());
    bus.put(reviewEvent({ source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock' }));
    bus.put(reviewEvent({ eventBusName: 'other' }));
    bus.put(reviewEvent());

    expect(bus.list()).toMatchObject({ dropped: 2 });
    expect(bus.list({ source: 'mangaassist.catalog' })).toMatchObject({ events: [], dropped: 1 });
    expect(bus.list({ eventBusName: 'other' })).toMatchObject({ dropped: 0 });
    bus.clear();
    expect(bus.list().dropped).toBe(0);
  });

  it('logs the events it forgets at most once per interval, with how many each line stands for', async () => {
    const clock = createFakeClock();
    const logger = recordingLogger();
    const bus = new LocalEventBus({ capacity: 1, clock, logger, newId: sequentialIds() });
    for (let index = 0; index < 4; index++) bus.put(reviewEvent());
    await clock.advance(10_000);
    bus.put(reviewEvent());

    expect(logger.entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ eventId: 'event-1', occurrences: 1, dropped: 1 }),
      }),
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ eventId: 'event-4', occurrences: 3, dropped: 4 }),
      }),
    ]);
  });

  it('filters the listing by source, detail type, bus and limit', () => {
    const bus = new LocalEventBus({ newId: sequentialIds() });
    bus.put(reviewEvent());
    bus.put(reviewEvent({ source: 'mangaassist.catalog', detailType: 'CatalogUpdate.restock' }));
    bus.put(reviewEvent({ eventBusName: 'other' }));
    bus.put(reviewEvent());

    expect(bus.list({ source: 'mangaassist.catalog' }).events.map((event) => event.id)).toEqual(['event-2']);
    expect(bus.list({ detailType: 'ReviewSubmitted', limit: 2 }).events.map((event) => event.id)).toEqual([
      'event-4',
      'event-3',
    ]);
    expect(bus.list({ eventBusName: 'other' }).events.map((event) => event.id)).toEqual(['event-3']);
  });

  it('tells subscribers about each event after put returns, and stops when they unsubscribe', async () => {
    const bus = new LocalEventBus();
    const seen: string[] = [];
    const unsubscribe = bus.subscribe((event, eventBusName) => {
      seen.push(`${eventBusName}:${event['detail-type']}`);
    });
    bus.put(reviewEvent({ eventBusName: 'MangaAssist-AI-Events' }));
    expect(seen).toEqual([]);
    await settle();
    expect(seen).toEqual(['MangaAssist-AI-Events:ReviewSubmitted']);

    unsubscribe();
    bus.put(reviewEvent());
    await settle();
    expect(seen).toHaveLength(1);
  });

  it('logs a failing subscriber without affecting the put or other subscribers', async () => {
    const logger = recordingLogger();
    const bus = new LocalEventBus({ logger });
    let delivered = 0;
    bus.subscribe(async () => {
      throw new Error('target down');
    });
    bus.subscribe(() => {
      delivered += 1;
    });
    expect(() => bus.put(reviewEvent())).not.toThrow();
    await settle();
    expect(delivered).toBe(1);
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'warn', message: 'local event bus listener failed' }),
    ]);
  });

  it('shows recorded rule outcomes in the listing, the latest record of a rule replacing the earlier', () => {
    const bus = new LocalEventBus();
    const { id } = bus.put(reviewEvent());
    bus.recordRule(id, {
      name: 'reviews-to-fm',
      targets: [{ name: 'fm-trigger', status: 'failed', error: 'boom' }],
    });
    bus.recordRule(id, { name: 'reviews-to-fm', targets: [{ name: 'fm-trigger', status: 'ok' }] });
    bus.recordRule('no-such-event', { name: 'ignored', targets: [] });
    expect(bus.list().events[0]?.rules).toEqual([
      { name: 'reviews-to-fm', targets: [{ name: 'fm-trigger', status: 'ok' }] },
    ]);
  });

  it('clears kept events and the accepted count', () => {
    const bus = new LocalEventBus();
    bus.put(reviewEvent());
    bus.clear();
    expect(bus.list()).toEqual({ events: [], dropped: 0 });
    expect(bus.accepted).toBe(0);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LocalEventBus({ capacity: 0 })).toThrow(RangeError);
    expect(() => new LocalEventBus({ capacity: 1.5 })).toThrow(RangeError);
  });
});

describe('eventTime', () => {
  it('writes UTC to the second, as EventBridge does', () => {
    expect(eventTime(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31T23:59:59Z');
  });
});

// ---------------------------------------------------------------------------------------------
// Rules, targets, retries and the dead-letter queue.

const aiBus = 'mangaassist-local-ai-events';

interface Call {
  readonly target: string;
  readonly input: unknown;
  readonly context: LocalTargetContext;
}

/** A recording local target for every handler and API destination of the contract rules. */
function recordingTargets(overrides: Record<string, LocalTarget> = {}) {
  const calls: Call[] = [];
  const names = eventRules.flatMap((rule) => rule.targets.map((target) => target.handler ?? target.id));
  const targets: LocalTargets = Object.fromEntries(
    names.map((name) => [
      name,
      async (input: unknown, context: LocalTargetContext) => {
        calls.push({ target: name, input, context });
        return overrides[name]?.(input, context);
      },
    ]),
  );
  return { calls, targets, called: () => calls.map((call) => call.target) };
}

function busWithRules(overrides: Record<string, LocalTarget> = {}, options: LocalEventBusOptions = {}) {
  const bus = new LocalEventBus({ newId: sequentialIds(), ...options });
  const recording = recordingTargets(overrides);
  bus.addRules(eventRules, recording.targets, { eventBusName: aiBus });
  return { bus, ...recording };
}

function moderationFlagged(severity: string, overrides: Partial<PutOnBus> = {}): PutOnBus {
  return {
    eventBusName: aiBus,
    source: 'mangaassist.ai',
    detailType: 'ModerationFlagged',
    detail: {
      review_id: 'review-1',
      product_id: 'manga-1',
      content_hash: 'b'.repeat(64),
      content_preview: 'preview',
      severity,
      flagged_categories: ['harassment'],
      reason: 'abusive',
      model_id: 'model-1',
      chain_depth: 1,
      source_event_id: 'review-event-1',
      processing_stage: 'processed',
    },
    ...overrides,
  };
}

function catalogUpdate(title: string): PutOnBus {
  return {
    eventBusName: aiBus,
    source: 'mangaassist.catalog',
    detailType: 'CatalogUpdate.new_release',
    detail: {
      batch_id: 'batch-1',
      product_id: 'manga-107',
      title,
      update_type: 'new_release',
      data: {},
      processing_stage: 'raw',
    },
  };
}

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const failing = (message: string) => async () => {
  throw new Error(message);
};

describe('LocalEventBus rules', () => {
  it('delivers a matched event to its rule’s target after put returns, and records the outcome', async () => {
    const { bus, calls } = busWithRules();
    const event = bus.put(moderationFlagged('high'));
    expect(calls).toEqual([]);

    await bus.idle();
    expect(calls).toEqual([
      {
        target: 'moderation-handler',
        input: event,
        context: {
          ruleName: 'moderation-high-severity',
          ruleArn: `arn:aws:events:ap-northeast-1:000000000000:rule/${aiBus}/moderation-high-severity`,
          targetId: 'moderation-handler',
          eventId: event.id,
          eventBusName: aiBus,
          attempt: 1,
        },
      },
    ]);
    expect(bus.list().events[0]?.rules).toEqual([
      { name: 'moderation-high-severity', targets: [{ name: 'moderation-handler', status: 'ok' }] },
    ]);
  });

  it('lists what a target answered as its result, so an event it acknowledged but refused shows why', async () => {
    const { bus } = busWithRules({
      'moderation-handler': async () => ({ status: 'rejected', reason: 'invalid-detail' }),
    });
    bus.put(moderationFlagged('high'));
    await bus.idle();

    expect(bus.list().events[0]?.rules[0]?.targets).toEqual([
      { name: 'moderation-handler', status: 'ok', result: { status: 'rejected', reason: 'invalid-detail' } },
    ]);
  });

  it('sends the API destination the transformed input of a critical flag, as well as the moderation handler', async () => {
    const { bus, calls, called } = busWithRules();
    const event = bus.put(moderationFlagged('critical'));
    await bus.idle();

    expect(called()).toEqual(['moderation-handler', 'moderation-alert-webhook']);
    expect(calls[1]?.input).toEqual({
      text: 'MangaAssist: a review was flagged as critical and needs attention.',
      event_id: event.id,
      review_id: 'review-1',
      product_id: 'manga-1',
      severity: 'critical',
      categories: ['harassment'],
      reason: 'abusive',
    });
  });

  it('routes an event no rule matches nowhere and lists it with no rules', async () => {
    const { bus, calls } = busWithRules();
    bus.put(moderationFlagged('low'));
    await bus.idle();

    expect(calls).toEqual([]);
    expect(bus.list().events[0]?.rules).toEqual([]);
  });

  it('does not make the sender wait for a slow target, listing the matched rule while it runs', async () => {
    const slow = deferred();
    const { bus } = busWithRules({ 'moderation-handler': () => slow.promise });
    bus.put(moderationFlagged('high'));
    await settle();

    expect(bus.list().events[0]?.rules).toEqual([{ name: 'moderation-high-severity', targets: [] }]);
    slow.resolve();
    await bus.idle();
    expect(bus.list().events[0]?.rules[0]?.targets).toEqual([{ name: 'moderation-handler', status: 'ok' }]);
  });

  it('applies rules only to events on their bus', async () => {
    const { bus, calls } = busWithRules();
    bus.put(moderationFlagged('high', { eventBusName: 'default' }));
    await bus.idle();

    expect(calls).toEqual([]);
  });

  it('retries a failing target and records it failed until it succeeds', async () => {
    const clock = createFakeClock();
    let failures = 2;
    const { bus, calls } = busWithRules(
      {
        'moderation-handler': async () => {
          if (failures-- > 0) throw new Error('table throttled');
        },
      },
      { clock },
    );
    bus.put(moderationFlagged('high'));
    await clock.advance(0);

    expect(bus.list().events[0]?.rules[0]?.targets).toEqual([
      { name: 'moderation-handler', status: 'failed', error: 'table throttled' },
    ]);
    await clock.advance(10_000);
    await bus.idle();
    expect(calls.map((call) => call.context.attempt)).toEqual([1, 2, 3]);
    expect(bus.list().events[0]?.rules[0]?.targets).toEqual([{ name: 'moderation-handler', status: 'ok' }]);
    expect(bus.deadLetters()).toEqual({ messages: [], dropped: 0 });
  });

  it('sends the event to the target’s dead-letter queue once its retries are spent', async () => {
    const clock = createFakeClock();
    const { bus, calls } = busWithRules({ 'moderation-handler': failing('table missing') }, { clock });
    const event = bus.put(moderationFlagged('critical'));
    await clock.advance(60_000);
    await bus.idle();

    expect(calls.filter((call) => call.target === 'moderation-handler')).toHaveLength(4);
    expect(bus.list().events[0]?.rules).toEqual([
      {
        name: 'moderation-high-severity',
        targets: [{ name: 'moderation-handler', status: 'dlq', error: 'table missing' }],
      },
      {
        name: 'moderation-critical-notification',
        targets: [{ name: 'moderation-alert-webhook', status: 'ok' }],
      },
    ]);
    expect(bus.deadLetters()).toEqual({
      messages: [
        {
          rule: 'moderation-high-severity',
          target: 'moderation-handler',
          event,
          error: 'table missing',
          attempts: 4,
        },
      ],
      dropped: 0,
    });
    bus.clearDeadLetters();
    expect(bus.deadLetters().messages).toEqual([]);
  });

  it('fails a Lambda target whose transformed input is not JSON, straight to its dead-letter queue', async () => {
    const bus = new LocalEventBus();
    const calls: unknown[] = [];
    const rule: EventRule = {
      name: 'quoted-title',
      description: 'a template that puts a value inside quotes',
      eventPattern: { source: ['mangaassist.catalog'] },
      targets: [
        {
          id: 'embedding-regeneration',
          kind: 'lambda',
          handler: 'embedding-regeneration',
          inputTransformer: {
            inputPathsMap: { title: '$.detail.title' },
            inputTemplate: '{"title":"<title>"}',
          },
          retry: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 3 },
        },
      ],
    };
    bus.addRules([rule], { 'embedding-regeneration': async (input) => void calls.push(input) });

    bus.put(catalogUpdate('ワンピース "特装版"'));
    await bus.idle();

    expect(calls).toEqual([]);
    expect(bus.deadLetters().messages).toEqual([
      expect.objectContaining({ rule: 'quoted-title', target: 'embedding-regeneration', attempts: 1 }),
    ]);
  });

  it('runs a scheduled rule only when asked, with EventBridge’s scheduled event, seen by no other rule', async () => {
    const { bus, calls, called } = busWithRules({}, { now: () => new Date('2026-01-31T06:00:00.500Z') });
    const scheduled = bus.runSchedule('recommendation-schedule');
    await bus.idle();

    expect(scheduled).toEqual({
      version: '0',
      id: 'event-1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-01-31T06:00:00Z',
      region: 'ap-northeast-1',
      resources: [`arn:aws:events:ap-northeast-1:000000000000:rule/${aiBus}/recommendation-schedule`],
      detail: {},
    });
    expect(called()).toEqual(['recommendation-regeneration']);
    expect(calls[0]?.input).toEqual(scheduled);
    expect(bus.list().events[0]?.rules).toEqual([
      { name: 'recommendation-schedule', targets: [{ name: 'recommendation-regeneration', status: 'ok' }] },
    ]);
    expect(() => bus.runSchedule('moderation-high-severity')).toThrow(/no scheduled rule/);
  });

  it('runs scheduled rules on their rate once started, until stopped', async () => {
    const clock = createFakeClock();
    const { bus, called } = busWithRules({}, { clock });
    const stop = bus.startSchedules();

    await clock.advance(6 * 3_600_000 - 1);
    expect(called()).toEqual([]);
    await clock.advance(1);
    await clock.advance(6 * 3_600_000);
    expect(called()).toEqual(['recommendation-regeneration', 'recommendation-regeneration']);

    stop();
    await clock.advance(24 * 3_600_000);
    expect(called()).toHaveLength(2);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('routes events targets put, counting hops, and routes nothing past the hop limit', async () => {
    const bus = new LocalEventBus({ newId: sequentialIds() });
    const rule: EventRule = {
      name: 'echo',
      description: 'a consumer that re-emits everything it consumes, with no guard of its own',
      eventPattern: { source: ['test.echo'] },
      targets: [
        {
          id: 'echo',
          kind: 'lambda',
          handler: 'fm-trigger',
          retry: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 0 },
        },
      ],
    };
    let invocations = 0;
    bus.addRules([rule], {
      'fm-trigger': async (_input, context) => {
        invocations += 1;
        // Far past the limit, the echo stops by itself: a bus that ignored the limit fails the
        // expectations below instead of never going idle.
        if (invocations > 100) return;
        // Forges a fresh chain depth each time: only the link to its source event counts hops.
        const detail = withChainMetadata({ text: 'again' }, { depth: 1, sourceEventId: context.eventId });
        bus.put({ source: 'test.echo', detailType: 'Echo', detail });
      },
    });

    bus.put({ source: 'test.echo', detailType: 'Echo', detail: { text: 'start' } });
    await bus.idle();

    expect(invocations).toBe(11);
    const chain = [...bus.list().events].reverse().map((event) => bus.get(event.id));
    expect(chain.map((kept) => kept?.hop)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(chain.map((kept) => kept?.routed)).toEqual([...Array(11).fill(true), false]);
    expect(bus.list().events[0]?.rules).toEqual([]);
  });

  it('counts a well-formed chain_depth as a floor on the hop', () => {
    const bus = new LocalEventBus({ maxHops: 3 });
    const deep = bus.put({ source: 'test', detailType: 'Deep', detail: { chain_depth: 4 } });
    const odd = bus.put({ source: 'test', detailType: 'Odd', detail: { chain_depth: '9' } });

    expect(bus.get(deep.id)).toMatchObject({ hop: 4, routed: false });
    expect(bus.get(odd.id)).toMatchObject({ hop: 0, routed: true });
  });

  it('still tells subscribers about events when rules are applied', async () => {
    const { bus } = busWithRules();
    const seen: string[] = [];
    bus.subscribe((event) => void seen.push(event['detail-type']));
    bus.put(moderationFlagged('high'));
    await bus.idle();
    await settle();

    expect(seen).toEqual(['ModerationFlagged']);
  });

  it('adds no rule of a set when one of them is invalid or already added', async () => {
    const { bus, targets } = busWithRules();
    const fresh = { ...eventRule('payments-and-reviews'), name: 'payments-and-reviews-2' };

    expect(() => bus.addRules([fresh, eventRule('catalog-updates')], targets)).toThrow(
      'a rule named catalog-updates is already on the local bus',
    );
    bus.put({ ...catalogUpdate('x'), source: 'mangaassist.payments', detailType: 'PaymentCompleted' });
    await bus.idle();
    expect(bus.list().events[0]?.rules.map((rule) => rule.name)).toEqual(['payments-and-reviews']);
  });

  it('refuses a negative hop limit', () => {
    expect(() => new LocalEventBus({ maxHops: -1 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Per-target concurrency: a Lambda's reserved concurrency, with the excess queued in order.

/** A rule sending every catalog event to the embedding-regeneration consumer. */
function catalogRule(name = 'catalog-to-embeddings'): EventRule {
  return {
    name,
    description: 'every catalog event to one consumer',
    eventPattern: { source: ['mangaassist.catalog'] },
    targets: [
      {
        id: 'embedding-regeneration',
        kind: 'lambda',
        handler: 'embedding-regeneration',
        retry: { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 3 },
      },
    ],
  };
}

/** A target that holds each call until the test releases it, recording the event ids it started. */
function gatedTarget() {
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const target: LocalTarget = (_input, context) => {
    started.push(context.eventId);
    const gate = deferred();
    gates.push(gate.resolve);
    return gate.promise;
  };
  /** Releases every call, those started meanwhile too, until the bus is idle. */
  const releaseAll = async (bus: LocalEventBus) => {
    let idle = false;
    const quiet = bus.idle().then(() => {
      idle = true;
    });
    while (!idle) {
      for (const release of gates.splice(0)) release();
      await settle();
    }
    await quiet;
  };
  return { started, gates, target, releaseAll };
}

describe('LocalEventBus target concurrency', () => {
  it('delivers 3 000 events to a target that fails above 8 concurrent calls, none dead-lettered', async () => {
    // A backlog of 3 000 at once: over the default bound of waiting deliveries, raised here.
    const bus = new LocalEventBus({
      capacity: 3000,
      maxWaitingPerTarget: 3000,
      retryTiming: { baseDelayMs: 1, maxDelayMs: 4 },
    });
    let running = 0;
    let calls = 0;
    bus.addRules([catalogRule()], {
      'embedding-regeneration': async () => {
        calls += 1;
        running += 1;
        try {
          if (running > 8) throw new Error('embedded DynamoDB timed out');
          await settle();
        } finally {
          running -= 1;
        }
      },
    });

    for (let index = 0; index < 3000; index++) bus.put(catalogUpdate(`巻 ${index}`));
    await bus.idle();

    expect(bus.deadLetters()).toEqual({ messages: [], dropped: 0 });
    expect(calls).toBe(3000);
    const statuses = bus
      .list()
      .events.flatMap((event) => event.rules[0]?.targets.map((target) => target.status));
    expect(statuses).toEqual(Array(3000).fill('ok'));
  });

  it('queues deliveries beyond a target’s concurrency and starts them in the order they came', async () => {
    const bus = new LocalEventBus({ targetConcurrency: 2, newId: sequentialIds() });
    const gated = gatedTarget();
    bus.addRules([catalogRule()], { 'embedding-regeneration': gated.target });
    for (let index = 0; index < 4; index++) bus.put(catalogUpdate(`巻 ${index}`));
    await settle();

    expect(gated.started).toEqual(['event-1', 'event-2']);
    gated.gates[1]?.();
    await settle();
    expect(gated.started).toEqual(['event-1', 'event-2', 'event-3']);
    await gated.releaseAll(bus);
    expect(gated.started).toEqual(['event-1', 'event-2', 'event-3', 'event-4']);
  });

  it('shares one target’s limit between every rule that sends to it, as one function’s reserved concurrency', async () => {
    const bus = new LocalEventBus({ targetConcurrency: 1 });
    const gated = gatedTarget();
    bus.addRules([catalogRule('first'), catalogRule('second')], { 'embedding-regeneration': gated.target });
    bus.put(catalogUpdate('巻 1'));
    await settle();

    expect(gated.started).toHaveLength(1);
    await gated.releaseAll(bus);
    expect(gated.started).toHaveLength(2);
  });

  it('holds no slot for a delivery waiting to retry', async () => {
    const clock = createFakeClock();
    const bus = new LocalEventBus({ targetConcurrency: 1, clock, newId: sequentialIds() });
    const attempts: string[] = [];
    bus.addRules([catalogRule()], {
      'embedding-regeneration': async (_input, context) => {
        attempts.push(`${context.eventId}#${context.attempt}`);
        if (context.eventId === 'event-1' && context.attempt === 1) throw new Error('throttled');
      },
    });
    bus.put(catalogUpdate('巻 1'));
    bus.put(catalogUpdate('巻 2'));
    await clock.advance(0);

    expect(attempts).toEqual(['event-1#1', 'event-2#1']);
    await clock.advance(10_000);
    await bus.idle();
    expect(attempts).toEqual(['event-1#1', 'event-2#1', 'event-1#2']);
  });

  it('sends an event straight to the dead-letter queue when its target’s backlog is full, so memory stays bounded', async () => {
    const bus = new LocalEventBus({ targetConcurrency: 1, maxWaitingPerTarget: 2, newId: sequentialIds() });
    const gated = gatedTarget();
    bus.addRules([catalogRule()], { 'embedding-regeneration': gated.target });
    for (let index = 0; index < 4; index++) bus.put(catalogUpdate(`巻 ${index}`));
    await settle();

    expect(gated.started).toEqual(['event-1']);
    expect(bus.deadLetters().messages).toEqual([
      expect.objectContaining({
        target: 'embedding-regeneration',
        attempts: 0,
        error: expect.stringContaining('backlog full: 2 deliveries already wait'),
        event: expect.objectContaining({ id: 'event-4' }),
      }),
    ]);
    await gated.releaseAll(bus);
    expect(gated.started).toEqual(['event-1', 'event-2', 'event-3']);
  });

  it('refuses a target concurrency or a backlog bound that is not a positive integer', () => {
    expect(() => new LocalEventBus({ targetConcurrency: 0 })).toThrow(RangeError);
    expect(() => new LocalEventBus({ targetConcurrency: 2.5 })).toThrow(RangeError);
    expect(() => new LocalEventBus({ maxWaitingPerTarget: 0 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Closing: nothing runs on after the bus (and what its targets write to) has gone.

describe('LocalEventBus.close', () => {
  it('gives up the deliveries waiting to retry, as failed with "bus closed" and not dead-lettered', async () => {
    const clock = createFakeClock();
    const { bus, calls } = busWithRules({ 'moderation-handler': failing('Database is closed') }, { clock });
    bus.put(moderationFlagged('high'));
    await clock.advance(0);

    await bus.close();
    expect(bus.list().events[0]?.rules[0]?.targets).toEqual([
      { name: 'moderation-handler', status: 'failed', error: 'bus closed' },
    ]);
    expect(bus.deadLetters().messages).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('waits for the target calls running to settle, and gives up the deliveries still queued', async () => {
    const bus = new LocalEventBus({ targetConcurrency: 1, newId: sequentialIds() });
    const gated = gatedTarget();
    bus.addRules([catalogRule()], { 'embedding-regeneration': gated.target });
    bus.put(catalogUpdate('巻 1'));
    bus.put(catalogUpdate('巻 2'));
    await settle();

    let closed = false;
    const closing = bus.close().then(() => {
      closed = true;
    });
    await settle();
    expect(closed).toBe(false);
    gated.gates[0]?.();
    await closing;

    expect(gated.started).toEqual(['event-1']);
    const outcomes = bus.list().events.map((event) => [event.id, event.rules[0]?.targets]);
    expect(outcomes).toEqual([
      ['event-2', [{ name: 'embedding-regeneration', status: 'failed', error: 'bus closed' }]],
      ['event-1', [{ name: 'embedding-regeneration', status: 'ok' }]],
    ]);
  });

  it('stops waiting for target calls after drainMs and says so', async () => {
    const clock = createFakeClock();
    const logger = recordingLogger();
    const bus = new LocalEventBus({ clock, logger });
    bus.addRules([catalogRule()], { 'embedding-regeneration': () => new Promise<void>(() => {}) });
    bus.put(catalogUpdate('巻 1'));
    await clock.advance(0);

    let closed = false;
    const closing = bus.close({ drainMs: 1000 }).then(() => {
      closed = true;
    });
    await clock.advance(999);
    expect(closed).toBe(false);
    await clock.advance(1);
    expect(closed).toBe(true);
    await closing;
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'local event bus closed with target calls still running',
      }),
    );
  });

  it('does not route an event accepted just before it closed', async () => {
    const { bus, calls } = busWithRules();
    bus.put(moderationFlagged('high'));
    await bus.close();

    expect(calls).toEqual([]);
    expect(bus.list().events[0]?.rules).toEqual([]);
  });

  it('refuses events, scheduled runs and schedule runners once closed', async () => {
    const { bus } = busWithRules();
    await bus.close();

    expect(bus.closed).toBe(true);
    expect(() => bus.put(reviewEvent())).toThrow(LocalEventBusClosedError);
    expect(() => bus.runSchedule('recommendation-schedule')).toThrow(LocalEventBusClosedError);
    expect(() => bus.startSchedules()).toThrow(LocalEventBusClosedError);
    expect(bus.accepted).toBe(0);
  });

  it('stops the schedule runner', async () => {
    const clock = createFakeClock();
    const { bus, called } = busWithRules({}, { clock });
    bus.startSchedules();
    await bus.close();
    await clock.advance(24 * 3_600_000);

    expect(called()).toEqual([]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('closes once however often it is called', async () => {
    const { bus } = busWithRules();
    const first = bus.close();

    expect(bus.close({ drainMs: 1 })).toBe(first);
    await first;
    await expect(bus.close()).resolves.toBeUndefined();
  });

  it('refuses a negative drain time', async () => {
    const bus = new LocalEventBus();
    await expect(bus.close({ drainMs: -1 })).rejects.toThrow(RangeError);
    expect(bus.closed).toBe(false);
  });
});
