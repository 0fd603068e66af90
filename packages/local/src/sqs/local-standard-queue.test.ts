import { recordingLogger, settlesWithin, testEpoch } from '@mangaassist/commons/testing';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { LocalStandardQueue } from './local-standard-queue.js';

/** A gate a test opens by hand. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves once `condition` holds, within event-loop turns (no real delay); fails with a message instead of hanging. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`still waiting for: ${what}`);
}

/** The queue's `settled`, or a failure naming what hung (a liveness guard, not a speed assertion). */
const settled = (queue: LocalStandardQueue) => settlesWithin(queue.settled(), 5000, 'the queue to settle');

/** `body#ApproximateReceiveCount`, to read receives in one string. */
const receipt = (record: SQSRecord) => `${record.body}#${record.attributes.ApproximateReceiveCount}`;

/** A consumer that notes each receive and reports failed the records `fails` picks. */
function recorder(fails: (record: SQSRecord) => boolean = () => false) {
  const received: string[] = [];
  const consume = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    received.push(...event.Records.map(receipt));
    return {
      batchItemFailures: event.Records.filter(fails).map((record) => ({ itemIdentifier: record.messageId })),
    };
  };
  return { received, consume };
}

const firstReceive = (record: SQSRecord) => record.attributes.ApproximateReceiveCount === '1';

describe('LocalStandardQueue', () => {
  it('hands messages to the consumer in SQS events of at most batchSize realistic records', async () => {
    const batches: SQSRecord[][] = [];
    const queue = new LocalStandardQueue({
      name: 'jobs-normal',
      batchSize: 2,
      maxConcurrency: 1,
      now: () => testEpoch,
      consume: async (event) => {
        batches.push(event.Records);
      },
    });
    const messageId = queue.send('a', { attributes: { tenantId: 't1' } });
    for (const body of ['b', 'c', 'd', 'e']) queue.send(body);
    await settled(queue);
    expect(batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    expect(batches.flat().map((record) => record.body)).toEqual(
      expect.arrayContaining(['a', 'b', 'c', 'd', 'e']),
    );
    expect(batches.flat().find((record) => record.body === 'a')).toEqual({
      messageId,
      receiptHandle: expect.any(String),
      body: 'a',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(testEpoch),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(testEpoch),
      },
      messageAttributes: {
        tenantId: { dataType: 'String', stringValue: 't1', stringListValues: [], binaryListValues: [] },
      },
      md5OfBody: '0cc175b9c0f1b6a831c399e269772661',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:jobs-normal',
      awsRegion: 'local',
    });
  });

  it('never runs more than maxConcurrency invocations at once', async () => {
    const release = gate();
    let running = 0;
    let peak = 0;
    let consumed = 0;
    const queue = new LocalStandardQueue({
      name: 'q',
      batchSize: 1,
      maxConcurrency: 2,
      consume: async (event) => {
        running += 1;
        peak = Math.max(peak, running);
        await release.opened;
        running -= 1;
        consumed += event.Records.length;
      },
    });
    for (let index = 0; index < 6; index += 1) queue.send(`m${index}`);
    await until(() => running >= 2, 'two invocations to start');
    expect(queue.listing()).toMatchObject({ waiting: 4, in_flight: 2 });
    release.open();
    await settled(queue);
    expect({ peak, consumed }).toEqual({ peak: 2, consumed: 6 });
  });

  it('returns only the records reported in batchItemFailures, which come back with ApproximateReceiveCount 2', async () => {
    const handles: string[] = [];
    const { received, consume } = recorder((record) => record.body === 'b' && firstReceive(record));
    const queue = new LocalStandardQueue({
      name: 'q',
      batchSize: 3,
      visibilityTimeoutMs: 10,
      consume: async (event) => {
        handles.push(
          ...event.Records.filter((record) => record.body === 'b').map((record) => record.receiptHandle),
        );
        return consume(event);
      },
    });
    for (const body of ['a', 'b', 'c']) queue.send(body);
    await settled(queue);
    expect(received.sort()).toEqual(['a#1', 'b#1', 'b#2', 'c#1']);
    expect(new Set(handles).size).toBe(2);
    expect(queue.listing()).toMatchObject({ waiting: 0, in_flight: 0, dead_letters: [] });
  });

  it('returns the whole batch when the consumer throws', async () => {
    const { received, consume } = recorder();
    let calls = 0;
    const queue = new LocalStandardQueue({
      name: 'q',
      visibilityTimeoutMs: 0,
      consume: async (event) => {
        calls += 1;
        await consume(event);
        if (calls === 1) throw new Error('starter broke');
      },
    });
    queue.send('a');
    queue.send('b');
    await settled(queue);
    expect(received.sort()).toEqual(['a#1', 'a#2', 'b#1', 'b#2']);
  });

  it('returns the whole batch when the response names a record that is not in it, as Lambda does', async () => {
    const received: string[] = [];
    const queue = new LocalStandardQueue({
      name: 'q',
      visibilityTimeoutMs: 0,
      maxReceiveCount: 2,
      consume: async (event) => {
        received.push(...event.Records.map(receipt));
        const failures: SQSBatchItemFailure[] = event.Records.every(firstReceive)
          ? [{ itemIdentifier: 'not-a-message-of-this-batch' }]
          : [];
        return { batchItemFailures: failures };
      },
    });
    queue.send('a');
    queue.send('b');
    await settled(queue);
    expect(received.sort()).toEqual(['a#1', 'a#2', 'b#1', 'b#2']);
    expect(queue.listing().dead_letters).toEqual([]);
  });

  it('dead-letters a poison message after maxReceiveCount receives with its last error, serving the others meanwhile', async () => {
    const logger = recordingLogger();
    const received: string[] = [];
    const queue = new LocalStandardQueue({
      name: 'q',
      batchSize: 1,
      maxConcurrency: 1,
      maxReceiveCount: 3,
      visibilityTimeoutMs: 0,
      logger,
      now: () => testEpoch,
      consume: async (event) => {
        for (const record of event.Records) {
          received.push(receipt(record));
          if (record.body === 'poison') {
            throw new Error(`broke on receive ${record.attributes.ApproximateReceiveCount}`);
          }
        }
      },
    });
    const poisonId = queue.send('poison');
    queue.send('good');
    await settled(queue);
    // A returning message joins the end of the line: 'good' is not starved by the retries.
    expect(received).toEqual(['poison#1', 'good#1', 'poison#2', 'poison#3']);
    expect(queue.listing()).toEqual({
      name: 'q',
      waiting: 0,
      in_flight: 0,
      dead_letters: [
        {
          message_id: poisonId,
          body: 'poison',
          error: 'broke on receive 3',
          receive_count: 3,
          at: new Date(testEpoch).toISOString(),
        },
      ],
      dropped: 0,
    });
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(1);
  });

  it('keeps the newest dead letters up to its capacity and counts the ones it forgot', async () => {
    const queue = new LocalStandardQueue({
      name: 'q',
      batchSize: 1,
      maxConcurrency: 1,
      maxReceiveCount: 1,
      deadLetterCapacity: 2,
      consume: async () => {
        throw new Error('no');
      },
    });
    for (const body of ['a', 'b', 'c']) queue.send(body);
    await settled(queue);
    expect(queue.listing()).toMatchObject({
      dead_letters: [expect.objectContaining({ body: 'c' }), expect.objectContaining({ body: 'b' })],
      dropped: 1,
    });
  });

  it('does not deliver a delayed message before its delay, and delivers it once the delay is over', async () => {
    const { received, consume } = recorder();
    const queue = new LocalStandardQueue({ name: 'q', consume });
    queue.send('later', { delayMs: 250 });
    queue.send('now');
    await until(() => received.length > 0 && queue.listing().in_flight === 0, 'the undelayed message');
    expect(received).toEqual(['now#1']);
    expect(queue.listing()).toMatchObject({ waiting: 1, in_flight: 0 });
    await settled(queue);
    expect(received).toEqual(['now#1', 'later#1']);
  });

  it('keeps a record the consumer deferred with changeMessageVisibility away until that visibility ends', async () => {
    const received: string[] = [];
    const queue: LocalStandardQueue = new LocalStandardQueue({
      name: 'jobs-normal',
      // Without the deferral, a failed record would come straight back.
      visibilityTimeoutMs: 0,
      consume: async (event) => {
        received.push(...event.Records.map(receipt));
        const capped = event.Records.filter((record) => record.body === 'tenant at its cap');
        for (const record of capped) queue.changeMessageVisibility(record.receiptHandle, 60_000);
        return { batchItemFailures: capped.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    queue.send('tenant at its cap');
    await until(() => received.length === 1 && queue.listing().in_flight === 0, 'the first receive to end');
    queue.send('another job');
    await until(() => received.includes('another job#1'), 'the next message');
    expect(received).toEqual(['tenant at its cap#1', 'another job#1']);
    expect(queue.listing()).toMatchObject({ waiting: 1, in_flight: 0, dead_letters: [] });
    await queue.close(0);
  });

  it('brings a deferred record back when the visibility the consumer asked for ends, not the queue’s', async () => {
    const received: string[] = [];
    const queue: LocalStandardQueue = new LocalStandardQueue({
      name: 'jobs-normal',
      // Far beyond the settle guard: only the consumer's shorter visibility brings the record back in time.
      visibilityTimeoutMs: 60_000,
      consume: async (event) => {
        received.push(...event.Records.map(receipt));
        const retry = event.Records.filter(firstReceive);
        for (const record of retry) queue.changeMessageVisibility(record.receiptHandle, 20);
        return { batchItemFailures: retry.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    queue.send('job');
    await settled(queue);
    expect(received).toEqual(['job#1', 'job#2']);
  });

  it('refuses to change the visibility of a message no invocation holds, or beyond 12 hours', async () => {
    const handles: string[] = [];
    let tooLong: unknown;
    const queue: LocalStandardQueue = new LocalStandardQueue({
      name: 'q',
      consume: async (event) => {
        for (const record of event.Records) {
          handles.push(record.receiptHandle);
          try {
            queue.changeMessageVisibility(record.receiptHandle, 43_200_001);
          } catch (error) {
            tooLong = error;
          }
        }
      },
    });
    queue.send('a');
    await settled(queue);
    expect(tooLong).toBeInstanceOf(RangeError);
    expect(handles).toHaveLength(1);
    expect(() => queue.changeMessageVisibility(handles[0] ?? 'missing', 0)).toThrow(/ReceiptHandleIsInvalid/);
    expect(() => queue.changeMessageVisibility('made-up', 0)).toThrow(/ReceiptHandleIsInvalid/);
  });

  it('refuses what SQS refuses: over 256 KiB, a delay over 15 minutes, bad attributes, and anything once closed', async () => {
    const queue = new LocalStandardQueue({ name: 'q', consume: async () => {} });
    expect(() => queue.send('x'.repeat(256 * 1024 + 1))).toThrow(RangeError);
    expect(() => queue.send('x'.repeat(256 * 1024 - 10), { attributes: { tenantId: 'abcdef' } })).toThrow(
      RangeError,
    );
    expect(() => queue.send('x', { delayMs: 900_001 })).toThrow(RangeError);
    expect(() => queue.send('x', { delayMs: -1 })).toThrow(RangeError);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`a${index}`, 'v']));
    expect(() => queue.send('x', { attributes: eleven })).toThrow(/at most 10/);
    expect(() => queue.send('x', { attributes: { 'AWS.trace': 'v' } })).toThrow(/name/);
    expect(() => queue.send('x', { attributes: { tenantId: '' } })).toThrow(/empty/);
    expect(queue.listing().waiting).toBe(0);
    await queue.close();
    expect(() => queue.send('late')).toThrow(/closed/);
  });

  it('counts delayed messages toward maxWaiting and refuses messages beyond it', async () => {
    const held = gate();
    const queue = new LocalStandardQueue({ name: 'q', maxWaiting: 2, consume: () => held.opened });
    queue.send('a');
    queue.send('b', { delayMs: 60_000 });
    expect(() => queue.send('c')).toThrow(/full \(2 messages held\)/);
    await queue.close(0);
    held.open();
  });

  it('accepts messages again once the consumer has caught up', async () => {
    const held = gate();
    const queue = new LocalStandardQueue({ name: 'q', maxWaiting: 1, consume: () => held.opened });
    queue.send('a');
    expect(() => queue.send('b')).toThrow(/full/);
    held.open();
    await settled(queue);
    expect(() => queue.send('b')).not.toThrow();
    await settled(queue);
  });

  it('on close, lets the running invocation finish, starts nothing more and logs what it abandoned', async () => {
    const first = gate();
    const consumed: string[] = [];
    const logger = recordingLogger();
    const queue = new LocalStandardQueue({
      name: 'jobs-low',
      batchSize: 1,
      maxConcurrency: 1,
      logger,
      consume: async (event) => {
        for (const record of event.Records) {
          if (record.body === 'a') await first.opened;
          consumed.push(record.body);
        }
      },
    });
    queue.send('a');
    queue.send('b');
    queue.send('c', { delayMs: 60_000 });
    await until(() => queue.listing().in_flight === 1, 'the first message to be received');
    const closing = queue.close();
    first.open();
    await settlesWithin(closing, 5000, 'close');
    await settled(queue);
    expect(consumed).toEqual(['a']);
    expect(queue.listing()).toMatchObject({ waiting: 2, in_flight: 0 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', fields: { queue: 'jobs-low', abandoned: 2 } }),
    );
  });

  it('leaves no timer behind once closed: delayed messages and records failing after close stay put', async () => {
    // Only timeouts are faked (the queue's turns and `until` run on real immediates), to count them.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const first = gate();
      let calls = 0;
      const queue = new LocalStandardQueue({
        name: 'q',
        visibilityTimeoutMs: 60_000,
        consume: async () => {
          calls += 1;
          await first.opened;
          throw new Error('interrupted');
        },
      });
      queue.send('a');
      queue.send('b', { delayMs: 60_000 });
      await until(() => queue.listing().in_flight === 1, 'the first message to be received');
      expect(vi.getTimerCount()).toBe(1);
      let closed = false;
      void queue.close().then(() => {
        closed = true;
      });
      first.open();
      await until(() => closed, 'close to resolve');
      expect(vi.getTimerCount()).toBe(0);
      expect(calls).toBe(1);
      expect(queue.listing()).toMatchObject({ waiting: 2, in_flight: 0, dead_letters: [] });
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops waiting for a consumer that outlives the drain time', async () => {
    const never = gate();
    const queue = new LocalStandardQueue({ name: 'q', consume: () => never.opened });
    queue.send('a');
    await until(() => queue.listing().in_flight === 1, 'the message to be received');
    await settlesWithin(queue.close(10), 5000, 'close');
    expect(queue.listing()).toMatchObject({ in_flight: 1 });
    never.open();
    await settled(queue);
  });

  it('refuses options a queue or its mapping cannot have', () => {
    const consume = async () => {};
    expect(() => new LocalStandardQueue({ name: 'q', consume, batchSize: 0 })).toThrow(RangeError);
    expect(() => new LocalStandardQueue({ name: 'q', consume, batchSize: 10_001 })).toThrow(RangeError);
    expect(() => new LocalStandardQueue({ name: 'q', consume, maxConcurrency: 1.5 })).toThrow(RangeError);
    expect(() => new LocalStandardQueue({ name: 'q', consume, visibilityTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => new LocalStandardQueue({ name: 'q', consume, maxReceiveCount: 0 })).toThrow(RangeError);
    expect(() => new LocalStandardQueue({ name: 'q', consume, deadLetterCapacity: 0 })).toThrow(RangeError);
    expect(() => new LocalStandardQueue({ name: 'q', consume, maxWaiting: Number.NaN })).toThrow(RangeError);
  });
});
