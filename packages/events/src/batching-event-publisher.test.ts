import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchingEventPublisher } from './batching-event-publisher.js';
import { type DomainEvent, EventPublishError, type EventPublisher } from './event-publisher.js';

const event = (id: number): DomainEvent => ({
  source: 'mangaassist.ai',
  detailType: 'InferenceCompleted',
  detail: { id },
});

/** A publisher that holds each request until the test settles it, recording what it was sent. */
function heldPublisher() {
  const requests: { events: readonly DomainEvent[]; settle: (error?: unknown) => void }[] = [];
  const publisher: EventPublisher = {
    publish: (events) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ events, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      }),
  };
  const ids = () => requests.map(({ events }) => events.map(({ detail }) => detail.id));
  return { publisher, requests, ids };
}

/** How each promise settled, once it has. */
async function outcomes(promises: readonly Promise<void>[]) {
  return (await Promise.allSettled(promises)).map((result) =>
    result.status === 'fulfilled' ? 'sent' : (result.reason as Error).message,
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BatchingEventPublisher', () => {
  it('sends a full batch at once, and the rest after they lingered', async () => {
    vi.useFakeTimers();
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { maxBatch: 3, lingerMs: 10 });
    const published = [1, 2, 3, 4].map((id) => batching.publish([event(id)]));
    expect(inner.ids()).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(9);
    expect(inner.ids()).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(inner.ids()).toEqual([[1, 2, 3], [4]]);
    for (const request of inner.requests) request.settle();
    expect(await outcomes(published)).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  it('never splits a call, and sends a call larger than a batch alone', async () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { maxBatch: 3, lingerMs: 1_000 });
    void batching.publish([event(1), event(2)]);
    void batching.publish([event(3), event(4)]);
    void batching.publish([event(5), event(6), event(7), event(8)]);
    void batching.flush();
    expect(inner.ids()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it('keeps at most maxInFlight requests open, the next going as one settles', async () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { maxBatch: 1, maxInFlight: 2 });
    const published = [1, 2, 3].map((id) => batching.publish([event(id)]));
    expect(inner.ids()).toEqual([[1], [2]]);
    inner.requests[0]?.settle();
    await published[0];
    expect(inner.ids()).toEqual([[1], [2], [3]]);
  });

  it('rejects only the calls whose own events the bus refused, and every call of a request that failed whole', async () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { maxBatch: 3 });
    const first = [event(1), event(2), event(3)];
    const partly = first.map((each) => batching.publish([each]));
    const whole = [4, 5, 6].map((id) => batching.publish([event(id)]));
    inner.requests[0]?.settle(
      new EventPublishError('1 of 3 refused', [
        { event: first[1] as DomainEvent, errorCode: 'InternalFailure' },
      ]),
    );
    inner.requests[1]?.settle(new Error('socket hang up'));
    expect(await outcomes(partly)).toEqual(['sent', '1 of 3 refused', 'sent']);
    const refused = await partly[1]?.catch((error: unknown) => error);
    expect((refused as EventPublishError).failed).toEqual([
      { event: first[1], errorCode: 'InternalFailure' },
    ]);
    expect(await outcomes(whole)).toEqual(['socket hang up', 'socket hang up', 'socket hang up']);
  });

  it('refuses events past maxBuffered at once, as a failed request would', async () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, {
      maxBatch: 10,
      maxBuffered: 2,
      lingerMs: 1_000,
    });
    void batching.publish([event(1), event(2)]);
    const refused = await batching.publish([event(3)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EventPublishError);
    expect((refused as EventPublishError).failed).toEqual([{ event: event(3), errorCode: 'BufferFull' }]);
  });

  it('takes out a call whose signal aborts before its batch goes, and sends the others', async () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { lingerMs: 1_000 });
    const stop = new AbortController();
    const aborted = batching.publish([event(1)], { signal: stop.signal });
    const kept = batching.publish([event(2)]);
    stop.abort(new Error('caller gone'));
    void batching.flush();
    inner.requests[0]?.settle();
    expect(await outcomes([aborted, kept])).toEqual(['caller gone', 'sent']);
    expect(inner.ids()).toEqual([[2]]);
    await expect(batching.publish([event(3)], { signal: stop.signal })).rejects.toThrow('caller gone');
  });

  it('frees the room of an aborted call, and leaves a call already sent to its batch', async () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { maxBuffered: 1, lingerMs: 1_000 });
    const sentStop = new AbortController();
    const sent = batching.publish([event(1)], { signal: sentStop.signal });
    void batching.flush();
    const waitingStop = new AbortController();
    const aborted = batching.publish([event(2)], { signal: waitingStop.signal });
    waitingStop.abort(new Error('caller gone'));
    const next = batching.publish([event(3)]);
    sentStop.abort(new Error('too late'));
    inner.requests[0]?.settle();
    expect(await outcomes([sent, aborted])).toEqual(['sent', 'caller gone']);
    void batching.flush();
    inner.requests[1]?.settle();
    expect(await outcomes([next])).toEqual(['sent']);
    expect(inner.ids()).toEqual([[1], [3]]);
  });

  it('flushes what waits without lingering, and what is published meanwhile, until all has settled', async () => {
    const inner: EventPublisher & { sent: number[][] } = {
      sent: [],
      publish: async (events) => {
        inner.sent.push(events.map(({ detail }) => detail.id as number));
      },
    };
    const batching = new BatchingEventPublisher(inner, { lingerMs: 60_000 });
    const first = batching.publish([event(1)]);
    const flushed = batching.flush();
    const second = batching.publish([event(2)]);
    await flushed;
    expect(await outcomes([first, second])).toEqual(['sent', 'sent']);
    expect(inner.sent).toEqual([[1], [2]]);
  });

  it('settles every call of a batch whose publisher throws at once, and frees its slot', async () => {
    let calls = 0;
    const throwing: EventPublisher = {
      publish: () => {
        calls += 1;
        if (calls === 1) throw new Error('not a promise');
        return Promise.resolve();
      },
    };
    const batching = new BatchingEventPublisher(throwing, { maxBatch: 2, maxInFlight: 1 });
    const published = [1, 2, 3].map((id) => batching.publish([event(id)]));
    await batching.flush();
    expect(await outcomes(published)).toEqual(['not a promise', 'not a promise', 'sent']);
    expect(calls).toBe(2);
  });

  it('aborts a request that takes longer than requestTimeoutMs, refusing its events and freeing its slot', async () => {
    const signals: AbortSignal[] = [];
    const hanging: EventPublisher = {
      publish: (_events, options) =>
        new Promise<void>((_resolve, reject) => {
          const signal = options?.signal;
          if (signal === undefined) return;
          signals.push(signal);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    };
    const batching = new BatchingEventPublisher(hanging, {
      maxBatch: 1,
      maxInFlight: 1,
      requestTimeoutMs: 20,
    });
    const published = [1, 2].map((id) => batching.publish([event(id)]));
    const settled = await Promise.allSettled(published);
    expect(settled.map((result) => result.status === 'rejected' && (result.reason as Error).name)).toEqual([
      'TimeoutError',
      'TimeoutError',
    ]);
    expect(signals).toHaveLength(2);
  });

  it('stops listening to a call’s signal once its batch goes', () => {
    const inner = heldPublisher();
    const batching = new BatchingEventPublisher(inner.publisher, { maxBatch: 1 });
    const signal = new AbortController().signal;
    void batching.publish([event(1)], { signal });
    expect(inner.ids()).toEqual([[1]]);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('refuses settings that could never send', () => {
    const { publisher } = heldPublisher();
    expect(() => new BatchingEventPublisher(publisher, { maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => new BatchingEventPublisher(publisher, { maxInFlight: 1.5 })).toThrow(/maxInFlight/);
    expect(() => new BatchingEventPublisher(publisher, { lingerMs: -1 })).toThrow(/lingerMs/);
    expect(() => new BatchingEventPublisher(publisher, { requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
  });
});
