import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-eventbridge';
import type { Clock, MetricSet } from '@mangaassist/commons';
import { recordingLogger } from '@mangaassist/commons/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type DomainEvent, EventPublishError } from '../event-publisher.js';
import {
  EventBridgeEventPublisher,
  type EventBridgeEventPublisherOptions,
  putEventsEntrySize,
  truncatableEventFields,
} from './eventbridge-event-publisher.js';

const eventBusName = 'MangaAssist-AI-Events';
const ebMock = mockClient(EventBridgeClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => ebMock.restore());

beforeEach(() => {
  ebMock.reset();
});

/** A clock that never waits and remembers every requested delay. */
function recordingClock(): Clock & { readonly sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
}

function makePublisher(options: Partial<EventBridgeEventPublisherOptions> = {}) {
  const clock = recordingClock();
  const publisher = new EventBridgeEventPublisher(new EventBridgeClient({ region: 'ap-northeast-1' }), {
    eventBusName,
    clock,
    random: () => 0.5,
    ...options,
  });
  return { publisher, clock };
}

function inferenceEvent(requestId: string, detail: Record<string, unknown> = {}): DomainEvent {
  return {
    source: 'mangaassist.ai',
    detailType: 'InferenceCompleted',
    detail: { request_id: requestId, model: 'claude-haiku-4-5', ...detail },
  };
}

const manyEvents = (count: number, detail: Record<string, unknown> = {}) =>
  Array.from({ length: count }, (_, index) => inferenceEvent(`req-${index}`, detail));

/** The events at `indexes`, for expectations (throws on a typo instead of yielding undefined). */
function at(events: readonly DomainEvent[], ...indexes: number[]): DomainEvent[] {
  return indexes.map((index) => {
    const event = events[index];
    if (!event) throw new Error(`no event at ${index}`);
    return event;
  });
}

const entryFor = (event: DomainEvent): PutEventsRequestEntry => ({
  Source: event.source,
  DetailType: event.detailType,
  Detail: JSON.stringify(event.detail),
  EventBusName: eventBusName,
});

/** Accepts every entry, except those `failing` picks, which fail with `errorCode`. */
function respond(
  failing: (entry: PutEventsRequestEntry) => boolean = () => false,
  errorCode = 'InternalFailure',
) {
  let eventId = 0;
  return (input: PutEventsCommandInput): PutEventsCommandOutput => {
    const results = (input.Entries ?? []).map((entry) =>
      failing(entry) ? { ErrorCode: errorCode, ErrorMessage: 'failed' } : { EventId: `event-${eventId++}` },
    );
    return {
      $metadata: {},
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    };
  };
}

const detailMentions = (requestIds: readonly string[]) => (entry: PutEventsRequestEntry) =>
  requestIds.some((id) => entry.Detail?.includes(`"${id}"`));

async function publishError(promise: Promise<void>): Promise<EventPublishError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(EventPublishError);
  return error as EventPublishError;
}

describe('EventBridgeEventPublisher', () => {
  it('sends each event as a PutEvents entry on the configured bus', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const time = new Date('2025-04-01T09:00:00Z');
    const event = { ...inferenceEvent('req-1', { cost: '0.000412' }), time };
    await makePublisher().publisher.publish([event]);
    expect(ebMock).toReceiveCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'mangaassist.ai',
          DetailType: 'InferenceCompleted',
          Detail: '{"request_id":"req-1","model":"claude-haiku-4-5","cost":"0.000412"}',
          EventBusName: eventBusName,
          Time: time,
        },
      ],
    });
  });

  it('makes no call for an empty list', async () => {
    await makePublisher().publisher.publish([]);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 0);
  });

  it('sends 25 events in three calls of 10, 10 and 5, in order', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const events = manyEvents(25);
    await makePublisher().publisher.publish(events);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 3);
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 1, {
      Entries: events.slice(0, 10).map(entryFor),
    });
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 2, {
      Entries: events.slice(10, 20).map(entryFor),
    });
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 3, { Entries: events.slice(20).map(entryFor) });
  });

  it('keeps each call within 256 KB, so events of about 100 KB go two to a call', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const events = manyEvents(5, { summary: 'x'.repeat(100_000) });
    await makePublisher().publisher.publish(events);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 3);
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 1, {
      Entries: events.slice(0, 2).map(entryFor),
    });
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 3, { Entries: events.slice(4).map(entryFor) });
  });

  it('rejects an event larger than 256 KB in UTF-8 without calling EventBridge', async () => {
    // 90 000 characters, but 270 000 bytes: the limit is in bytes.
    const event = inferenceEvent('req-big', { summary: 'あ'.repeat(90_000) });
    const error = await publishError(makePublisher().publisher.publish([event]));
    expect(error.failed).toEqual([{ event, errorCode: 'EventTooLarge' }]);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 0);
  });

  it('still sends the other events when one is too large, and names only that one', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const small = manyEvents(2);
    const big = inferenceEvent('req-big', { summary: 'x'.repeat(300_000) });
    const error = await publishError(
      makePublisher().publisher.publish([...at(small, 0), big, ...at(small, 1)]),
    );
    expect(error.failed).toEqual([{ event: big, errorCode: 'EventTooLarge' }]);
    expect(ebMock).toReceiveCommandExactlyOnceWith(PutEventsCommand, { Entries: small.map(entryFor) });
  });

  it('resends only the entries that failed, then resolves', async () => {
    const events = manyEvents(5);
    ebMock
      .on(PutEventsCommand)
      .callsFakeOnce(respond(detailMentions(['req-1', 'req-3']), 'ThrottlingException'))
      .callsFake(respond());
    await makePublisher().publisher.publish(events);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 2);
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 2, { Entries: at(events, 1, 3).map(entryFor) });
  });

  it('treats an entry that comes back with neither an EventId nor an ErrorCode as not accepted, and resends it', async () => {
    const events = manyEvents(3);
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({
        $metadata: {},
        FailedEntryCount: 1,
        Entries: [{ EventId: 'event-0' }, {}, { EventId: 'event-2' }],
      })
      .callsFake(respond());
    await makePublisher().publisher.publish(events);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 2);
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 2, { Entries: at(events, 1).map(entryFor) });
  });

  it('waits a fully jittered, doubling backoff before each retry', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond(() => true));
    const { publisher, clock } = makePublisher({ maxAttempts: 4, baseDelayMs: 100, random: () => 0.5 });
    await publishError(publisher.publish(manyEvents(1)));
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it('rejects after the last attempt, naming exactly the events not accepted and their codes', async () => {
    const events = manyEvents(4);
    ebMock.on(PutEventsCommand).callsFake(respond(detailMentions(['req-2']), 'InternalFailure'));
    const error = await publishError(makePublisher({ maxAttempts: 3 }).publisher.publish(events));
    expect(error.failed).toEqual(at(events, 2).map((event) => ({ event, errorCode: 'InternalFailure' })));
    expect(error.message).toContain('1 of 4 events');
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 3);
    expect(ebMock).toReceiveLastCommandWith(PutEventsCommand, { Entries: at(events, 2).map(entryFor) });
  });

  it('counts the events it gave up on, per bus, so an alarm can tell; nothing when all were accepted', async () => {
    const emitted: MetricSet[] = [];
    const metrics = { emit: (set: MetricSet) => void emitted.push(set) };
    ebMock.on(PutEventsCommand).callsFake(respond(detailMentions(['req-1', 'req-3']), 'InternalFailure'));
    await publishError(makePublisher({ metrics }).publisher.publish(manyEvents(4)));
    expect(emitted).toEqual([
      {
        namespace: 'MangaAssist/Events',
        dimensions: { EventBusName: eventBusName },
        metrics: [{ name: 'PublishFailures', unit: 'Count', value: 2 }],
      },
    ]);
    ebMock.on(PutEventsCommand).callsFake(respond(() => false));
    await makePublisher({ metrics }).publisher.publish(manyEvents(3));
    expect(emitted).toHaveLength(1);
  });

  it('still rejects with the events not accepted when counting them fails', async () => {
    const metrics = {
      emit: () => {
        throw new Error('EMF line too long');
      },
    };
    ebMock.on(PutEventsCommand).callsFake(respond(() => true, 'InternalFailure'));
    const error = await publishError(
      makePublisher({ metrics, maxAttempts: 1 }).publisher.publish(manyEvents(1)),
    );
    expect(error.failed).toHaveLength(1);
  });

  it('does not retry an entry whose error no retry can fix', async () => {
    const events = manyEvents(2);
    ebMock.on(PutEventsCommand).callsFake(respond(detailMentions(['req-0']), 'MalformedDetail'));
    const error = await publishError(makePublisher().publisher.publish(events));
    expect(error.failed).toEqual(at(events, 0).map((event) => ({ event, errorCode: 'MalformedDetail' })));
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 1);
  });

  it('retries the whole batch after a throttled call', async () => {
    const events = manyEvents(3);
    ebMock
      .on(PutEventsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .callsFake(respond());
    await makePublisher().publisher.publish(events);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 2);
    expect(ebMock).toReceiveNthCommandWith(PutEventsCommand, 2, { Entries: events.map(entryFor) });
  });

  it('retries after a network error', async () => {
    ebMock
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .callsFake(respond());
    await makePublisher().publisher.publish(manyEvents(1));
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 2);
  });

  it('names every event of a batch whose call kept failing', async () => {
    const events = manyEvents(2);
    ebMock.on(PutEventsCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const error = await publishError(makePublisher({ maxAttempts: 2 }).publisher.publish(events));
    expect(error.failed).toEqual(events.map((event) => ({ event, errorCode: 'ThrottlingException' })));
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 2);
  });

  it('does not retry a call the bus refuses for good, and keeps sending later batches', async () => {
    const events = manyEvents(12);
    ebMock
      .on(PutEventsCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no such bus', $metadata: {} }))
      .callsFake(respond());
    const error = await publishError(makePublisher().publisher.publish(events));
    expect(error.failed.map(({ event }) => event)).toEqual(events.slice(0, 10));
    expect(error.failed[0]?.errorCode).toBe('ResourceNotFoundException');
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 2);
  });

  it('rejects an event whose detail cannot be serialised without sending it', async () => {
    const event = inferenceEvent('req-bigint', { tokens: 10n });
    const error = await publishError(makePublisher().publisher.publish([event]));
    expect(error.failed).toEqual([{ event, errorCode: 'UnserializableDetail' }]);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 0);
  });

  it('refuses an invalid retry setting at construction', () => {
    expect(() => makePublisher({ maxAttempts: 0 })).toThrow(RangeError);
  });
});

describe('EventBridgeEventPublisher: entries over 256 KB', () => {
  const marker = /…\[truncated (\d+) bytes\]$/u;

  function reviewEvent(reviewText: string, extra: Record<string, unknown> = {}): DomainEvent {
    return {
      source: 'mangaassist.reviews',
      detailType: 'ReviewSubmitted',
      detail: {
        review_id: 'review-7',
        product_id: 'product-onepiece-108',
        rating: 5,
        review_text: reviewText,
        sentiment: 'positive',
        processing_stage: 'raw',
        ...extra,
      },
    };
  }

  function catalogEvent(title: string, synopsis: string): DomainEvent {
    return {
      source: 'mangaassist.catalog',
      detailType: 'CatalogUpdate.new_release',
      detail: {
        batch_id: 'batch-1',
        product_id: 'product-onepiece-108',
        title,
        update_type: 'new_release',
        data: { author: '尾田栄一郎', synopsis },
        processing_stage: 'raw',
      },
    };
  }

  /** The one entry sent: its detail parsed, its synopsis (if any) and its size. */
  function sentEntry() {
    const entries = ebMock.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    const [entry, ...others] = entries;
    if (entry === undefined || others.length > 0)
      throw new Error(`expected one entry, got ${entries.length}`);
    const detail = JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>;
    const data = detail.data as Record<string, unknown> | undefined;
    return { detail, synopsis: data?.synopsis, size: putEventsEntrySize(entry) };
  }

  it('publishes a review with a 300 KB text, the text cut with a marker to fit 256 KB', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const logger = recordingLogger();
    const reviewText = '最高の一冊でした。'.repeat(11_112); // 300 024 bytes of UTF-8

    await makePublisher({ logger }).publisher.publish([reviewEvent(reviewText)]);

    const sent = sentEntry();
    expect(sent.size).toBeLessThanOrEqual(256 * 1024);
    const text = String(sent.detail.review_text);
    expect(text).toMatch(marker);
    expect(reviewText.startsWith(text.replace(marker, ''))).toBe(true);
    expect(sent.detail).toMatchObject({ review_id: 'review-7', rating: 5, processing_stage: 'raw' });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ detailType: 'ReviewSubmitted', truncated: ['review_text'] }),
      }),
    );
  });

  it('cuts a catalog update’s synopsis before its title, and only as far as needed', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const title = 'ONE PIECE 108';

    await makePublisher().publisher.publish([catalogEvent(title, 'x'.repeat(300_000))]);

    const sent = sentEntry();
    expect(sent.detail.title).toBe(title);
    expect(String(sent.synopsis)).toMatch(marker);
    expect(sent.size).toBeLessThanOrEqual(256 * 1024);
    expect(sent.size).toBeGreaterThan(256 * 1024 - 64);
  });

  it('cuts the title too when cutting the synopsis is not enough', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());

    await makePublisher().publisher.publish([catalogEvent('t'.repeat(270_000), 's'.repeat(100_000))]);

    const sent = sentEntry();
    expect(String(sent.detail.title)).toMatch(marker);
    expect(String(sent.synopsis)).toMatch(marker);
    expect(sent.size).toBeLessThanOrEqual(256 * 1024);
  });

  it('sends an entry that fits exactly as it is', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const event = reviewEvent('x'.repeat(200_000));

    await makePublisher().publisher.publish([event]);

    expect(ebMock).toReceiveCommandExactlyOnceWith(PutEventsCommand, { Entries: [entryFor(event)] });
  });

  it('refuses as too large an event that still does not fit once its cuttable fields are cut', async () => {
    const event = reviewEvent('x'.repeat(300_000), { attachments: 'y'.repeat(300_000) });

    const error = await publishError(makePublisher().publisher.publish([event]));

    expect(error.failed).toEqual([{ event, errorCode: 'EventTooLarge' }]);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 0);
  });

  it.each([
    ['a field its type may not cut', inferenceEvent('req-big', { summary: 'x'.repeat(300_000) })],
    [
      'an event type that may cut nothing',
      {
        source: 'mangaassist.payments',
        detailType: 'PaymentCompleted',
        detail: { order_id: 'x'.repeat(300_000) },
      },
    ],
    [
      'a known detail type from another source',
      { ...reviewEvent('x'.repeat(300_000)), source: 'mangaassist.chat' },
    ],
  ])('never cuts %s', async (_, event) => {
    const error = await publishError(makePublisher().publisher.publish([event]));
    expect(error.failed).toEqual([{ event, errorCode: 'EventTooLarge' }]);
  });

  it('leaves the caller’s event unchanged', async () => {
    ebMock.on(PutEventsCommand).callsFake(respond());
    const reviewText = 'x'.repeat(300_000);
    const event = reviewEvent(reviewText);

    await makePublisher().publisher.publish([event]);

    expect(event.detail.review_text).toBe(reviewText);
  });
});

describe('truncatableEventFields', () => {
  it.each([
    ['mangaassist.reviews', 'ReviewSubmitted', ['review_text']],
    ['mangaassist.ai', 'ModerationFlagged', ['reason', 'content_preview']],
    ['mangaassist.ai', 'InferenceCompleted', ['response_summary']],
    ['mangaassist.catalog', 'CatalogUpdate.price_change', ['data.synopsis', 'title']],
    ['mangaassist.chat', 'MessageReceived', ['message']],
    ['mangaassist.payments', 'PaymentCompleted', []],
    ['mangaassist.ai', 'Recommendation.Generated', []],
    ['mangaassist.unknown', 'Whatever', []],
  ])('lets %s %s cut %j', (source, detailType, fields) => {
    expect(truncatableEventFields(source, detailType)).toStrictEqual(fields);
  });
});

describe('EventBridgeEventPublisher: the caller’s abort signal', () => {
  /** The error the SDK's HTTP handler rejects with once the request's signal aborts. */
  const sdkAbortError = () => Object.assign(new Error('Request aborted'), { name: 'AbortError' });

  it('passes the signal to every PutEvents call, retries included', async () => {
    ebMock
      .on(PutEventsCommand)
      .callsFakeOnce(respond(() => true, 'ThrottlingException'))
      .callsFake(respond());
    const { signal } = new AbortController();
    await makePublisher().publisher.publish(manyEvents(1), { signal });
    // `send(command, options)`: the mock's types only know the command.
    const options = ebMock.commandCalls(PutEventsCommand).map((call) => (call.args as readonly unknown[])[1]);
    expect(options).toEqual([{ abortSignal: signal }, { abortSignal: signal }]);
  });

  it('rejects with the abort reason and tries no other call when the signal aborts during a call', async () => {
    const controller = new AbortController();
    const reason = new Error('processing timed out');
    ebMock.on(PutEventsCommand).callsFake(() => {
      controller.abort(reason);
      throw sdkAbortError();
    });
    const { publisher, clock } = makePublisher();
    await expect(publisher.publish(manyEvents(12), { signal: controller.signal })).rejects.toBe(reason);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops waiting for a call that stalls once the signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('processing timed out');
    ebMock.on(PutEventsCommand).callsFake(() => {
      queueMicrotask(() => controller.abort(reason));
      return new Promise<never>(() => {});
    });
    await expect(
      makePublisher().publisher.publish(manyEvents(1), { signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('does not wait out a backoff, nor retry, once the signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('processing timed out');
    ebMock.on(PutEventsCommand).callsFake(respond(() => true, 'ThrottlingException'));
    const clock: Clock = {
      now: () => 0,
      sleep: async (_ms, signal) => {
        controller.abort(reason);
        signal?.throwIfAborted();
      },
    };
    await expect(
      makePublisher({ clock }).publisher.publish(manyEvents(1), { signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 1);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const reason = new Error('too late');
    await expect(
      makePublisher().publisher.publish(manyEvents(3), { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(ebMock).toReceiveCommandTimes(PutEventsCommand, 0);
  });
});

describe('putEventsEntrySize', () => {
  it('counts UTF-8 bytes of source, detail type and detail, 14 bytes for a time, and not the bus name', () => {
    const entry: PutEventsRequestEntry = {
      Source: 'a',
      DetailType: 'b',
      Detail: '{"k":"漫画"}',
      EventBusName: 'bus',
    };
    expect(putEventsEntrySize(entry)).toBe(1 + 1 + 14);
    expect(putEventsEntrySize({ ...entry, Time: new Date() })).toBe(1 + 1 + 14 + 14);
    expect(putEventsEntrySize({ ...entry, Resources: ['arn:x'] })).toBe(1 + 1 + 14 + 5);
  });
});
